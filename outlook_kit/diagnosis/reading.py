"""Reading an error text: the reply code, the enhanced status code and the stage, wherever
they stand in a client's wrapper."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..accounts import Provider
from ..protocol import Stage
from .catalogue import stage_hints
from .values import MAX_TEXT


@dataclass(frozen=True)
class Parsed:
    """What an error text says on its face: the reply code, enhanced code and stage."""

    text: str
    code: int | None
    enhanced: str | None
    stage: Stage | None
    stage_inferred: bool
    evidence: tuple[str, ...]
    lower: str = ""  # the text lowercased once, where the patterns search
    reply_at: int = 0  # where the server's reply starts: before it, the client's own words
    # every enhanced code in the text: a bounce nests the remote server's inside its own
    enhanced_all: frozenset[str] = frozenset()
    # a pasted transcript in which the server offered STARTTLS and the client never sent it
    starttls_skipped: bool = False
    # a pasted transcript of a send the server accepted (DATA, and no 4xx or 5xx reply)
    accepted: bool = False
    # the kind of account the text names (a host, a product, an address), when it names one
    provider: Provider | None = None


# A reply code next to its enhanced code, in any wrapper: "535 5.7.3", "(535, b'5.7.3",
# "535: 5.7.139", "code: 535, response: 5.7.3". Bounded repetitions only: linear time.
_CODE_ENHANCED = re.compile(
    r"(?<!\d)([2-5][0-5]\d)(?!\d)[^0-9a-z]{0,12}(?:b['\"])?([245]\.\d{1,3}\.\d{1,3})(?![\d.])", re.I
)
_ENHANCED_ANY = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.]\d)")
_CODE_ALONE = re.compile(
    r"(?:^|[\s:;'\"(\[=<]|code\W{1,3}|said:\s?)([2-5][0-5]\d)(?=[\s\-:,'\")\]]|$)", re.I | re.M
)
_STAGE_ALIASES = {
    "tls": Stage.STARTTLS,
    "ssl": Stage.STARTTLS,
    "helo": Stage.EHLO,
    "login": Stage.AUTH,
    "mail": Stage.MAIL_FROM,
    "rcpt": Stage.RCPT_TO,
    "conn": Stage.CONNECT,
    "connection": Stage.CONNECT,
    "greeting": Stage.BANNER,
}


def _same_class(code: str, enhanced: str) -> bool:
    """Whether a reply code and an enhanced code can be one reply: the same class, or both
    failures (Outlook answers "451 5.7.3 STARTTLS is required to send mail")."""
    return code[0] == enhanced[0] or (code[0] in "45" and enhanced[0] in "45")


def to_stage(stage: Stage | str | None) -> Stage | None:
    """A Stage from its name or a common alias ("tls", "rcpt"); None for "unknown" or empty."""
    if stage is None or isinstance(stage, Stage):
        return stage
    name = stage.strip().lower().replace("-", "_").replace(" ", "_")
    if name in ("", "unknown", "none"):
        return None
    if name in _STAGE_ALIASES:
        return _STAGE_ALIASES[name]
    try:
        return Stage(name)
    except ValueError:
        names = ", ".join(str(s) for s in Stage)
        raise ValueError(f"unknown stage {stage!r}; use one of {names} (or leave it out)") from None


# A client's command line in a pasted transcript (curl -v "> ", swaks "->"/"~>", PHPMailer
# "CLIENT -> SERVER: ", msmtp --debug "--> ", "C: "), after an optional time stamp.
_COMMAND = re.compile(
    r"^[ \t\d:.,/\[\]-]{0,32}(?:client -> server: ?|c: ?|[~-]{0,2}> ?)"
    r"(ehlo|helo|starttls|auth|mail from|rcpt to|data|quit)\b",
    re.M,
)
_OFFERS_STARTTLS = re.compile(r"\b250[- ]starttls\b")
_COMMAND_STAGE = {
    "ehlo": Stage.EHLO,
    "helo": Stage.EHLO,
    "starttls": Stage.STARTTLS,
    "auth": Stage.AUTH,
    "mail from": Stage.MAIL_FROM,
    "rcpt to": Stage.RCPT_TO,
    "data": Stage.DATA,
    "quit": Stage.QUIT,
}


def _stage_from_words(
    lower: str, reply_at: int, commands: list[re.Match[str]]
) -> tuple[Stage | None, str]:
    """The stage the words tell: a client's own words, the last command of a transcript
    before the failing reply, or general words in the client's part of the text."""
    hints = stage_hints()
    for hint in hints:
        if hint.anywhere and hint.text.search(lower):
            return hint.stage, hint.why
    if commands:  # a transcript: the failing reply answered the last command
        command = commands[-1].group(1)
        return _COMMAND_STAGE[command], f"the transcript's last command before it ({command})"
    clients_part = lower[:reply_at]
    for hint in hints:
        if not hint.anywhere and hint.text.search(clients_part):
            return hint.stage, hint.why
    return None, ""


