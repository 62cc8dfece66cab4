"""Replies are split into code, enhanced code and text; parsing never raises on odd text."""

from hypothesis import given
from hypothesis import strategies as st

from outlook_kit.protocol import Reply, Stage


def test_an_outlook_reply_is_split_into_its_parts() -> None:
    reply = Reply.parse(
        535, "5.7.139 Authentication unsuccessful, basic authentication is disabled."
    )
    assert reply == Reply(
        535, "5.7.139", "Authentication unsuccessful, basic authentication is disabled."
    )
    assert (
        str(reply) == "535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
    )


def test_a_multiline_reply_keeps_its_lines_and_renders_as_sent() -> None:
    reply = Reply.parse(250, "host Hello [127.0.0.1]\nSIZE 157286400\nSTARTTLS")
    assert reply.enhanced is None
    assert reply.lines() == ["250-host Hello [127.0.0.1]", "250-SIZE 157286400", "250 STARTTLS"]


def test_a_reply_without_enhanced_code_has_none() -> None:
    assert Reply.parse(220, "ready").enhanced is None


def test_stages_run_in_the_documented_order() -> None:
    assert [str(s) for s in Stage] == [
        "dns",
        "connect",
        "banner",
        "ehlo",
        "starttls",
        "ehlo_tls",
        "auth",
        "mail_from",
        "rcpt_to",
        "data",
        "quit",
    ]
    assert Stage.AUTH == "auth" and Stage.AUTH.order < Stage.DATA.order


@given(st.integers(min_value=0, max_value=999), st.text())
def test_parsing_never_raises(code: int, text: str) -> None:
    reply = Reply.parse(code, text)
    assert reply.code == code
    assert isinstance(reply.lines(), list)
