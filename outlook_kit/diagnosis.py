"""Name the cause of an Outlook SMTP failure, and the fix.

`diagnose()` reads a `ProbeReport` or an error text as any client prints it, with an
optional stage and `Context`, and returns a `Diagnosis` value. The knowledge lives in
`catalogue.toml` (one entry per category: patterns, meaning, fix, guide step, sources);
this module only parses the input and scores the catalogue's patterns against it. No I/O
beyond reading the catalogue once.

Scoring: each pattern names conditions (a text regex, reply codes, enhanced codes,
stages, context answers) and a weight. A category scores the weight of its best matching
pattern; the top category wins, the others that matched become ranked alternatives, each
with its reason. Context outweighs text where text cannot decide (a bare 535 5.7.139 means
one thing with the regular password and another with an App Password).
"""

from __future__ import annotations

import dataclasses
import enum
import re
import tomllib
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .accounts import Provider, SecretKind, provider_of
from .errors import AddressError
from .protocol import ENHANCED_RE, Stage

if TYPE_CHECKING:
    from .probe import ProbeReport

MAX_TEXT = 1 << 20  # a megabyte is read; beyond it, the head and the tail


class Category(enum.StrEnum):
    """Stable ids of causes (used by the CLI's JSON, the simulator's lessons, the notebooks)."""

    # sign-in
    APP_PASSWORD_REQUIRED = "app_password_required"
    BASIC_AUTH_DISABLED = "basic_auth_disabled"
    POP_SMTP_DISABLED = "pop_smtp_disabled"
    WRONG_CREDENTIALS = "wrong_credentials"
    TWO_STEP_REQUIRED = "two_step_required"
    TENANT_SMTP_AUTH_DISABLED = "tenant_smtp_auth_disabled"
    SECURITY_DEFAULTS_BLOCK = "security_defaults_block"
    OAUTH_TOKEN_REJECTED = "oauth_token_rejected"
    AUTH_MECHANISM_UNSUPPORTED = "auth_mechanism_unsupported"
    AUTH_NOT_ATTEMPTED = "auth_not_attempted"
    SIGNIN_VERIFICATION_REQUIRED = "signin_verification_required"
    # transport
    TLS_REQUIRED = "tls_required"
    WRONG_TLS_MODE = "wrong_tls_mode"
    TLS_VERSION_UNSUPPORTED = "tls_version_unsupported"
    TLS_INTERCEPTION = "tls_interception"
    CONNECTION_BLOCKED = "connection_blocked"
    WRONG_ENDPOINT = "wrong_endpoint"
    INVALID_EHLO_HOSTNAME = "invalid_ehlo_hostname"
    CLIENT_PROTOCOL_ERROR = "client_protocol_error"
    # sending
    SEND_AS_DENIED = "send_as_denied"
    DAILY_LIMIT_REACHED = "daily_limit_reached"
    ACCOUNT_BLOCKED_SPAM = "account_blocked_spam"
    RATE_LIMITED_TEMPORARY = "rate_limited_temporary"
    RECIPIENT_REJECTED = "recipient_rejected"
    CONTENT_REJECTED = "content_rejected"
    EXTERNAL_FORWARDING_BLOCKED = "external_forwarding_blocked"
    BARE_LINEFEED = "bare_linefeed"
    MESSAGE_TOO_LARGE = "message_too_large"
    # no failure to explain (a clean probe), and anything else
    NO_FAILURE = "no_failure"
    UNKNOWN = "unknown"


