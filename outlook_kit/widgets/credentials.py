"""The credentials form: address, the App Password (a Password box), From and To, each
checked as it is typed.

The App Password is read from its box only by `take_credentials()`, at the moment of sending,
and the box is cleared at once; the form keeps no copy.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..accounts import Credentials, SecretKind, settings_for, validate_address
from ..errors import AddressError, UsageError
from ..secret import Secret
from ._ui import Shown, esc

_WIDE = w.Layout(width="34em")
_STYLE = {"description_width": "9em"}
_SECRET_LABELS = {SecretKind.APP_PASSWORD: "App Password", SecretKind.PASSWORD: "Password"}


def _note(kind: str, text: str) -> str:
    colour = {"ok": "#2e7d32", "fail": "#c62828", "warn": "#b26a00"}[kind]
    mark = {"ok": "\u2714", "fail": "\u2718", "warn": "!"}[kind]
    return (
        f'<div class="ok-note ok-note-{kind}" style="color:{colour};margin:0 0 4px 9.5em;'
        f'font-size:0.9em">{mark} {esc(text)}</div>'
    )


class CredentialsForm(Shown):
    """Address, App Password, From and To, with inline validation."""

    def __init__(self, address: str = "", *, from_addr: str = "", to: str = "") -> None:
        self.address = w.Text(
            value=address,
            description="Email address",
            placeholder="you@outlook.com",
            layout=_WIDE,
            style=_STYLE,
        )
        self.secret_kind = w.ToggleButtons(
            options=[
                ("App Password", str(SecretKind.APP_PASSWORD)),
                ("My regular password", str(SecretKind.PASSWORD)),
            ],
            value=str(SecretKind.APP_PASSWORD),
            description="Sign in with",
            style={**_STYLE, "button_width": "auto"},
            tooltip="Outlook expects an App Password; try the regular one to see what happens",
        )
        self.password = w.Password(
            description="App Password",
            placeholder="paste the App Password from step 3",
            layout=_WIDE,
            style=_STYLE,
        )
        self.from_addr = w.Text(
            value=from_addr,
            description="From",
            placeholder="the same as the email address",
            layout=_WIDE,
            style=_STYLE,
        )
        self.to = w.Text(
            value=to,
            description="To",
            placeholder="the same as the email address",
            layout=_WIDE,
            style=_STYLE,
        )
        self.address_note = w.HTML()
        self.password_note = w.HTML()
        self._held: Secret | None = None  # the secret taken out of its box, until it is sent
        self.from_note = w.HTML()
        self.to_note = w.HTML()
        for field in (self.address, self.from_addr, self.to):
            field.observe(self._changed, names="value")
        self.secret_kind.observe(self._kind_changed, names="value")
        self.view = w.VBox(
            [
                self.address,
                self.address_note,
                self.secret_kind,
                self.password,
                self.password_note,
                self.from_addr,
                self.from_note,
                self.to,
                self.to_note,
            ]
        )
        self._changed()

    # --- inline validation ------------------------------------------------------------------

    @property
    def problems(self) -> dict[str, str]:
        """Each field's problem, in words (empty when everything can be sent)."""
        found: dict[str, str] = {}
        address = self.address.value.strip()
        if not address:
            found["address"] = "enter the full email address, e.g. you@outlook.com"
        else:
            try:
                validate_address(address)
            except AddressError as exc:
                found["address"] = str(exc)
        for key, field in (("from", self.from_addr), ("to", self.to)):
            value = field.value.strip()
            if value:
                try:
                    validate_address(value)
                except AddressError as exc:
                    found[key] = str(exc)
        return found

    def _changed(self, _change: Any = None) -> None:
        problems = self.problems
        address = self.address.value.strip()
        if "address" in problems:
            self.address_note.value = _note("fail", problems["address"]) if address else ""
        else:
            found = settings_for(address)
            kind = "ok" if found.smtp is not None and found.provider == "personal" else "warn"
            self.address_note.value = _note(kind, found.note)
        from_value = self.from_addr.value.strip()
        if "from" in problems:
            self.from_note.value = _note("fail", problems["from"])
        elif (
            from_value
            and "address" not in problems
            and (from_value.casefold() != address.casefold())
        ):
            self.from_note.value = _note(
                "warn",
                "the From differs from the signed-in address: Outlook refuses it (550 5.7.60) "
                "unless it is an alias added to this account",
            )
        else:
            self.from_note.value = ""
        self.to_note.value = _note("fail", problems["to"]) if "to" in problems else ""

    def _kind_changed(self, change: dict[str, Any]) -> None:
        kind = SecretKind(change["new"])
        self.password.description = _SECRET_LABELS.get(kind, "Password")
        self._placeholder()

    def _placeholder(self) -> None:
        kind = SecretKind(self.secret_kind.value)
        if self._held is not None:
            self.password.placeholder = (
                "held in memory (not shown, not saved): paste again only to change it"
            )
        elif kind is SecretKind.APP_PASSWORD:
            self.password.placeholder = "paste the App Password from step 3"
        else:
            self.password.placeholder = (
                "your sign-in password (Outlook will refuse it: that is the lesson)"
            )

    def hold_secret(self) -> None:
        """Take the secret out of its box at once, whatever the rest of the form says: a
        notebook saved with widget state never holds it. It is kept in memory as a `Secret`
        until a send uses it, so a typo elsewhere need not be pasted again."""
        value = self.password.value
        if value:
            self.password.value = ""
            self._held = Secret(value)
            self._placeholder()
        del value

    # --- reading the form -------------------------------------------------------------------

    def addresses(self) -> tuple[str, str, tuple[str, ...]]:
        """(user, From, To) as typed, validated; raises UsageError naming the field."""
        problems = self.problems
        for key, name in (("address", "Email address"), ("from", "From"), ("to", "To")):
            if key in problems:
                raise AddressError(f"{name}: {problems[key]}")
        user = validate_address(self.address.value)
        sender = validate_address(self.from_addr.value) if self.from_addr.value.strip() else user
        to = tuple(
            validate_address(part) for part in self.to.value.replace(";", ",").split(",") if part
        ) or (user,)
        return user, sender, to

    def take_credentials(self) -> Credentials:
        """The credentials, with the secret taken from its box (cleared at once) or held
        from an earlier click.

        Called at the moment of sending. A mistake in the addresses raises with the secret
        held, not in its box, so the user fixes the address and clicks again.
        """
        self.hold_secret()
        user, _sender, _to = self.addresses()
        held = self._held
        if held is None or not held.reveal().strip():
            what = _SECRET_LABELS[SecretKind(self.secret_kind.value)]
            raise UsageError(f"the {what} box is empty: paste it, then click Send test")
        if self.secret_kind.value == SecretKind.PASSWORD:
            credentials = Credentials.password(user, held.reveal())
        else:
            credentials = Credentials.app_password(user, held.reveal())
        self._held = None  # the credentials hold it now, for this send only
        self._placeholder()
        self.password_note.value = (
            _note("warn", " ".join(credentials.hints)) if credentials.hints else ""
        )
        return credentials
