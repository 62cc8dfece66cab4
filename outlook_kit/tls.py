"""TLS for the probe: the client context, and what a server's certificate says.

Certificates are verified by default against the system's CAs; a CA file (the
simulator's) or an explicit insecure switch is for the simulator and for tests.
"""

from __future__ import annotations

import ssl
from dataclasses import asdict, dataclass
from typing import Any

from cryptography import x509


@dataclass(frozen=True)
class TlsInfo:
    """The TLS session the probe got (or, after a failed verification, what was presented)."""

    version: str | None
    cipher: str | None
    subject: str | None
    issuer: str | None
    verified: bool
    not_after: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        state = "verified" if self.verified else f"NOT verified ({self.error or 'insecure mode'})"
        return (
            f"{self.version} {self.cipher}; subject {self.subject}; issuer {self.issuer}; {state}"
        )


def client_context(*, cafile: str | None = None, insecure: bool = False) -> ssl.SSLContext:
    """A client context: TLS 1.2 or newer, verified against `cafile` or the system's CAs."""
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def certificate_names(der: bytes | None) -> tuple[str | None, str | None, str | None]:
    """(subject, issuer, not_after) of a DER certificate, as RFC 4514 strings."""
    if not der:
        return None, None, None
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None, None, None
    return (
        cert.subject.rfc4514_string(),
        cert.issuer.rfc4514_string(),
        cert.not_valid_after_utc.isoformat(),
    )


def tls_info(ssl_object: ssl.SSLObject | ssl.SSLSocket | None, *, verified: bool) -> TlsInfo:
    """Read the negotiated version, cipher and the peer's certificate off a TLS object."""
    if ssl_object is None:
        return TlsInfo(None, None, None, None, verified=False, error="no TLS session")
    cipher = ssl_object.cipher()
    subject, issuer, not_after = certificate_names(ssl_object.getpeercert(binary_form=True))
    return TlsInfo(
        version=ssl_object.version(),
        cipher=cipher[0] if cipher else None,
        subject=subject,
        issuer=issuer,
        verified=verified,
        not_after=not_after,
    )