class Confidence(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


Arrived = str  # "yes", "no" or "junk": the answer to "did the test mail arrive?"


@dataclass(frozen=True)
class Context:
    """What the user or the probe knows beyond the error text. Every field is optional.

    Attributes:
        host, port: where the client connected.
        mechanism: the AUTH mechanism used (LOGIN, PLAIN, XOAUTH2), or "none" if the
            client was set not to sign in.
        secret_kind: whether the secret was an App Password, the regular password or a token.
        account: the signed-in address (its domain tells personal from work accounts).
        from_addr: the From used; compared with `account` for send-as problems.
        pop_smtp_on: the guide's step 1 answer ("Let devices and apps use POP" is Yes).
        two_step_on: the guide's step 2 answer (two-step verification is on).
        arrived: the answer to "did the test mail arrive?": "yes", "no" or "junk".
        recent_recipients_24h, cap: the account's recent volume and its (assumed) cap,
            to weigh the guide's reading of 5.4.1 as the daily cap.
    """

    host: str | None = None
    port: int | None = None
    mechanism: str | None = None
    secret_kind: SecretKind | None = None
    account: str | None = None
    from_addr: str | None = None
    pop_smtp_on: bool | None = None
    two_step_on: bool | None = None
    arrived: Arrived | None = None
    recent_recipients_24h: int | None = None
    cap: int | None = None

    def __post_init__(self) -> None:
        if self.arrived is not None and self.arrived not in ("yes", "no", "junk"):
            raise ValueError(f"arrived must be 'yes', 'no' or 'junk', not {self.arrived!r}")
        if self.secret_kind is not None:
            object.__setattr__(self, "secret_kind", SecretKind(self.secret_kind))

    @property
    def provider(self) -> Provider | None:
        if not self.account:
            return None
        try:
            return provider_of(self.account)
        except AddressError:
            return None

    @property
    def from_differs(self) -> bool | None:
        if not self.account or not self.from_addr:
            return None
        return self.account.strip().lower() != self.from_addr.strip().lower()

    @property
    def near_cap(self) -> bool | None:
        if self.recent_recipients_24h is None or not self.cap:
            return None
        return self.recent_recipients_24h >= 0.9 * self.cap


@dataclass(frozen=True)
class Alternative:
    """Another likely cause, with the reason it is likely."""

    category: Category
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"category": str(self.category), "reason": self.reason}


@dataclass(frozen=True)
class Diagnosis:
    """The named cause of a failure, in plain words, with the fix."""

    category: Category
    title: str
    explanation: str
    fix: tuple[str, ...]
    confidence: Confidence
    evidence: tuple[str, ...]
    alternatives: tuple[Alternative, ...] = ()
    guide_step: int | None = None
    guide_says: str | None = None
    seen_in_practice: str | None = None
    code: int | None = None
    enhanced: str | None = None
    stage: Stage | None = None
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            category=str(self.category),
            confidence=str(self.confidence),
            fix=list(self.fix),
            evidence=list(self.evidence),
            alternatives=[a.to_dict() for a in self.alternatives],
            stage=str(self.stage) if self.stage else None,
            sources=list(self.sources),
        )
        return data

    def __str__(self) -> str:
        lines = [f"{self.title} [{self.category}, {self.confidence} confidence]", self.explanation]
        lines += [f"  {i}. {step}" for i, step in enumerate(self.fix, 1)]
        return "\n".join(lines)


# --- the catalogue ---------------------------------------------------------------------------


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


# A reply code next to its enhanced code, in any wrapper: "535 5.7.3", "(535, b'5.7.3",
# "535: 5.7.139", "code: 535, response: 5.7.3". Bounded repetitions only: linear time.
_CODE_ENHANCED = re.compile(
    r"(?<!\d)([2-5][0-5]\d)(?!\d)[^0-9a-z]{0,12}(?:b['\"])?([245]\.\d{1,3}\.\d{1,3})(?![\d.])", re.I
)
_ENHANCED_ANY = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.]\d)")
_CODE_ALONE = re.compile(
    r"(?:^|[\s:;'\"(\[=<]|code\W{1,3}|said:\s?)([2-5][0-5]\d)(?=[\s\-:,'\")\]]|$)", re.I | re.M
)
# Markers of the stage an error came from: the specific ones (exception names, the
# command a reply answered) first, then the general words.
_STAGE_HINTS: tuple[tuple[Stage, re.Pattern[str], str], ...] = tuple(
    (Stage(stage), re.compile(rx.lower()), why)
    for stage, rx, why in (
        ("rcpt_to", r"SMTPRecipientsRefused|in reply to RCPT TO|RCPT TO:", "the RCPT TO command"),
        ("mail_from", r"SMTPSenderRefused|in reply to MAIL FROM|during MAIL FROM",
         "the MAIL FROM command"),
        ("data", r"SMTPDataError|end of DATA|DATA END|data not accepted", "the DATA command"),
        ("ehlo", r"SMTPHeloError|in reply to (?:EHLO|HELO)", "the EHLO command"),
        ("auth", r"SMTPAuthenticationError|invalid login|AuthenticationException|"
         r"could not authenticate|AUTH extension", "the sign-in"),
        ("connect", r"command:\s*'CONN'|\bconnect\s+E(?:TIMEDOUT|CONNREFUSED|HOSTUNREACH)|"
         r"could not connect|unable to connect|connection (?:timed out|refused)|"
         r"greeting never received|connect\(\) failed|connection error", "a connection error"),
        ("starttls", r"SSL routines|handshake|certificate|\bSSL\b|TLS 1\.[01]", "a TLS error"),
        ("auth", r"authenticat|password|credentials|\blogin\b", "a sign-in error"),
        ("ehlo", r"\bEHLO\b|\bHELO\b|invalid domain name", "an EHLO error"),
        ("rcpt_to", r"recipient|mailbox unavailable", "a recipient error"),
        ("mail_from", r"send as|sender", "a sender error"),
        ("data", r"\bDATA\b|message", "a message error"),
    )
)  # fmt: skip


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
    pair = _CODE_ENHANCED.search(text)
    if pair:
        code, enhanced = int(pair.group(1)), pair.group(2)
        if enhanced[0] != str(code)[0]:  # "250 5.7.3" is two numbers, not a reply
            code, enhanced = None, None
    if enhanced is None:
        alone = _ENHANCED_ANY.search(text)
        enhanced = alone.group(1) if alone else None
    if code is None:
        alone_code = _CODE_ALONE.search(text)
        if alone_code:
            code = int(alone_code.group(1))
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
        for candidate, rx, why in _STAGE_HINTS:
            if rx.search(lower):
                found, inferred = candidate, True
                evidence.append(f"stage {candidate} inferred from {why}")
                break
    return Parsed(text, code, enhanced, found, inferred, tuple(evidence), lower)


