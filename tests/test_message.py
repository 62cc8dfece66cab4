"""The test message carries a Message-ID and a findable token; header injection is refused."""

import pytest

from outlook_kit.errors import HeaderError
from outlook_kit.message import TestMessage


def test_the_message_has_a_message_id_and_the_token_in_its_subject() -> None:
    msg = TestMessage("me@outlook.com", ("you@example.com",))
    email = msg.build()
    assert msg.token in email["Subject"]
    assert email["Message-ID"].startswith("<") and "@outlook.com>" in email["Message-ID"]
    assert email["To"] == "you@example.com"
    assert msg.token in email.get_content()


def test_tokens_are_unique() -> None:
    tokens = {TestMessage("me@outlook.com", ("me@outlook.com",)).token for _ in range(200)}
    assert len(tokens) == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"from_addr": "me@outlook.com\r\nBcc: victim@example.com", "to": ("a@example.com",)},
        {"from_addr": "me@outlook.com", "to": ("a@example.com\nBcc: x@example.com",)},
        {"from_addr": "me@outlook.com", "to": ("a@example.com",), "subject": "hi\r\nX: y"},
    ],
)
def test_cr_or_lf_in_a_header_value_fails_at_once(kwargs: dict[str, object]) -> None:
    with pytest.raises(HeaderError, match="line break"):
        TestMessage(**kwargs)  # type: ignore[arg-type]


def test_no_recipient_is_refused() -> None:
    with pytest.raises(HeaderError, match="at least one recipient"):
        TestMessage("me@outlook.com", ())
