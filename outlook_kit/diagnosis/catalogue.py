"""The catalogue of causes, read once from `catalogue.toml` (data, not code)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..accounts import Provider, SecretKind
from ..protocol import Stage
from .values import Alternative, Category


@dataclass(frozen=True)
class Pattern:
    """One way to recognise a category; every condition given must hold."""

    weight: float
    why: str
    text: re.Pattern[str] | None = None
    codes: frozenset[int] = frozenset()
    enhanced: frozenset[str] = frozenset()
    stages: frozenset[Stage] = frozenset()
    secret: frozenset[SecretKind] = frozenset()
    provider: frozenset[Provider] = frozenset()
    arrived: frozenset[str] = frozenset()
    pop_smtp_on: bool | None = None
    two_step_on: bool | None = None
    from_differs: bool | None = None
    near_cap: bool | None = None
    probe_ok: bool | None = None
    host: re.Pattern[str] | None = None
    port: frozenset[int] = frozenset()
    mechanism: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Entry:
    """One category of the catalogue."""

    category: Category
    group: str
    title: str
    explanation: str
    fix: tuple[str, ...]
    patterns: tuple[Pattern, ...]
    guide_step: int | None = None
    guide_says: str | None = None
    seen_in_practice: str | None = None
    alternatives: tuple[Alternative, ...] = ()
    sources: tuple[str, ...] = ()
    examples: tuple[dict[str, Any], ...] = field(default=())


_PATTERN_KEYS = {
    "weight", "why", "text", "code", "enhanced", "stage", "secret", "provider", "arrived",
    "pop_smtp_on", "two_step_on", "from_differs", "near_cap", "probe_ok", "host", "port",
    "mechanism",
}  # fmt: skip


def _pattern(raw: dict[str, Any], where: str) -> Pattern:
    unknown = set(raw) - _PATTERN_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown pattern keys {sorted(unknown)}")

    def many(key: str) -> list[Any]:
        value = raw.get(key, [])
        return value if isinstance(value, list) else [value]

    return Pattern(
        weight=float(raw["weight"]),
        why=str(raw["why"]),
        # searched in the lowercased text: lowercase patterns run ~20x faster than IGNORECASE
        text=_lowercase_pattern(raw["text"], where) if "text" in raw else None,
        codes=frozenset(int(c) for c in many("code")),
        enhanced=frozenset(str(e) for e in many("enhanced")),
        stages=frozenset(Stage(s) for s in many("stage")),
        secret=frozenset(SecretKind(s) for s in many("secret")),
        provider=frozenset(Provider(p) for p in many("provider")),
        arrived=frozenset(str(a) for a in many("arrived")),
        pop_smtp_on=raw.get("pop_smtp_on"),
        two_step_on=raw.get("two_step_on"),
        from_differs=raw.get("from_differs"),
        near_cap=raw.get("near_cap"),
        probe_ok=raw.get("probe_ok"),
        host=re.compile(raw["host"], re.IGNORECASE) if "host" in raw else None,
        port=frozenset(int(p) for p in many("port")),
        mechanism=frozenset(str(m).upper() for m in many("mechanism")),
    )


def _lowercase_pattern(source: str, where: str) -> re.Pattern[str]:
    if re.search(r"\\[A-Z]", source):
        raise ValueError(f"{where}: write escapes in lower case only (\\d, \\s, \\b): {source!r}")
    return re.compile(source.lower())


@cache
def catalogue() -> dict[Category, Entry]:
    """The catalogue, read once from the package's catalogue.toml."""
    raw = tomllib.loads(resources.files(__package__).joinpath("catalogue.toml").read_text("utf-8"))
    entries: dict[Category, Entry] = {}
    for key, item in raw["category"].items():
        category = Category(key)
        entries[category] = Entry(
            category=category,
            group=item["group"],
            title=item["title"],
            explanation=" ".join(item["explanation"].split()),
            fix=tuple(" ".join(step.split()) for step in item["fix"]),
            patterns=tuple(
                _pattern(p, f"{key} pattern {i}") for i, p in enumerate(item.get("pattern", []))
            ),
            guide_step=item.get("guide_step"),
            guide_says=_prose(item.get("guide_says")),
            seen_in_practice=_prose(item.get("seen_in_practice")),
            alternatives=tuple(
                Alternative(Category(a["category"]), a["reason"])
                for a in item.get("alternatives", [])
            ),
            sources=tuple(item.get("sources", [])),
            examples=tuple(item.get("examples", [])),
        )
    missing = set(Category) - set(entries)
    if missing:
        raise ValueError(f"catalogue.toml has no entry for {sorted(missing)}")
    return entries


def _prose(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


# --- reading the input -----------------------------------------------------------------------