# --- scoring ---------------------------------------------------------------------------------


def _matches(p: Pattern, parsed: Parsed, ctx: Context, probe_ok: bool | None) -> bool:
    if p.codes and parsed.code not in p.codes:
        return False
    if p.enhanced and parsed.enhanced not in p.enhanced:
        return False
    if p.stages:
        stage = parsed.stage
        # the probe's two EHLOs and the tls stage are one stage to a pasted text
        if stage is Stage.EHLO_TLS:
            stage = Stage.EHLO
        if stage not in p.stages:
            return False
    if p.secret and ctx.secret_kind not in p.secret:
        return False
    if p.provider and ctx.provider not in p.provider:
        return False
    if p.arrived and ctx.arrived not in p.arrived:
        return False
    for name in ("pop_smtp_on", "two_step_on"):
        want = getattr(p, name)
        if want is not None and getattr(ctx, name) is not want:
            return False
    if p.from_differs is not None and ctx.from_differs is not p.from_differs:
        return False
    if p.near_cap is not None and ctx.near_cap is not p.near_cap:
        return False
    if p.probe_ok is not None and probe_ok is not p.probe_ok:
        return False
    if p.host is not None and not (ctx.host and p.host.search(ctx.host)):
        return False
    if p.port and ctx.port not in p.port:
        return False
    if p.mechanism and (ctx.mechanism or "").upper() not in p.mechanism:
        return False
    return not (p.text is not None and not p.text.search(parsed.lower))


def _score(
    parsed: Parsed, ctx: Context, probe_ok: bool | None
) -> list[tuple[float, Category, Pattern]]:
    best: dict[Category, tuple[float, Pattern]] = {}
    for entry in catalogue().values():
        for pattern in entry.patterns:
            if pattern.weight > best.get(entry.category, (0.0, pattern))[0] and _matches(
                pattern, parsed, ctx, probe_ok
            ):
                best[entry.category] = (pattern.weight, pattern)
    ranked = sorted(
        ((w, c, p) for c, (w, p) in best.items()), key=lambda item: -item[0]
    )  # stable: catalogue order breaks ties
    return ranked


