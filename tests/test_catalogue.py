"""The catalogue is data with its own checks: every entry complete, every pattern sound,
every example diagnosed as its category."""

from __future__ import annotations

import re
from typing import Any

import pytest

from outlook_kit.diagnosis import Category, Confidence, Context, catalogue, diagnose
from outlook_kit.protocol import ENHANCED_RE

ENTRIES = list(catalogue().values())
CONTEXT_KEYS = {
    "secret": "secret_kind",
    "two_step_on": "two_step_on",
    "account": "account",
    "mechanism": "mechanism",
    "pop_smtp_on": "pop_smtp_on",
    "arrived": "arrived",
}


def test_every_category_has_an_entry_and_every_entry_a_title_and_a_fix() -> None:
    assert {e.category for e in ENTRIES} == set(Category)
    for entry in ENTRIES:
        assert entry.title and entry.explanation, entry.category
        assert entry.fix and all(step.strip() for step in entry.fix), entry.category
        assert entry.group in {"sign-in", "transport", "sending", "other"}


def test_every_failure_category_can_be_recognised_and_has_an_example() -> None:
    for entry in ENTRIES:
        if entry.category is Category.UNKNOWN:
            continue
        assert entry.patterns, f"{entry.category} has no pattern"
        if entry.category is not Category.NO_FAILURE:
            assert entry.examples, f"{entry.category} has no example"


def test_guide_steps_are_the_guides_four_steps() -> None:
    assert {e.guide_step for e in ENTRIES} <= {None, 1, 2, 3, 4}


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: str(e.category))
def test_patterns_are_sound(entry: Any) -> None:
    for pattern in entry.patterns:
        assert pattern.weight > 0 and pattern.why
        for code in pattern.codes:
            assert 200 <= code <= 599, code
        for enhanced in pattern.enhanced:
            assert ENHANCED_RE.fullmatch(enhanced), enhanced
            # RFC 3463: the enhanced code's class agrees with the reply class
            for code in pattern.codes:
                assert str(code)[0] == enhanced[0], (code, enhanced)
        if pattern.text is not None:
            # no nested repetition such as (a+)+ or (a*)*: matching stays linear
            assert not re.search(r"\([^()]*[+*]\)[+*{]", pattern.text.pattern), pattern.text.pattern


def test_alternatives_name_other_real_categories() -> None:
    for entry in ENTRIES:
        for alt in entry.alternatives:
            assert alt.category in set(Category) and alt.category != entry.category
            assert alt.reason


EXAMPLES = [(e.category, ex) for e in ENTRIES for ex in e.examples]


@pytest.mark.parametrize(
    ("category", "example"), EXAMPLES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(EXAMPLES)]
)
def test_every_example_is_diagnosed_as_its_category(
    category: Category, example: dict[str, Any]
) -> None:
    context = Context(**{CONTEXT_KEYS[k]: v for k, v in example.items() if k in CONTEXT_KEYS})
    result = diagnose(example["text"], stage=example.get("stage"), context=context)
    assert result.category == category, (result.category, result.evidence)


MAX_LITERAL = 60  # characters of literal text in one pattern: words, never a pasted error


