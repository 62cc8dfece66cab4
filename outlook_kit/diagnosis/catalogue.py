"""The catalogue of causes, read once from the package's data files (data, not code).

- `catalogue.toml`: one entry per category: title, explanation, fix, guide step, sources,
  and the patterns that recognise it;
- `ndr_codes.toml`: Microsoft's published Exchange Online non-delivery codes (enhanced
  status codes and AS(nnnn) codes), each mapped to a category with its page as the source;
  a code that decides does so whatever language the text around it is in;
- `client_words.toml`: the exact words common clients print around a failure, each with
  the source file it comes from: what stage the words tell, and the cause where the words
  alone tell one;
- `everyday_words.toml`: everyday words for what a failure is about ("password", "failed"),
  in the languages users and localised programs write in, for patterns that hold in any
  language.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..accounts import Provider, SecretKind
from ..protocol import Stage
from .values import Alternative, Category, Confidence


@dataclass(frozen=True)
class Pattern:
    """One way to recognise a category; every condition given must hold."""

    weight: float
    why: str
    text: re.Pattern[str] | None = None
    codes: frozenset[int] = frozenset()
    enhanced: frozenset[str] = frozenset()
    subject: frozenset[str] = frozenset()  # enhanced codes' class and subject: "5.1" for 5.1.x
    stages: frozenset[Stage] = frozenset()
    secret: frozenset[SecretKind] = frozenset()
    provider: frozenset[Provider] = frozenset()
    arrived: frozenset[str] = frozenset()
    pop_smtp_on: bool | None = None
    two_step_on: bool | None = None
    from_differs: bool | None = None
    near_cap: bool | None = None
    token_for_other: bool | None = None
    imap_refused: bool | None = None
    probe_ok: bool | None = None
    host: re.Pattern[str] | None = None
    port: frozenset[int] = frozenset()
    mechanism: frozenset[str] = frozenset()
    # a client said so: one of these groups of clients' words (client_words.toml) is in the text
    said: re.Pattern[str] | None = None
    # everyday words (everyday_words.toml): each of these groups is in the text, any language
    words: tuple[re.Pattern[str], ...] = ()
    starttls_skipped: bool | None = None  # a transcript shows STARTTLS offered and not used
    # the most this pattern alone may claim: a text two causes give alike says `medium`
    max_confidence: Confidence | None = None
    source: str | None = None

    @property
    def reads_context(self) -> bool:
        """Whether the pattern holds on what is known beside the text (the secret's kind,
        the checklist, the probe, the arrival check), not on the text alone."""
        facts = (self.secret, self.arrived, self.host, self.port, self.mechanism)
        flags = (
            self.pop_smtp_on, self.two_step_on, self.from_differs, self.near_cap,
            self.token_for_other, self.imap_refused, self.probe_ok,
        )  # fmt: skip
        return any(facts) or any(flag is not None for flag in flags)


@dataclass(frozen=True)
class StageHint:
    """Words that tell which SMTP stage an error came from.

    `anywhere` hints (a client's exception name, its words for a refused command) are
    searched in the whole text; the others only in the client's words before the server's
    reply, so that "the sender's quota" inside a reply never makes a MAIL FROM error.
    """

    stage: Stage
    text: re.Pattern[str]
    why: str
    anywhere: bool
    source: str | None = None


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
    refuses_signin: bool = False  # the cause shows as a refused sign-in


_PATTERN_KEYS = {
    "weight", "why", "text", "code", "enhanced", "subject", "stage", "secret", "provider",
    "arrived", "pop_smtp_on", "two_step_on", "from_differs", "near_cap", "probe_ok", "host",
    "port", "mechanism", "max_confidence", "source", "token_for_other", "said",
    "starttls_skipped", "imap_refused", "words",
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
        subject=frozenset(str(e) for e in many("subject")),
        stages=frozenset(Stage(s) for s in many("stage")),
        secret=frozenset(SecretKind(s) for s in many("secret")),
        provider=frozenset(Provider(p) for p in many("provider")),
        arrived=frozenset(str(a) for a in many("arrived")),
        pop_smtp_on=raw.get("pop_smtp_on"),
        two_step_on=raw.get("two_step_on"),
        from_differs=raw.get("from_differs"),
        near_cap=raw.get("near_cap"),
        token_for_other=raw.get("token_for_other"),
        imap_refused=raw.get("imap_refused"),
        probe_ok=raw.get("probe_ok"),
        host=re.compile(raw["host"], re.IGNORECASE) if "host" in raw else None,
        port=frozenset(int(p) for p in many("port")),
        mechanism=frozenset(str(m).upper() for m in many("mechanism")),
        said=_said(many("said"), where) if "said" in raw else None,
        words=tuple(_everyday(group, where) for group in many("words")),
        starttls_skipped=raw.get("starttls_skipped"),
        max_confidence=Confidence(raw["max_confidence"]) if "max_confidence" in raw else None,
        source=raw.get("source"),
    )


def _said(groups: list[str], where: str) -> re.Pattern[str]:
    """One regex for every client's words of these groups."""
    words = client_words()
    unknown = [g for g in groups if g not in words]
    if unknown:
        raise ValueError(f"{where}: no client words of group {unknown} in client_words.toml")
    return re.compile("|".join(f"(?:{words[g]})" for g in groups))


def _everyday(group: str, where: str) -> re.Pattern[str]:
    """One regex for a group of everyday words, every language's words in it."""
    groups = everyday_words()
    if group not in groups:
        raise ValueError(f"{where}: no group {group!r} in everyday_words.toml")
    return groups[group]


@cache
def everyday_words() -> dict[str, re.Pattern[str]]:
    """Each group of everyday_words.toml as one regex over all its languages."""
    found = {}
    for name, group in _read("everyday_words.toml")["group"].items():
        where = f"everyday_words.toml group {name}"
        # one flat alternation: every alternative starts with a letter, so the engine scans
        # for their first letters instead of trying each alternative at every position
        found[name] = _lowercase_pattern("|".join(group["words"].values()), where)
    return found


def _lowercase_pattern(source: str, where: str) -> re.Pattern[str]:
    if re.search(r"\\[A-Z]", source):
        raise ValueError(f"{where}: write escapes in lower case only (\\d, \\s, \\b): {source!r}")
    return re.compile(source.lower())


@cache
def _read(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files(__package__).joinpath(name).read_text("utf-8"))


@cache
def catalogue() -> dict[Category, Entry]:
    """The catalogue, read once: the categories, Microsoft's codes and the clients' words."""
    raw = _read("catalogue.toml")
    extra: dict[Category, list[Pattern]] = {}
    for where, category, pattern in _ndr_patterns():
        if category not in raw["category"]:
            raise ValueError(f"{where}: unknown category {category!r}")
        extra.setdefault(Category(category), []).append(pattern)
    entries: dict[Category, Entry] = {}
    for key, item in raw["category"].items():
        category = Category(key)
        entries[category] = Entry(
            category=category,
            group=item["group"],
            title=item["title"],
            explanation=" ".join(item["explanation"].split()),
            fix=tuple(" ".join(step.split()) for step in item["fix"]),
            patterns=(
                *(_pattern(p, f"{key} pattern {i}") for i, p in enumerate(item.get("pattern", []))),
                *extra.get(category, ()),
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
            refuses_signin=bool(item.get("refuses_signin", False)),
        )
    missing = set(Category) - set(entries)
    if missing:
        raise ValueError(f"catalogue.toml has no entry for {sorted(missing)}")
    return entries


# How much a code of Microsoft's list weighs: one that names its cause outweighs a client's
# vague words (6) but not a text that names the cause (10 and more); one shared by several
# causes only ranks them.
NDR_DECIDES, NDR_SHARED, NDR_ALSO = 8.0, 5.0, 4.0


def _ndr_patterns() -> list[tuple[str, str, Pattern]]:
    """Microsoft's non-delivery codes as patterns: an enhanced code, or an AS(nnnn) code."""
    found = []
    for i, code in enumerate(_read("ndr_codes.toml").get("code", [])):
        where = f"ndr_codes.toml code {i} ({code.get('enhanced') or code.get('as_code')})"
        label = code.get("enhanced") or f"AS({code['as_code']})"
        why = f"{label}: {code['meaning']} (Microsoft's list of non-delivery codes)"
        if "enhanced" in code:
            condition: dict[str, Any] = {"enhanced": _code_range(code["enhanced"])}
        else:
            condition = {"text": rf"\bas\({code['as_code']}\)"}
        weight = NDR_DECIDES if code["decides"] else NDR_SHARED
        raw = {**condition, "weight": weight, "why": why, "source": code["source"]}
        if "text" in code:  # a code whose cause only its (English) text tells
            raw["text"] = code["text"]
        found.append((where, code["category"], _pattern(raw, where)))
        for other in code.get("also", []):
            also = {**raw, "weight": NDR_ALSO, "why": f"{label} also means: {other['means']}"}
            found.append((where, other["category"], _pattern(also, where)))
    return found


def _code_range(code: str) -> list[str]:
    """["5.7.1"] for "5.7.1"; every code of a range such as "4.7.500-699"."""
    head, _, last = code.partition("-")
    if not last:
        return [head]
    prefix, first = head.rsplit(".", 1)
    return [f"{prefix}.{n}" for n in range(int(first), int(last) + 1)]


@cache
def client_words() -> dict[str, str]:
    """The clients' words by group ("signin_refused": every client's words for a refused
    sign-in), each group one regex source, for the catalogue's `said` conditions."""
    groups: dict[str, list[str]] = {}
    for i, words in enumerate(_read("client_words.toml").get("words", [])):
        if "said" in words:
            _lowercase_pattern(words["text"], f"client_words.toml words {i}")  # it compiles
            groups.setdefault(words["said"], []).append(words["text"])
    return {group: "|".join(f"(?:{text})" for text in texts) for group, texts in groups.items()}


@cache
def stage_hints() -> tuple[StageHint, ...]:
    """The clients' words that tell the stage, in the order they are tried."""
    hints = []
    for i, words in enumerate(_read("client_words.toml").get("words", [])):
        if "stage_hint" not in words:
            continue
        where = f"client_words.toml words {i} ({words['client']})"
        hints.append(
            StageHint(
                stage=Stage(words["stage_hint"]),
                text=_lowercase_pattern(words["text"], where),
                why=f"{words['client']}'s words for {words['what']}",
                anywhere=words.get("anywhere", True),
                source=words.get("source"),
            )
        )
    # the specific words (anywhere) before the general ones (the client's part only)
    return tuple(sorted(hints, key=lambda h: not h.anywhere))


def _prose(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


# --- reading the input -----------------------------------------------------------------------
