"""Paste any error from any program and get the diagnosis card; browse the catalogue of causes."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..accounts import SecretKind
from ..diagnosis import Category, Context, Diagnosis, Entry, catalogue, diagnose
from ..protocol import Stage
from ._ui import Shown, error_html, plain_error
from .cards import STAGE_LABELS, diagnosis_card, entry_card

_STAGES = [("I don't know", "")] + [
    (STAGE_LABELS[s], str(s)) for s in Stage if s not in (Stage.EHLO_TLS, Stage.QUIT)
]
_SECRETS = [
    ("I don't know", ""),
    ("an App Password", str(SecretKind.APP_PASSWORD)),
    ("my regular password", str(SecretKind.PASSWORD)),
    ("an OAuth2 token", str(SecretKind.OAUTH_TOKEN)),
]
_YES_NO = [("I don't know", ""), ("Yes", "yes"), ("No", "no")]
_STYLE = {"description_width": "14em"}


class Troubleshooter(Shown):
    """A box to paste an error into, what else you know, and a Diagnose button."""

    def __init__(self, text: str = "") -> None:
        self.text = w.Textarea(
            value=text,
            description="The error",
            placeholder="Paste the whole error message here, as your program printed it",
            layout=w.Layout(width="48em", height="7em"),
            style=_STYLE,
        )
        self.stage = w.Dropdown(
            options=_STAGES, value="", description="When it failed", style=_STYLE
        )
        self.secret = w.Dropdown(
            options=_SECRETS, value="", description="The password used was", style=_STYLE
        )
        self.pop_smtp = w.Dropdown(
            options=_YES_NO, value="", description="POP/SMTP access is on (step 1)", style=_STYLE
        )
        self.two_step = w.Dropdown(
            options=_YES_NO, value="", description="Two-step verification is on", style=_STYLE
        )
        self.button = w.Button(description="Diagnose", button_style="primary", icon="search")
        self.message = w.HTML()
        self.result = w.HTML()
        self.button.on_click(self._diagnose)
        self.view = w.VBox(
            [
                self.text,
                self.stage,
                self.secret,
                self.pop_smtp,
                self.two_step,
                self.button,
                self.message,
                self.result,
            ]
        )
        self.last_diagnosis: Diagnosis | None = None
        self.last_error: str | None = None

    def diagnose(self, text: str | None = None) -> Diagnosis | None:
        """What clicking Diagnose does (with `text` pasted first, if given)."""
        if text is not None:
            self.text.value = text
        self._diagnose()
        return self.last_diagnosis

    def context(self) -> Context:
        def yes(value: str) -> bool | None:
            return None if not value else value == "yes"

        return Context(
            secret_kind=SecretKind(self.secret.value) if self.secret.value else None,
            pop_smtp_on=yes(self.pop_smtp.value),
            two_step_on=yes(self.two_step.value),
        )

    def _diagnose(self, _button: Any = None) -> None:
        self.message.value = self.result.value = ""
        self.last_error = None
        self.last_diagnosis = None
        text = self.text.value
        if not text.strip():
            self.last_error = (
                "Paste the whole error message into the box first, then click Diagnose."
            )
            self.message.value = error_html(self.last_error)
            return
        try:
            diagnosis = diagnose(text, stage=self.stage.value or None, context=self.context())
        except Exception as error:
            self.last_error = plain_error(error)
            self.message.value = error_html(self.last_error)
            return
        self.last_diagnosis = diagnosis
        self.result.value = diagnosis_card(diagnosis)


class CatalogueBrowser(Shown):
    """Every cause the kit knows, by group: pick one to read what it means and the fix."""

    def __init__(self) -> None:
        entries = catalogue()
        self._entries: dict[str, Entry] = {str(c): e for c, e in entries.items()}
        self.search = w.Text(
            description="Filter",
            placeholder="a word or a code, e.g. 5.7.139 or junk",
            style={"description_width": "5em"},
            layout=w.Layout(width="30em"),
        )
        self.choice = w.Select(
            options=self._options(""),
            rows=10,
            description="Cause",
            style={"description_width": "5em"},
            layout=w.Layout(width="48em"),
        )
        self.count = w.HTML()
        self.card = w.HTML()
        self.search.observe(self._filter, names="value")
        self.choice.observe(self._show, names="value")
        self.view = w.VBox([self.search, self.count, self.choice, self.card])
        self.last_entry: Entry | None = None
        self._filter()

    def _options(self, needle: str) -> list[tuple[str, str]]:
        needle = needle.strip().lower()
        out = []
        for key, entry in self._entries.items():
            haystack = " ".join(
                [entry.title, entry.explanation, entry.group, key, *entry.fix]
                + [str(e.get("text", "")) for e in entry.examples]
            ).lower()
            if not needle or needle in haystack:
                out.append((f"{entry.group}: {entry.title}", key))
        return out

    def show(self, category: Category | str) -> Entry:
        """Select one cause (what picking it in the list does)."""
        key = str(Category(category))
        if key not in dict((v, k) for k, v in self.choice.options):
            self.search.value = ""
        self.choice.value = key
        assert self.last_entry is not None
        return self.last_entry

    def _filter(self, _change: Any = None) -> None:
        options = self._options(self.search.value)
        self.choice.options = options
        self.count.value = (
            f"<div>{len(options)} of {len(self._entries)} causes</div>"
            if options
            else "<div>No cause mentions that; try a code like 535 or a word like password.</div>"
        )
        if options and self.choice.value is None:
            self.choice.value = options[0][1]

    def _show(self, change: dict[str, Any]) -> None:
        key = change["new"]
        if not key:
            self.card.value = ""
            return
        entry = self._entries[key]
        self.last_entry = entry
        self.card.value = entry_card(entry)