def longest_literal(pattern: str) -> int:
    """The longest run of literal characters any match of the regex must contain in a row."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def walk(items: Any) -> int:
        best = run = 0
        for op, arg in items:
            if op is c.LITERAL:
                run += 1
                best = max(best, run)
                continue
            run = 0
            if op is c.SUBPATTERN:
                best = max(best, walk(arg[-1]))
            elif op is c.BRANCH:
                best = max(best, *(walk(branch) for branch in arg[1]))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                best = max(best, walk(arg[2]))
            elif op in (c.ASSERT, c.ASSERT_NOT):
                best = max(best, walk(arg[1]))
        return best

    return walk(_parser.parse(pattern))


def test_the_measure_of_literal_text_counts_what_it_should() -> None:
    assert longest_literal("abc") == 3
    assert longest_literal("ab(?:cdef|g)h") == 4
    assert longest_literal(r"a\.b[0-9]cd") == 3
    assert longest_literal("x" * 61) == 61


def test_no_pattern_copies_an_error_whole() -> None:
    from outlook_kit.diagnosis.catalogue import _read, stage_hints

    texts = [p.text.pattern for e in ENTRIES for p in e.patterns if p.text is not None]
    texts += [h.text.pattern for h in stage_hints()]
    texts += [
        w
        for group in _read("everyday_words.toml")["group"].values()
        for w in group["words"].values()
    ]
    too_long = [t for t in texts if longest_literal(t) > MAX_LITERAL]
    assert not too_long, too_long


def test_microsofts_codes_each_name_a_category_and_their_page() -> None:
    from outlook_kit.diagnosis.catalogue import _read

    codes = _read("ndr_codes.toml")["code"]
    assert len(codes) >= 80
    for code in codes:
        assert code["category"] in set(Category) - {Category.UNKNOWN, Category.NO_FAILURE}
        assert code["source"].startswith("https://learn.microsoft.com/"), code
        assert code["meaning"] and ("enhanced" in code) != ("as_code" in code)
        for other in code.get("also", []):
            assert other["category"] in set(Category) and other["category"] != code["category"]


@pytest.mark.parametrize(
    ("text", "category"),
    [  # the words are in another language; the code still decides
        (
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Empfängeradresse wurde nicht gefunden",
            Category.RECIPIENT_REJECTED,
        ),
        (
            "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; le message contient des sauts de ligne",
            Category.BARE_LINEFEED,
        ),
        (
            "550 5.7.501 Servicio no disponible. Se detectó abuso de spam",
            Category.ACCOUNT_BLOCKED_SPAM,
        ),
        ("554 5.2.252 SendAsDenied; 送信者として送信する権限がありません", Category.SEND_AS_DENIED),
        ("451 4.7.550 Actividad sospechosa detectada", Category.RATE_LIMITED_TEMPORARY),
    ],
)
def test_a_code_that_decides_does_so_in_any_language(text: str, category: Category) -> None:
    assert diagnose(text).category is category


def test_every_group_of_everyday_words_speaks_the_same_languages() -> None:
    from outlook_kit.diagnosis.catalogue import _read, everyday_words

    groups = _read("everyday_words.toml")["group"]
    languages = {lang for group in groups.values() for lang in group["words"]}
    assert len(languages) >= 12
    for name, group in groups.items():
        assert set(group["words"]) == languages, name
        assert group["what"], name
    used = {rx.pattern for e in ENTRIES for p in e.patterns for rx in p.words}
    assert used == {rx.pattern for rx in everyday_words().values()}  # every group is used


@pytest.mark.parametrize(
    ("text", "category"),
    [  # no code, no English: what the words are about decides
        ("Falha na autenticação: usuário ou senha inválidos", Category.WRONG_CREDENTIALS),
        ("認証に失敗しました。パスワードが正しくありません", Category.WRONG_CREDENTIALS),
        ("Ошибка аутентификации: неверный пароль", Category.WRONG_CREDENTIALS),
        ("Aanmelden mislukt: onjuist wachtwoord", Category.WRONG_CREDENTIALS),
        ("连接服务器超时", Category.CONNECTION_BLOCKED),
        (
            "Impossible de se connecter au serveur SMTP : délai d'attente dépassé",
            Category.CONNECTION_BLOCKED,
        ),
        ("Das Zertifikat des Servers ist ungültig", Category.TLS_INTERCEPTION),
        ("Ha alcanzado el límite diario de envío", Category.DAILY_LIMIT_REACHED),
        ("Sua conta foi bloqueada", Category.ACCOUNT_BLOCKED_SPAM),
        ("Der Empfänger wurde nicht gefunden", Category.RECIPIENT_REJECTED),
        ("La pièce jointe est trop volumineuse", Category.MESSAGE_TOO_LARGE),
        ("The mail goes straight to the junk folder of the recipient", Category.DELIVERED_TO_JUNK),
        (
            "Mit aktivierter zweistufiger Überprüfung wird das Passwort abgelehnt",
            Category.APP_PASSWORD_REQUIRED,
        ),
        ("通常のパスワードではメールソフトから送信できません", Category.APP_PASSWORD_REQUIRED),
        ("Le mot de passe n'est plus accepté par Outlook", Category.BASIC_AUTH_DISABLED),
        ("De repente el envío dejó de funcionar", Category.BASIC_AUTH_DISABLED),
        ("Die Testmail kommt nicht an", Category.POP_SMTP_DISABLED),
    ],
)
def test_what_a_failure_is_about_reads_in_any_language(text: str, category: Category) -> None:
    result = diagnose(text)
    assert result.category is category, (result.category, result.evidence)
    assert result.confidence is not Confidence.HIGH  # everyday words claim medium at most


@pytest.mark.parametrize(
    ("text", "category"),
    [  # clients' own words (client_words.toml names each one's source file)
        ("curl: (64) Requested SSL level failed", Category.TLS_REQUIRED),
        (
            "msmtp: envelope from address me@example.com not accepted by the server",
            Category.SEND_AS_DENIED,
        ),
        (
            "TLS is required, but was not offered by host smtp.example.com[192.0.2.1]",
            Category.TLS_REQUIRED,
        ),
        (
            "warning: SASL authentication failure: No worthy mechs found",
            Category.AUTH_MECHANISM_UNSUPPORTED,
        ),
        (
            "javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?",
            Category.WRONG_TLS_MODE,
        ),
        (
            "The client and server cannot communicate, because they do not possess a common algorithm",
            Category.TLS_VERSION_UNSUPPORTED,
        ),
        ('Error: Missing credentials for "PLAIN"', Category.WRONG_CREDENTIALS),
        (
            "Your server does not support the connection encryption type you have specified.",
            Category.WRONG_TLS_MODE,
        ),
    ],
)
def test_more_clients_words_name_their_cause(text: str, category: Category) -> None:
    result = diagnose(text)
    assert result.category is category, (result.category, result.evidence)


@pytest.mark.parametrize(
    ("text", "category"),
    [  # Outlook.com's web and bounce wording, no code
        (
            "You've exceeded the number of messages you can send today.",
            Category.DAILY_LIMIT_REACHED,
        ),
        ("nobody wasn't found at outlook.com.", Category.RECIPIENT_REJECTED),
        ("Your message was blocked by the recipient's email provider.", Category.CONTENT_REJECTED),
        ("The server couldn't be reached.", Category.CONNECTION_BLOCKED),
        ("Rate limited due to IP reputation (S3113)", Category.CONTENT_REJECTED),
        (
            "There is no App Password option in my account's security settings",
            Category.TWO_STEP_REQUIRED,
        ),
    ],
)
def test_outlooks_own_words_without_a_code(text: str, category: Category) -> None:
    assert diagnose(text).category is category


def test_a_4xx_reply_with_a_5xx_enhanced_code_is_one_reply() -> None:
    # Outlook answers mail sent without STARTTLS so, in any language after the codes
    result = diagnose("SMTPSendFailedException: 451 5.7.3 发送邮件需要 STARTTLS [BJXPR01CA0050]")
    assert (result.code, result.enhanced) == (451, "5.7.3")
    assert result.category is Category.TLS_REQUIRED
    success = diagnose("250 5.7.3 queued")  # a success code and a failure's are two numbers
    assert (success.code, success.enhanced) != (250, "5.7.3")


def test_every_everyday_word_starts_with_a_letter() -> None:
    # so the regex engine can skip to where one may start (a \b or a group first defeats it)
    from outlook_kit.diagnosis.catalogue import _read

    for name, group in _read("everyday_words.toml")["group"].items():
        for lang, words in group["words"].items():
            assert not re.search(r"(?:^|\|)[\\(\[.]", words), (name, lang, words)
