"""Secrets in saved notebooks: Password widgets' values kept in the widget state, and the
SMTP AUTH forms of a secret (AUTH PLAIN, the AUTH LOGIN exchange, XOAUTH2, a bearer token)
in any cell's source or output. `outlook-kit scan` reports where, never what.

A finding says where it is and what kind it is; the secret itself is never part of it (nor
its base64 form), so the report can be printed, logged or posted.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
"""Where a notebook keeps its saved widget state (`metadata.widgets`)."""
_B64 = r"[A-Za-z0-9+/]{8,}={0,2}"
_AUTH_INLINE = re.compile(rf"\bAUTH\s+(?P<mech>PLAIN|XOAUTH2|LOGIN)\s+(?P<blob>{_B64})", re.I)
_LOGIN_STEP = re.compile(rf"(?m)^\s*(?:C:|>>>|send:)?\s*['\"]?(?P<blob>{_B64})['\"]?\s*$")
_BEARER = re.compile(r"\b(?:Bearer\s+)?eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Finding:
    """One place a secret was saved: the file, where in it, and what kind (never the value)."""

    path: str
    where: str
    kind: str

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.kind}"


def _decoded(blob: str) -> str | None:
    try:
        return base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def secret_kinds(text: str) -> list[str]:
    """The kinds of secret a text holds (empty: none)."""
    return list(dict.fromkeys(_in_text(text)))


def _in_text(text: str) -> Iterator[str]:
    """The kinds of secret a text holds."""
    for match in _AUTH_INLINE.finditer(text):
        value = _decoded(match["blob"])
        mech = match["mech"].upper()
        if mech == "PLAIN" and value is not None and value.count("\0") == 2:
            yield "an AUTH PLAIN blob (base64 of the user and the secret)"
        elif mech == "XOAUTH2" and value is not None and "auth=Bearer" in value:
            yield "an AUTH XOAUTH2 blob (base64 of the user and an access token)"
        elif mech == "LOGIN":
            yield "an AUTH LOGIN exchange with its base64 answers"
    if "334 " in text and "AUTH LOGIN" in text.upper():
        answers = [m["blob"] for m in _LOGIN_STEP.finditer(text) if _decoded(m["blob"])]
        if len(answers) >= 2:  # the user's and the secret's base64 lines after 334 prompts
            yield "an AUTH LOGIN exchange with its base64 answers"
    if _BEARER.search(text):  # header.payload.signature
        yield "an OAuth2 access token (a JWT)"


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


def output_texts(output: dict[str, Any]) -> list[str]:
    """The texts of one cell output: its stream text, each of its data forms, its traceback."""
    texts = [_text(output.get("text", "")), _text(output.get("traceback", ""))]
    return texts + [_text(v) for v in (output.get("data") or {}).values()]


def scan_notebook(path: Path) -> list[Finding]:
    """Every saved secret in one .ipynb file."""
    label = str(path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [Finding(label, "the file", f"not a notebook that can be read ({exc})")]
    found: list[Finding] = []
    state = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {})
    for model_id, model in (state.get("state") or {}).items():
        values = model.get("state", {})
        if model.get("model_name") == "PasswordModel" and values.get("value"):
            found.append(
                Finding(label, f"widget state, model {model_id}", "a Password widget's value")
            )
        elif isinstance(values.get("value"), str):
            found += [
                Finding(label, f"widget state, model {model_id}", kind)
                for kind in dict.fromkeys(_in_text(values["value"]))
            ]
    for number, cell in enumerate(notebook.get("cells", []), 1):
        for kind in dict.fromkeys(_in_text(_text(cell.get("source", "")))):
            found.append(Finding(label, f"cell {number} source", kind))
        for output in cell.get("outputs", []):
            texts = output_texts(output)
            for kind in dict.fromkeys(k for t in texts for k in _in_text(t)):
                found.append(Finding(label, f"cell {number} output", kind))
    return found


def notebooks(paths: Iterable[str | Path]) -> list[Path]:
    """The .ipynb files among `paths` (folders searched, checkpoints left out)."""
    out: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        else:
            out.append(path)
    return out


def scan(paths: Iterable[str | Path]) -> list[Finding]:
    """Every saved secret in the notebooks at `paths`."""
    return [finding for path in notebooks(paths) for finding in scan_notebook(path)]
