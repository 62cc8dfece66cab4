"""Certificates for the simulator's STARTTLS, made fresh at start with trustme.

A private CA signs a server certificate for the names a client may dial
(localhost, 127.0.0.1, ::1, smtp-mail.outlook.com). The CA is written to a PEM file
in a temporary directory so clients can verify against it. With `interception`, the
server instead presents a certificate from a second CA named like an antivirus
product, which the CA file cannot verify: what a client sees when antivirus or a
hosting provider intercepts port 587.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_NAMES = (
    "localhost",
    "127.0.0.1",
    "::1",
    "smtp-mail.outlook.com",
    "outlook.office365.com",  # IMAP
)
ORGANIZATION = "outlook-kit simulator (not Microsoft)"


@dataclass(frozen=True)
class TlsMaterial:
    """The server's TLS context and the CA file that verifies the genuine certificate."""

    context: ssl.SSLContext
    ca_file: Path
    directory: Path

    def remove(self) -> None:
        """Delete the temporary directory holding the CA file."""
        shutil.rmtree(self.directory, ignore_errors=True)


def make_tls(interception: str | None = None) -> TlsMaterial:
    """Create the CA, the server certificate and a TLS 1.2+ server context.

    Args:
        interception: None for the genuine certificate, or the organisation name of a
            foreign root (e.g. "Some AV Root") whose certificate the server presents.
    """
    ca = trustme.CA(organization_name=ORGANIZATION, organization_unit_name="Simulator CA")
    directory = Path(tempfile.mkdtemp(prefix="outlook-kit-sim-"))
    ca_file = directory / "simulator-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    if interception:
        signer = trustme.CA(organization_name=interception, organization_unit_name=interception)
        leaf = signer.issue_cert(
            *SERVER_NAMES, common_name="smtp-mail.outlook.com", organization_name=interception
        )
    else:
        leaf = ca.issue_cert(
            *SERVER_NAMES, common_name="smtp-mail.outlook.com", organization_name=ORGANIZATION
        )

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    leaf.configure_cert(context)
    return TlsMaterial(context=context, ca_file=ca_file, directory=directory)
