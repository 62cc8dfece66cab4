"""Given an error as a user pastes it (or a probe meets it), the kit names the cause and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlook_kit.accounts import SecretKind
from outlook_kit.diagnosis import Category, Confidence, Context, diagnose, parse_error
from outlook_kit.protocol import Stage

# The part of the corpus the catalogue is written from (tests/data/corpus/README.md); the
# held-out part is only measured on, by benchmarks/bench_diagnosis.py.
CORPUS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "corpus" / "build.jsonl").open(encoding="utf-8")
]
BARE_139 = "535 5.7.139 Authentication unsuccessful [BN9PR03CA0123.namprd03.prod.outlook.com]"


def ranked(text: str, stage: str | None = None) -> list[str]:
    result = diagnose(text, stage=stage)
    return [str(result.category)] + [str(a.category) for a in result.alternatives]


@pytest.mark.parametrize("with_stage", [False, True], ids=["text only", "with the stage"])
def test_the_build_corpus_is_diagnosed_as_labelled(
    with_stage: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    top1 = top3 = label_top3 = 0
    for row in CORPUS:
        accepted = {row["category"], *row["alt_categories"]}
        answers = ranked(row["text"], row["stage"] if with_stage else None)
        top1 += answers[0] in accepted
        top3 += bool(accepted & set(answers[:3]))
        label_top3 += row["category"] in answers[:3]
    n = len(CORPUS)
    with capsys.disabled():
        print(
            f"\ncorpus ({'with stage' if with_stage else 'text only'}): top-1 {top1}/{n} "
            f"({top1 / n:.1%}), label or alternative in top-3 {top3}/{n}, "
            f"labelled category in top-3 {label_top3}/{n}"
        )
    # floors just under today's figures (2026-12-04: 85.3% and 91.0% on 422 rows, 109 of them
    # users' own words and other languages gathered that day): a change that loses what the
    # catalogue knows fails here
    assert top1 / n >= 0.84
    assert top3 / n >= 0.90


@pytest.mark.parametrize(
    ("text", "code", "enhanced", "stage"),
    [
        (
            "Error: Invalid login: 535 5.7.3 Authentication unsuccessful [X]",
            535,
            "5.7.3",
            Stage.AUTH,
        ),
        (
            "smtplib.SMTPSenderRefused: (530, b'5.7.57 SMTP; Client was not authenticated', 'a@b.c')",
            530,
            "5.7.57",
            Stage.MAIL_FROM,
        ),
        (
            "MailKit.Security.AuthenticationException: 535: 5.7.139 Authentication unsuccessful",
            535,
            "5.7.139",
            Stage.AUTH,
        ),
        (
            'Expected response code 250 but got code "550", with message "550 5.7.60 SMTP; Client does not"',
            550,
            "5.7.60",
            None,
        ),
        (
            "SMTP code: 550 Detail: 5.7.60 SMTP; Client does not have permissions",
            550,
            "5.7.60",
            None,
        ),
        ("Error: connect ETIMEDOUT 204.79.197.212:587", None, None, Stage.CONNECT),
        (
            "550 5.4.1 [x@y.br]: Recipient address rejected (in reply to RCPT TO command)",
            550,
            "5.4.1",
            Stage.RCPT_TO,
        ),
    ],
)
def test_codes_and_stage_are_read_out_of_any_wrapper(
    text: str, code: int | None, enhanced: str | None, stage: Stage | None
) -> None:
    parsed = parse_error(text)
    assert (parsed.code, parsed.enhanced) == (code, enhanced)
    if stage is not None:
        assert parsed.stage == stage


def test_a_bare_535_5_7_139_with_the_regular_password_means_app_password_required() -> None:
    result = diagnose(BARE_139, stage="auth", context=Context(secret_kind=SecretKind.PASSWORD))
    assert result.category is Category.APP_PASSWORD_REQUIRED
    assert result.guide_step == 3
    assert result.confidence is Confidence.HIGH


def test_with_an_app_password_the_guide_points_at_step_1_and_basic_auth_is_the_strong_alternative() -> (
    None
):
    result = diagnose(BARE_139, stage="auth", context=Context(secret_kind=SecretKind.APP_PASSWORD))
    assert result.category is Category.POP_SMTP_DISABLED
    assert result.guide_step == 1
    assert result.alternatives[0].category is Category.BASIC_AUTH_DISABLED
    assert result.guide_says and result.seen_in_practice  # both where guide and practice differ


def test_the_five_texts_of_5_7_139_are_told_apart() -> None:
    texts = {
        "Authentication unsuccessful, basic authentication is disabled.": Category.BASIC_AUTH_DISABLED,
        "Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.": Category.TENANT_SMTP_AUTH_DISABLED,
        "Authentication unsuccessful, user is locked by your organization's security defaults policy.": Category.SECURITY_DEFAULTS_BLOCK,
        "Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully.": Category.SECURITY_DEFAULTS_BLOCK,
        "Authentication unsuccessful, the user credentials were incorrect.": Category.WRONG_CREDENTIALS,
    }
    for text, category in texts.items():
        assert diagnose(f"535 5.7.139 {text}").category is category, text


def test_a_clean_send_that_never_arrived_points_at_pop_smtp() -> None:
    from datetime import UTC, datetime

    from outlook_kit.probe import ProbeReport, StageResult

    report = ProbeReport(
        host="smtp-mail.outlook.com",
        port=587,
        user="me@outlook.com",
        secret_kind=SecretKind.APP_PASSWORD,
        from_addr="me@outlook.com",
        recipients=("me@outlook.com",),
        started_at=datetime.now(UTC),
        stages=tuple(StageResult(s, True, 1.0) for s in Stage),
        transcript=(),
    )
    assert diagnose(report, context=Context(arrived="no")).category is Category.POP_SMTP_DISABLED
    assert diagnose(report, context=Context(arrived="yes")).category is Category.NO_FAILURE


def test_5_4_1_with_as_201806281_is_the_recipients_side_and_the_cap_stays_an_alternative() -> None:
    text = "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [PR2FRA01FT009.eop-fra01.prod.protection.outlook.com]"
    plain = diagnose(text, stage="rcpt_to")
    assert plain.category is Category.RECIPIENT_REJECTED
    near = diagnose(text, stage="rcpt_to", context=Context(recent_recipients_24h=295, cap=300))
    assert near.category is Category.RECIPIENT_REJECTED
    assert near.alternatives[0].category is Category.DAILY_LIMIT_REACHED


def test_the_guides_cap_reply_without_as_reads_as_the_daily_limit() -> None:
    result = diagnose(
        "550 5.4.1 Recipient address rejected: Access denied [BN9PR03CA0123.namprd03.prod.outlook.com]"
    )
    assert result.category is Category.DAILY_LIMIT_REACHED
    assert any(a.category is Category.RECIPIENT_REJECTED for a in result.alternatives)


def test_a_code_nobody_lists_is_read_from_its_class_and_subject_at_low_confidence() -> None:
    result = diagnose("550 5.7.999 Something nobody has seen before")
    assert result.category is Category.CONTENT_REJECTED and result.confidence == "low"
    assert "RFC 3463" in result.evidence[-1]


def test_unknown_is_still_explained_from_its_parts() -> None:
    result = diagnose("554 5.3.9 Something nobody has seen before", stage="data")
    assert result.category is Category.UNKNOWN
    assert "permanent" in result.explanation and "mail system" in result.explanation
    assert "data" in result.explanation
    assert result.fix


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t",
        "\x00\x01\x02\xff",
        "a" * 1_000_000,
        "😀" * 1000,
        "535 5.7.139 Fehler bei der Authentifizierung, Standardauthentifizierung ist deaktiviert.",
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender\n" * 3
        + "535 5.7.3 Authentication unsuccessful",
    ],
    ids=["empty", "whitespace", "binary", "megabyte", "emoji", "german", "several"],
)
def test_bad_input_gets_a_diagnosis_never_a_traceback(text: str) -> None:
    result = diagnose(text)
    assert result.category in set(Category)
    assert result.explanation and result.fix
    if not text.strip():
        assert result.category is Category.UNKNOWN and "paste" in result.explanation


def test_bytes_are_read_too() -> None:
    assert (
        diagnose(b"550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal").category is Category.BARE_LINEFEED
    )


def test_several_errors_in_one_paste_yield_the_strongest_with_the_others_as_alternatives() -> None:
    text = (
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender\n"
        "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal"
    )
    result = diagnose(text)
    assert {result.category, *(a.category for a in result.alternatives)} >= {
        Category.SEND_AS_DENIED,
        Category.BARE_LINEFEED,
    }


def test_an_unknown_stage_name_is_refused_with_the_list() -> None:
    with pytest.raises(ValueError, match="use one of"):
        diagnose("535", stage="sending")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_arbitrary_text_never_raises(text: str) -> None:
    result = diagnose(text)
    assert result.category in set(Category)
    assert str(result)  # renders


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    assert diagnose(data).category in set(Category)


def test_the_diagnosis_is_a_value_with_a_dict_for_json() -> None:
    result = diagnose(
        "Error: Invalid login: 535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
    )
    data = result.to_dict()
    assert json.loads(json.dumps(data))["category"] == "basic_auth_disabled"
    assert data["alternatives"] and {"category", "reason"} <= data["alternatives"][0].keys()
    assert data["code"] == 535 and data["enhanced"] == "5.7.139" and data["stage"] == "auth"


def test_a_word_inside_the_servers_reply_never_sets_the_stage() -> None:
    text = (
        "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to "
        "process message due to a permanent exception with message The message can't be "
        "submitted because the sender's submission quota was exceeded."
    )
    parsed = parse_error(text)
    assert parsed.stage is None  # "sender's" is the server's word, not a MAIL FROM marker
    assert diagnose(text).category is Category.DAILY_LIMIT_REACHED


def test_the_clients_own_words_before_the_reply_still_tell_the_stage() -> None:
    assert (
        parse_error("Sender address rejected by the client: 550 5.7.1 x").stage is Stage.MAIL_FROM
    )
    assert parse_error("Recipient refused: 550 5.1.1 no such user").stage is Stage.RCPT_TO


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my emails stopped sending after about 300 today", Category.DAILY_LIMIT_REACHED),
        ("the mail is accepted but never arrives", Category.POP_SMTP_DISABLED),
        (
            "it says my password is wrong but I can log in on the website",
            Category.APP_PASSWORD_REQUIRED,
        ),
        ("Microsoft blocked my account from sending email", Category.ACCOUNT_BLOCKED_SPAM),
        ("it worked for years and now says authentication failed", Category.BASIC_AUTH_DISABLED),
        ("I keep getting a timeout when connecting", Category.CONNECTION_BLOCKED),
    ],
)
def test_a_users_own_words_name_the_cause_with_medium_confidence_at_most(
    text: str, category: Category
) -> None:
    result = diagnose(text)
    assert result.category is category
    assert result.confidence is not Confidence.HIGH


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("535 5.7.139 Standardauthentifizierung ist deaktiviert.", Category.BASIC_AUTH_DISABLED),
        ("451 5.7.3 STARTTLS est requis pour envoyer du courrier", Category.TLS_REQUIRED),
        ("送信者の送信制限を超えました", Category.DAILY_LIMIT_REACHED),
        ("550 5.7.1 Unable to relay", Category.AUTH_NOT_ATTEMPTED),
        (
            "Connection could not be established with host ssl://smtp.office365.com:587",
            Category.WRONG_TLS_MODE,
        ),
    ],
)
def test_words_without_a_deciding_code_still_name_the_cause(text: str, category: Category) -> None:
    assert diagnose(text).category is category


def test_a_bare_535_reads_by_the_kind_of_account_the_text_names() -> None:
    bare = "535 5.7.3 Authentication unsuccessful"
    work_text = f"SASL authentication failed; server smtp.office365.com said: {bare}"
    personal = diagnose(f"{bare} (smtp-mail.outlook.com, you@hotmail.com)")
    work = diagnose(work_text)
    assert personal.category is Category.APP_PASSWORD_REQUIRED
    assert work.category is Category.TENANT_SMTP_AUTH_DISABLED
    assert work.confidence is not Confidence.HIGH
    assert any("Microsoft 365" in line for line in work.evidence)
    # the signed-in address, when known, outweighs what the text names
    as_personal = diagnose(work_text, context=Context(account="you@outlook.com"))
    assert as_personal.category is not Category.TENANT_SMTP_AUTH_DISABLED


def test_what_the_text_nearly_decides_comes_before_the_catalogues_alternatives() -> None:
    # PHPMailer's words: a refused password (6) or a STARTTLS never done (5); the catalogue
    # ranks the regular password first, but the text itself points at TLS too
    result = diagnose("SMTP Error: Could not authenticate.")
    assert result.category is Category.WRONG_CREDENTIALS
    assert result.alternatives[0].category is Category.TLS_REQUIRED
    assert Category.APP_PASSWORD_REQUIRED in {a.category for a in result.alternatives}
    # a greeting that never came is no message that never arrived
    greeting = diagnose("{ [Error: Greeting never received] code: 'ETIMEDOUT', command: 'CONN' }")
    assert Category.POP_SMTP_DISABLED not in {a.category for a in greeting.alternatives}
