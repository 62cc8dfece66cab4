"""Secrets that do not show: a `Secret` type, and a `Redactor` for text that might echo one.

A `Secret`'s repr and str are stars; the value comes out only through `reveal()`, called
at the AUTH command. A `Redactor` knows the secrets of one probe and scrubs them, plain
or in any base64 form (alone, or inside an AUTH PLAIN or XOAUTH2 blob), from any text
before it is kept.
"""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Iterable
from typing import Any, NoReturn

MASK = "********"


class Secret:
    """A password, App Password or token whose repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a Secret holds a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret itself. Call only where it is sent."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or copied into a file")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or copied into a file")


def base64_forms(value: bytes) -> set[str]:
    """Every base64 substring that encodes `value` whatever its offset inside a larger blob.

    A secret inside `\\0user\\0secret` (AUTH PLAIN) or an XOAUTH2 string is encoded at
    some offset mod 3; the middle of its encoding is the same for each offset.
    """
    forms: set[str] = set()
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + value + b"\0\0").decode()
        # Drop the characters that mix in the padding bytes on each side.
        start = (pad * 4 + 2) // 3
        end = ((pad + len(value)) * 4) // 3
        core = encoded[start:end]
        if len(core) >= 4:
            forms.add(core)
    forms.add(base64.b64encode(value).decode().rstrip("="))
    return {f for f in forms if f}


class Redactor:
    """Replaces known secrets, plain and base64, with stars in any text."""

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        self._needles: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Secret | str) -> None:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if len(value) < 3:  # too short to search for without starring ordinary text
            return
        self._needles.add(value)
        self._needles.update(base64_forms(value.encode()))
        self._pattern: re.Pattern[str] | None = None

    def scrub(self, text: str) -> str:
        """`text` with every known secret form replaced by stars."""
        if not self._needles:
            return text
        if getattr(self, "_pattern", None) is None:
            alternatives = sorted(self._needles, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(a) for a in alternatives))
        assert self._pattern is not None
        return self._pattern.sub(MASK, text)

    def scrub_obj(self, value: Any) -> Any:
        """Scrub every string inside a JSON-like structure."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self.scrub_obj(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_obj(v) for v in value]
        return value
