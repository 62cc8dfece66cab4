"""Every line the simulator answers with, and where each text was seen.

Texts are copied from real Outlook.com / Exchange Online replies people pasted in
public threads (source given beside each), or from the setup guide the kit teaches
where the guide quotes a reply. Only the bracketed server suffix is made up per
session, in the shapes real servers use:

- front end: ``[BN9PR03CA0123.namprd03.prod.outlook.com 2026-01-05T09:00:00.123Z 08DE...]``
  (nodemailer/nodemailer#1661, twikoojs/twikoo#840)
- mailbox store: ``[Hostname=BN9PR03MB6102.namprd03.prod.outlook.com]``
  (Youans/nodejs-nodemailer-outlook#11, v2board/v2board#148)
- recipient's edge: ``[BN8NAM12FT011.eop-nam12.prod.protection.outlook.com]``
  (zone-eu/zone-mta#214)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

HOST = "BN9PR03CA0123"
"""The front-end server name (the brief's example; Microsoft's pattern: region, role CA, number)."""
REGION = "namprd03"
STORE_HOST = "BN9PR03MB6102"
EDGE_HOST = "BN8NAM12FT011.eop-nam12.prod.protection.outlook.com"

# --- connection -----------------------------------------------------------------------------
# Exchange's greeting, e.g. "220 BN9PR03CA0123.outlook.office365.com Microsoft ESMTP MAIL
# Service ready at Mon, 5 Jan 2026 09:00:00 +0000" (session transcripts with smtp-mail.outlook.com).
BANNER_IDENT = "Microsoft ESMTP MAIL Service ready at {date}"
# Exchange's 4.3.2 text (MicrosoftDocs/OfficeDocs-Exchange#2292: "Service not available").
SERVICE_NOT_AVAILABLE = "421 4.3.2 Service not available, closing transmission channel"
STARTTLS_READY = "220 2.0.0 SMTP server ready"
CLOSING = "221 2.0.0 Service closing transmission channel"
# sabuhish/fastapi-mail#205: the trailing-dot host name from socket.getfqdn().
INVALID_DOMAIN = "501 5.5.4 Invalid domain name {suffix}"

# --- authentication -------------------------------------------------------------------------
AUTH_OK = "235 2.7.0 Authentication successful"
# sensu/sensu-email-handler#18 (AUTH PLAIN to Outlook), deanproxy/eMail#44 (no AUTH offered).
AUTH_UNRECOGNIZED = "504 5.7.4 Unrecognized authentication type {suffix}"
# Wrong or unknown credentials, and an OAuth token not accepted: nodemailer/nodemailer#1661,
# mamont77/skillspeople#158, geoffsmith82/GmailAuthSMTP#15 (XOAUTH2).
AUTH_FAILED = "535 5.7.3 Authentication unsuccessful {suffix}"
# The setup guide's troubleshooting table: the regular password was sent.
AUTH_REGULAR_PASSWORD = "535 5.7.139 Authentication unsuccessful {suffix}"
# twikoojs/twikoo#840, daleghent/nina-ground-station#17 (App Password refused since 2024-09-16).
AUTH_BASIC_DISABLED = (
    "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. {suffix}"
)
# thunderbird/thunderbird-android#11198 (new personal account, even with OAuth2).
AUTH_SMTP_DISABLED = (
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
    "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. {suffix}"
)
# POP/SMTP access switched off ("reject" behaviour). No public thread shows the exact reply for
# this switch; the corpus files the plain 5.7.3 text under pop_smtp_disabled as a runner-up
# cause (mehedinaeem/FoodManagement notes, nodemailer/nodemailer#1661) and the guide says
# "a 535 here means: go back to step 1", so the simulator answers the plain 5.7.3 text. It
# differs from the guide's 5.7.139 (regular password) on purpose: a diagnosis must not read
# this 535 as "use an App Password".
AUTH_POP_DISABLED = AUTH_FAILED

# --- envelope -------------------------------------------------------------------------------
SENDER_OK = "250 2.1.0 Sender OK"
RECIPIENT_OK = "250 2.1.5 Recipient OK"
START_MAIL_INPUT = "354 Start mail input; end with <CRLF>.<CRLF>"
RESET_OK = "250 2.0.0 Resetting"
NOOP_OK = "250 2.0.0 OK"
# simonrob/email-oauth2-proxy#315; the trailing period as Exchange writes it.
NOT_AUTHENTICATED = "530 5.7.57 Client not authenticated to send mail. {suffix}"
# The setup guide and swiftmailer/swiftmailer#1030, WWBN/AVideo#1017.
SEND_AS_DENIED = "550 5.7.60 SMTP; Client does not have permissions to send as this sender {suffix}"
# v2board/v2board#148: more than 3 concurrent sessions of one mailbox.
THREAD_LIMIT = "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded {store}"
# zone-eu/zone-mta#214: a Microsoft-hosted domain refusing an address it does not know.
RECIPIENT_UNKNOWN = "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [{edge}]"
# The setup guide: "hitting the cap answers 550 5.4.1 Recipient address rejected: Access denied".
CAP_GUIDE = "550 5.4.1 Recipient address rejected: Access denied {suffix}"

# --- message --------------------------------------------------------------------------------
# Microsoft's text for the daily submission quota, as quoted from
# learn.microsoft.com/exchange/troubleshoot/send-emails/smtp-submission-improvements in the
# Messaging Protection wiki ("Exceeded RRL or Submission Quota"); FIELD_NOTES section 2.
CAP_QUOTA = (
    "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process "
    "message due to a permanent exception with message The message can't be submitted because "
    "the sender's submission quota was exceeded. {store}"
)
# Youans/nodejs-nodemailer-outlook#11, with the account's verdict put in.
SPAM_HOLD = (
    "554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; Failed to process message due "
    "to a permanent exception with message WASCL UserAction verdict is not None. Actual verdict is "
    "{verdict}. OutboundSpamException: WASCL UserAction verdict is not None. Actual verdict is "
    "{verdict}. {store}"
)
# PHPMailer/PHPMailer#3067.
BARE_LINEFEEDS = (
    "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which cannot be "
    "sent via DATA and receiving system does not support BDAT {suffix}"
)
QUEUED = "250 2.0.0 OK <{message_id}> {store}"
# ActiveCampaign/smtp-field-manual 451.json: Microsoft's wording for a transient failure.
TEMPORARY_ERROR = "451 4.7.0 Temporary server error. Please try again later. PRX4"


@dataclass(frozen=True)
class Stamp:
    """The server identity of one session, which every reply suffix is built from."""

    host: str = HOST
    region: str = REGION
    store_host: str = STORE_HOST
    session_id: str = field(default_factory=lambda: "08DE" + secrets.token_hex(6).upper())

    @property
    def fqdn(self) -> str:
        """The name in the banner and the EHLO greeting."""
        return f"{self.host}.outlook.office365.com"

    def suffix(self, now: datetime) -> str:
        """The front end's bracket: host, time of the reply, session id."""
        when = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        return f"[{self.host}.{self.region}.prod.outlook.com {when} {self.session_id}]"

    def store(self) -> str:
        """The mailbox store's bracket."""
        return f"[Hostname={self.store_host}.{self.region}.prod.outlook.com]"

    def banner_ident(self, now: datetime) -> str:
        return BANNER_IDENT.format(date=format_datetime(now))

    def render(self, template: str, now: datetime, **values: str) -> str:
        """Fill a reply template; `{suffix}`, `{store}` and `{edge}` come from this stamp."""
        return template.format(
            suffix=self.suffix(now), store=self.store(), edge=EDGE_HOST, **values
        )
