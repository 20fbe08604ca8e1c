"""The pure mention parser and matcher."""

from __future__ import annotations

import pytest

from magictask.comments.mentions import (
    Member,
    MentionMatcher,
    find_mention_tokens,
    mention_keys,
    resolve_mentions,
    strip_code,
    token_forms,
)

MAX = Member("max", "Max Member", "max.m@example.com")
OLIVIA = Member("olivia", "Olivia Owner", "olivia@example.com")
MAXINE = Member("maxine", "Maxine Power", "mp@example.org")
SEAN = Member("sean", "Seán O'Brien", "sob@example.com")
TEAM = [MAX, OLIVIA, MAXINE, SEAN]


def mentioned(body: str, members: list[Member[str]] = TEAM) -> list[str]:
    return resolve_mentions(body, members)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("@olivia", ["olivia"]),
        ("@Olivia please look", ["olivia"]),
        ("@OLIVIA", ["olivia"]),
        ("@OliviaOwner", ["olivia"]),  # full name, spaces removed
        ("@oliviaowner", ["olivia"]),
        ("@max.m", ["max"]),  # email local part
        ("@mp", ["maxine"]),
        ("@maxine", ["maxine"]),
        ("@MaxinePower", ["maxine"]),
        ("@seán", ["sean"]),  # unicode names
        ("@SEÁN", ["sean"]),
        ("@sob", ["sean"]),
    ],
)
def test_a_member_is_matched_by_compact_name_first_word_or_email_local_part(
    body: str, expected: list[str]
) -> None:
    assert mentioned(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "thanks @olivia.",
        "thanks @olivia!",
        "@olivia, can you",
        "@olivia: can you",
        "@olivia; yes",
        "(@olivia)",
        "[@olivia]",
        "ask @olivia?",
        "@olivia's review",
        "@olivia-",
        "**@olivia**",
        "_@olivia_",
        "> @olivia quoted",
        "- @olivia in a list",
        "@olivia\u2014then",
    ],
)
def test_punctuation_around_a_name_is_not_part_of_it(body: str) -> None:
    assert mentioned(body) == ["olivia"]


def test_a_dotted_token_falls_back_to_its_first_part_when_the_whole_matches_no_one() -> None:
    assert mentioned("@max.m. is the one") == ["max"]  # email local part, then a full stop
    assert mentioned("@olivia.o") == ["olivia"]


@pytest.mark.parametrize(
    "body",
    [
        "mail olivia@example.com",
        "write to a@b.com or x.y@olivia.io",
        "<olivia@example.com>",
        "@olivia@example.com",
        "https://social.example/@olivia",
        "\\@olivia is escaped",
        "@@olivia",
        "no name: @ olivia",
        "meet @ 5pm",
    ],
)
def test_emails_urls_and_escapes_are_not_mentions(body: str) -> None:
    assert mentioned(body) == []


@pytest.mark.parametrize(
    "body",
    [
        "`@olivia`",
        "run `git blame @olivia` now",
        "``code with ` and @olivia``",
        "```\n@olivia\n```",
        "```python\nprint('@olivia')\n```",
        "~~~\n@olivia\n~~~",
        "````\n```\n@olivia\n```\n````",  # a longer fence contains a shorter one
        "   ```\n@olivia\n   ```",
        "> ```\n> @olivia\n> ```",
        "```\nnever closed\n@olivia",
    ],
)
def test_code_is_never_searched_for_mentions(body: str) -> None:
    assert mentioned(body) == []


def test_text_around_code_still_mentions() -> None:
    body = "`@max` is code but @olivia is not\n```\n@maxine\n```\nand after the fence @sob"
    assert mentioned(body) == ["olivia", "sean"]


def test_an_unclosed_backtick_is_literal_and_does_not_hide_later_text() -> None:
    assert mentioned("a stray ` then @olivia") == ["olivia"]
    assert mentioned("`` unmatched ` pair and @olivia") == ["olivia"]


def test_code_spans_do_not_cross_paragraphs() -> None:
    assert mentioned("stray ` here\n\n@olivia and a second ` there") == ["olivia"]


def test_a_token_naming_several_members_is_ambiguous_and_resolves_to_no_one() -> None:
    twins = [Member("a", "Max Member", "a@x.io"), Member("b", "Max Other", "b@x.io")]
    assert mentioned("@max", twins) == []
    # Their full names still tell them apart.
    assert mentioned("@MaxMember and @maxother", twins) == ["a", "b"]
    # Two keys of the same person are not an ambiguity.
    assert mentioned("@max", [Member("a", "Max Member", "max@x.io")]) == ["a"]


def test_ambiguity_does_not_fall_back_to_a_shorter_form() -> None:
    twins = [Member("a", "Ann Lee", "ann.lee@x.io"), Member("b", "Ann.lee Smith", "b@x.io")]
    assert mentioned("@ann.lee", twins) == []


def test_unknown_names_resolve_to_no_one() -> None:
    assert mentioned("@nobody and @5pm") == []


def test_each_member_is_returned_once_in_order_of_first_mention() -> None:
    assert mentioned("@sob @olivia @Olivia @OliviaOwner @sob") == ["sean", "olivia"]


def test_tokens_are_found_as_written_without_trailing_punctuation() -> None:
    assert find_mention_tokens("hi @Max.M. and @olivia's, `@code`") == ["Max.M", "olivia's"]


def test_token_forms_are_longest_first() -> None:
    assert token_forms("olivia's") == ["olivia's", "olivia"]
    assert token_forms("a.b-c") == ["a.b-c", "a.b", "a"]
    assert token_forms("max") == ["max"]


def test_mention_keys() -> None:
    assert mention_keys("Max  Member", "Max.M@Example.com") == {"maxmember", "max", "max.m"}
    assert mention_keys("", "x@y.z") == {"x"}
    assert mention_keys("Solo", "not-an-email") == {"solo"}


def test_strip_code_keeps_the_shape_of_the_text() -> None:
    body = "a `b` c\n```\nd\n```\ne"
    stripped = strip_code(body)
    assert len(stripped) == len(body)
    assert stripped.count("\n") == body.count("\n")
    assert "b" not in stripped and "d" not in stripped
    assert stripped.startswith("a ") and stripped.endswith("e")


def test_windows_line_endings() -> None:
    assert mentioned("```\r\n@olivia\r\n```\r\n@sob\r\n") == ["sean"]


def test_matcher_resolves_tokens_directly() -> None:
    matcher = MentionMatcher(TEAM)
    assert matcher.resolve("Olivia") == "olivia"
    assert matcher.resolve("nobody") is None


def test_large_adversarial_input_is_fast() -> None:
    body = "`" * 3 + " ".join("`" * (i % 7 + 1) + "@olivia" for i in range(2000))
    mentioned(body[:10_000])
    assert mentioned("@olivia " * 1250) == ["olivia"]
