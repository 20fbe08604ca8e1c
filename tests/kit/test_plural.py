"""Counts in server-written sentences agree with their nouns."""

from __future__ import annotations

from magictask.kit.plural import plural


def test_plural_agrees_with_the_count() -> None:
    assert plural(1, "day") == "1 day"
    assert plural(0, "day") == "0 days"
    assert plural(3, "estimated task") == "3 estimated tasks"
    assert plural(1.5, "point") == "1.5 points"
    assert plural(1, "reaction or mention", "reactions and mentions") == "1 reaction or mention"
    assert plural(2, "reaction or mention", "reactions and mentions") == "2 reactions and mentions"
