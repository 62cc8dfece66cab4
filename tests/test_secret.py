"""A Secret never shows; the Redactor removes a secret in every form it can take on the wire."""

import base64
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outlook_kit.secret import MASK, Redactor, Secret, base64_forms

CANARY = "canary-7Qz-secret"


def test_repr_str_and_format_hide_the_value() -> None:
    secret = Secret(CANARY)
    assert repr(secret) == "Secret('********')"
    assert CANARY not in f"{secret} {secret!r} {secret:>30} {[secret]} {dict(s=secret)}"
    assert secret.reveal() == CANARY


def test_a_secret_cannot_be_pickled_into_a_file() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(CANARY))


def wire_forms(secret: str, user: str = "me@outlook.com") -> list[str]:
    raw = secret.encode()
    return [
        secret,
        base64.b64encode(raw).decode(),  # AUTH LOGIN password line
        base64.b64encode(b"\0" + user.encode() + b"\0" + raw).decode(),  # AUTH PLAIN
        base64.b64encode(f"user={user}\x01auth=Bearer {secret}\x01\x01".encode()).decode(),
    ]


@pytest.mark.parametrize("form", wire_forms(CANARY))
def test_every_wire_form_is_scrubbed(form: str) -> None:
    scrubbed = Redactor([Secret(CANARY)]).scrub(f"<~ 535 echo {form} end")
    assert MASK in scrubbed
    assert CANARY not in scrubbed
    assert not any(core in scrubbed for core in base64_forms(CANARY.encode()))


@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\0"), min_size=4),
    st.text(max_size=5),
)
def test_a_secret_is_found_at_any_offset_inside_a_base64_blob(secret: str, prefix: str) -> None:
    blob = base64.b64encode(prefix.encode() + secret.encode() + b"tail").decode()
    scrubbed = Redactor([secret]).scrub(blob)
    assert base64.b64encode(secret.encode()).decode().rstrip("=")[2:-2] not in scrubbed or (
        len(secret.encode()) < 6
    )
    assert scrubbed != blob


def test_text_without_the_secret_is_left_alone() -> None:
    text = "250 2.0.0 OK <abc@example>"
    assert Redactor([Secret(CANARY)]).scrub(text) == text
