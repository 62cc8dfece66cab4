"""Reading an error text: the reply code, the enhanced status code and the stage, wherever
they stand in a client's wrapper."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    pair = _CODE_ENHANCED.search(text)
    if pair:
        code, enhanced = int(pair.group(1)), pair.group(2)
        reply_at = pair.start()
        if enhanced[0] != str(code)[0]:  # "250 5.7.3" is two numbers, not a reply
            code, enhanced, reply_at = None, None, len(text)
    if enhanced is None:
        alone = _ENHANCED_ANY.search(text)
        if alone:
            enhanced, reply_at = alone.group(1), alone.start()
    if code is None:
        alone_code = _CODE_ALONE.search(text)
        if alone_code:
            code = int(alone_code.group(1))
            reply_at = min(reply_at, alone_code.start(1))
            if enhanced and enhanced[0] != str(code)[0]:
                code = None
    if code is not None:
        evidence.append(f"reply code {code}")
    if enhanced is not None:
        evidence.append(f"enhanced status code {enhanced}")
    inferred = False
    found = to_stage(stage)
    lower = text.lower()
    if found is None:
        clients_part = lower[:reply_at]
        for hint in stage_hints():
            if hint.text.search(lower if hint.anywhere else clients_part):
                found, inferred = hint.stage, True
                evidence.append(f"stage {hint.stage} inferred from {hint.why}")
                break
    return Parsed(text, code, enhanced, found, inferred, tuple(evidence), lower, reply_at)