def _first(matches: Iterator[re.Match[str]]) -> re.Match[str] | None:
    """The first match that is a failure (4xx, 5xx), else the first match, else None."""
    first = None
    for match in matches:
        if match.group(1)[0] in "45":
            return match
        first = first or match
    return first


def parse_error(text: str | bytes, *, stage: Stage | str | None = None) -> Parsed:
    """Find the reply code, enhanced code and stage in an error text, wherever they stand."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.replace("\0", " ")
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT // 2] + "\n...\n" + text[-MAX_TEXT // 2 :]
    evidence: list[str] = []
    code: int | None = None
    enhanced: str | None = None
    reply_at = len(text)
    # In a transcript or a bounce the failure is the first 4xx/5xx reply, not the greeting.
    pair = _first(
        m for m in _CODE_ENHANCED.finditer(text) if _same_class(m.group(1), m.group(2))
    )  # "250 5.7.3" is two numbers, not a reply
    if pair:
        code, enhanced, reply_at = int(pair.group(1)), pair.group(2), pair.start()
    else:
        alone = _first(_ENHANCED_ANY.finditer(text))
        if alone:
            enhanced, reply_at = alone.group(1), alone.start()
        alone_code = _first(
            m
            for m in _CODE_ALONE.finditer(text)
            if not enhanced or _same_class(m.group(1), enhanced)
        )
        if alone_code:
            code = int(alone_code.group(1))
            reply_at = min(reply_at, alone_code.start(1))
    if code is not None:
        evidence.append(f"reply code {code}")
    if enhanced is not None:
        evidence.append(f"enhanced status code {enhanced}")
    inferred = False
    found = to_stage(stage)
    lower = text.lower()
    every_command = list(_COMMAND.finditer(lower))
    commands = [m for m in every_command if m.start() < reply_at]
    transcript = len(every_command) >= 2
    if found is None:
        found, why = _stage_from_words(lower, reply_at, commands if transcript else [])
        if found is not None:
            inferred = True
            evidence.append(f"stage {found} inferred from {why}")
    starttls_skipped = accepted = False
    if transcript:
        sent = {m.group(1) for m in every_command}
        starttls_skipped = "starttls" not in sent and bool(_OFFERS_STARTTLS.search(lower))
        failed = code is not None and str(code)[0] in "45"
        accepted = not failed and "data" in sent
        if failed:
            # what the server offered before the failure (250-AUTH LOGIN XOAUTH2) is no
            # cause: read from the failing reply's line on
            start = lower.rfind("\n", 0, reply_at) + 1
            text, lower, reply_at = text[start:], lower[start:], reply_at - start
            evidence.append("a transcript: read from the failing reply on")
        elif accepted:  # nothing failed: no word of the conversation is a cause
            text = lower = ""
            reply_at = 0
            evidence.append("a transcript of a send the server accepted")
        if starttls_skipped:
            evidence.append("the server offered STARTTLS and the client never sent it")
    every = frozenset(_ENHANCED_ANY.findall(text)) | ({enhanced} if enhanced else set())
    provider = _provider_named(lower)
    if provider is not None:
        evidence.append(f"the text names a {_PROVIDER_WORDS[provider]} account")
    return Parsed(
        text, code, enhanced, found, inferred, tuple(evidence), lower, reply_at, every,
        starttls_skipped, accepted, provider,
    )  # fmt: skip


# Words that name the kind of account: Microsoft 365's hosts and products, or the personal
# services' hosts and domains ("prod.outlook.com" is in both kinds' server names: no hint).
_WORK = re.compile(
    r"office ?365|\bo365\b|microsoft 365|\bm365\b|exchange online|onmicrosoft\.com|\btenant\b"
    r"|exchangelabs|azure ad|\bentra\b|security defaults"
)
_PERSONAL = re.compile(
    r"hotmail|@(?:outlook|live|msn)\.|smtp-mail\.outlook\.com|smtp\.live\.com|outlook\.live\.com"
    r"|outlook\.com account|personal (?:microsoft )?account"
)
_PROVIDER_WORDS = {
    Provider.MAYBE_WORK: "Microsoft 365 (work or school)",
    Provider.PERSONAL: "personal",
}


def _provider_named(lower: str) -> Provider | None:
    """The kind of account the text names, if it names one kind only."""
    work, personal = bool(_WORK.search(lower)), bool(_PERSONAL.search(lower))
    if work == personal:
        return None
    return Provider.MAYBE_WORK if work else Provider.PERSONAL
