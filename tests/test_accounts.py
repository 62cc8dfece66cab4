"""Given an address, the kit names the provider and settings; mistakes fail with the fix."""

import pytest

from outlook_kit.accounts import (
    OFFICE365_HOST,
    OUTLOOK_HOST,
    Credentials,
    Provider,
    SecretKind,
    SmtpSettings,
    TlsMode,
    default_ehlo_name,
    settings_for,
    validate_address,
)
from outlook_kit.errors import AddressError, SecretError, SettingsError, UsageError
from outlook_kit.message import TestMessage


@pytest.mark.parametrize(
    "address",
    [
        "someone@outlook.com",
        "someone@hotmail.com",
        "someone@live.com",
        "someone@msn.com",
        "someone@hotmail.co.uk",
        "someone@outlook.fr",
        "someone@live.de",
        "someone@outlook.com.au",
        "Someone@HOTMAIL.IT",
    ],
)
def test_personal_domains_submit_to_smtp_mail_outlook_com_587(address: str) -> None:
    account = settings_for(address)
    assert account.provider is Provider.PERSONAL
    assert account.smtp is not None
    assert (account.smtp.host, account.smtp.port, account.smtp.tls) == (
        OUTLOOK_HOST,
        587,
        TlsMode.STARTTLS,
    )


def test_an_unknown_domain_may_be_microsoft_365() -> None:
    account = settings_for("clerk@contoso-example.org")
    assert account.provider is Provider.MAYBE_WORK
    assert account.smtp is not None and account.smtp.host == OFFICE365_HOST
    assert "may be a Microsoft 365 work or school account (smtp.office365.com:587)" in account.note


@pytest.mark.parametrize("address", ["me@gmail.com", "me@yahoo.co.uk", "me@icloud.com"])
def test_well_known_other_providers_are_not_microsoft(address: str) -> None:
    account = settings_for(address)
    assert account.provider is Provider.NOT_MICROSOFT
    assert account.smtp is None
    assert "not a Microsoft address" in account.note


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("", "empty"),
        ("someone", "@-sign"),
        ("someone@", "after the @-sign"),
        ("some one@outlook.com", "invalid"),
        ("a@@outlook.com", "invalid characters"),
    ],
)
def test_malformed_addresses_are_refused_saying_what_is_wrong(address: str, says: str) -> None:
    with pytest.raises(AddressError) as caught:
        settings_for(address)
    assert says in str(caught.value)
    assert "you@outlook.com" in str(caught.value)  # and what a right one looks like


@pytest.mark.parametrize("kwargs", [{"port": 465}, {"tls": TlsMode.IMPLICIT}, {"tls": "implicit"}])
def test_port_465_or_implicit_tls_fails_at_once_with_the_fix(kwargs: dict[str, object]) -> None:
    with pytest.raises(SettingsError, match="use port 587 with STARTTLS"):
        SmtpSettings(OUTLOOK_HOST, **kwargs)  # type: ignore[arg-type]


def test_retired_and_inbound_hosts_are_refused_with_the_right_host() -> None:
    with pytest.raises(SettingsError, match="retired"):
        SmtpSettings("smtp.live.com")
    with pytest.raises(SettingsError, match="inbound MX"):
        SmtpSettings("contoso-com.mail.protection.outlook.com")


def test_usage_errors_are_value_errors_for_callers_that_catch_those() -> None:
    assert issubclass(SettingsError, ValueError) and issubclass(SettingsError, UsageError)


def test_app_passwords_are_normalised_and_never_shown() -> None:
    creds = Credentials.app_password("me@outlook.com", " abcd-efgh ijkl-mnop ")
    assert creds.secret.reveal() == "abcdefghijklmnop"
    assert creds.kind is SecretKind.APP_PASSWORD
    assert creds.hints == ()
    for text in (repr(creds), str(creds), f"{creds}", repr(creds.secret), str(creds.secret)):
        assert "abcd" not in text and "mnop" not in text


def test_an_unusual_app_password_is_sent_as_typed_with_a_soft_hint() -> None:
    creds = Credentials.app_password("me@outlook.com", "My-Sign-In-Passw0rd!")
    assert creds.secret.reveal() == "My-Sign-In-Passw0rd!"
    assert len(creds.hints) == 1 and "step 3" in creds.hints[0] and "as typed" in creds.hints[0]


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("Postfix-Pass-42", "Postfix-Pass-42"),  # a local server's password: dashes are its own
        ("pass word with spaces", "pass word with spaces"),
        ("abcd-efgh-ijkl-mnop", "abcdefghijklmnop"),  # the App Password's shape, as shown
        ("ABCD EFGH IJKL MNOP", "ABCDEFGHIJKLMNOP"),
    ],
)
def test_only_what_has_the_app_password_shape_loses_its_spaces_and_dashes(
    typed: str, sent: str
) -> None:
    assert Credentials.app_password("me@outlook.com", typed).secret.reveal() == sent


def test_a_regular_password_is_kept_exactly() -> None:
    creds = Credentials.password("me@outlook.com", "pass-with dashes")
    assert creds.secret.reveal() == "pass-with dashes"
    assert creds.kind is SecretKind.PASSWORD


@pytest.mark.parametrize("value", ["", "   ", " - - "])
def test_an_empty_app_password_fails_at_once(value: str) -> None:
    with pytest.raises(SecretError, match="App Password is empty"):
        Credentials.app_password("me@outlook.com", value)


@pytest.mark.parametrize("address", ["nosuchuser@localhost", "postmaster@mail.local", "a@b.test"])
def test_a_local_servers_own_domains_are_accepted_when_asked_for(address: str) -> None:
    assert validate_address(address, local_ok=True) == address
    message = TestMessage("tester@localhost", (address,), local_ok=True)
    assert message.to == (address,)


@pytest.mark.parametrize("address", ["nosuchuser@localhost", "postmaster@mail.local"])
def test_without_asking_a_local_domain_is_refused_saying_where_it_works(address: str) -> None:
    with pytest.raises(AddressError, match="local server") as caught:
        validate_address(address)
    assert "Outlook" in str(caught.value)


def test_local_ok_still_refuses_what_is_no_address_at_all() -> None:
    for bad in ("no at sign", "a@@b", "a b@localhost", "@localhost"):
        with pytest.raises(AddressError, match="not a valid email address"):
            validate_address(bad, local_ok=True)


def test_the_default_ehlo_name_is_a_valid_name_without_a_trailing_dot() -> None:
    name = default_ehlo_name()
    assert not name.endswith(".") and "." in name and " " not in name