def diagnose(
    subject: ProbeReport | str | bytes,
    /,
    *,
    stage: Stage | str | None = None,
    context: Context | None = None,
) -> Diagnosis:
    """Name the cause of a failure and the fix.

    Args:
        subject: a ProbeReport, or an error text as any client prints it.
        stage: the stage the error came from, if known (a ProbeReport brings its own).
        context: what else is known: the secret's kind, the account, the checklist answers.

    Returns:
        A Diagnosis; `category` is one of `Category`, `unknown` when nothing matched.
    """
    ctx = context or Context()
    probe_ok: bool | None = None
    if isinstance(subject, str | bytes):
        parsed = parse_error(subject, stage=stage)
    else:
        parsed, ctx, probe_ok = _from_report(subject, ctx)
    ranked = _score(parsed, ctx, probe_ok)
    if not ranked:
        return _unknown(parsed)
    weight, category, pattern = ranked[0]
    entry = catalogue()[category]
    margin = weight - (ranked[1][0] if len(ranked) > 1 else 0.0)
    confidence = (
        Confidence.HIGH
        if weight >= 9 and margin >= 2
        else Confidence.MEDIUM
        if weight >= 6 and margin >= 1
        else Confidence.LOW
    )
    # The catalogue's own ranking of the likely alternatives first, then whatever else matched.
    alternatives = list(entry.alternatives)
    for _w, other, other_pattern in ranked[1:]:
        if all(a.category != other for a in alternatives):
            alternatives.append(Alternative(other, other_pattern.why))
    return Diagnosis(
        category=category,
        title=entry.title,
        explanation=entry.explanation,
        fix=entry.fix,
        confidence=confidence,
        evidence=(*parsed.evidence, pattern.why),
        alternatives=tuple(alternatives[:4]),
        guide_step=entry.guide_step,
        guide_says=entry.guide_says,
        seen_in_practice=entry.seen_in_practice,
        code=parsed.code,
        enhanced=parsed.enhanced,
        stage=parsed.stage,
        sources=entry.sources,
    )


def _from_report(report: ProbeReport, ctx: Context) -> tuple[Parsed, Context, bool]:
    """The failing stage's reply (or note) as text, and the report's facts as context."""
    failure = report.failure
    if failure is None:
        text, code, enhanced, stage = "", None, None, None
    else:
        reply = failure.reply
        text = str(reply) if reply else (failure.note or "")
        code, enhanced, stage = failure.code, failure.enhanced, failure.stage
    merged = dataclasses.replace(
        ctx,
        host=ctx.host or report.host,
        port=ctx.port or report.port,
        secret_kind=ctx.secret_kind or report.secret_kind,
        account=ctx.account or report.user,
        from_addr=ctx.from_addr or report.from_addr,
    )
    evidence = [f"the probe failed at {stage}"] if stage else ["the probe passed every stage"]
    if code is not None:
        evidence.append(
            f"reply code {code}" + (f", enhanced status code {enhanced}" if enhanced else "")
        )
    parsed = Parsed(text, code, enhanced, stage, False, tuple(evidence), text.lower())
    return parsed, merged, failure is None


# --- unknown: explained from its parts -------------------------------------------------------

_REPLY_CLASS = {
    2: "a success reply (2xx)",
    3: "an intermediate reply (3xx): the server waits for more",
    4: "a temporary failure (4xx): the same send may work later",
    5: "a permanent failure (5xx): retrying unchanged will fail again",
}
_SUBJECT = {
    0: "other or undefined status",
    1: "addressing (a sender or recipient address)",
    2: "the mailbox",
    3: "the mail system",
    4: "network or routing",
    5: "the mail delivery protocol",
    6: "the message content or media",
    7: "security or policy",
}


def explain_code(code: int | None, enhanced: str | None) -> str:
    """Plain words for a reply code and an enhanced status code (RFC 5321, RFC 3463)."""
    parts = []
    if code is not None and code // 100 in _REPLY_CLASS:
        parts.append(f"{code} is {_REPLY_CLASS[code // 100]}")
    if enhanced and ENHANCED_RE.match(enhanced):
        klass, subject, detail = (int(x) for x in enhanced.split("."))
        kind = {5: "permanent", 4: "temporary"}.get(klass, "success")
        about = _SUBJECT.get(subject, "not defined by RFC 3463")
        parts.append(
            f"{enhanced}: class {klass} ({kind}), subject {subject} ({about}), detail {detail}"
        )
    return "; ".join(parts)


def _unknown(parsed: Parsed) -> Diagnosis:
    entry = catalogue()[Category.UNKNOWN]
    if not parsed.text.strip():
        explanation = "There is no error text to read: paste the whole error message."
        evidence: tuple[str, ...] = ("the input is empty",)
    else:
        parts = explain_code(parsed.code, parsed.enhanced)
        where = f" It came at the {parsed.stage} stage." if parsed.stage else ""
        said = f"What the codes say: {parts}." if parts else "No SMTP reply code was found."
        explanation = f"{entry.explanation} {said}{where}"
        evidence = (*parsed.evidence, "no pattern of the catalogue matched")
    return Diagnosis(
        category=Category.UNKNOWN,
        title=entry.title,
        explanation=explanation,
        fix=entry.fix,
        confidence=Confidence.LOW,
        evidence=evidence,
        code=parsed.code,
        enhanced=parsed.enhanced,
        stage=parsed.stage,
    )
