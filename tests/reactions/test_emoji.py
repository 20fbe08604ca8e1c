"""Which strings are valid reactions (pure)."""

from __future__ import annotations

import pytest

from magictask.reactions.emoji import is_valid_reaction


@pytest.mark.parametrize(
    "value",
    [
        "👍",
        "👍🏽",  # skin tone
        "❤️",  # variation selector
        "❤️‍🔥",
        "👨‍👩‍👧",  # ZWJ family
        "🏳️‍🌈",
        "🧑🏽‍💻",
        "🇫🇷",  # flag
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland (tag sequence)
        "1️⃣",  # keycap
        "✅",
        "⭐",
        ":+1:",
        ":thumbs_up:",
        ":party-parrot:",
        ":100:",
    ],
)
def test_valid(value: str) -> None:
    assert is_valid_reaction(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a",
        "1",
        "ok",
        "👍👍",  # one emoji per reaction
        " 👍",
        "👍 ",
        ":Thumbs:",
        "::",
        ":x",
        "x:",
        ":a b:",
        "<script>",
        "\x00",
        ":" + "a" * 31 + ":",  # 33 characters
    ],
)
def test_invalid(value: str) -> None:
    assert not is_valid_reaction(value)
