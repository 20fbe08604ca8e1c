"""Time zones: a change of zone takes effect for scoring at the later of the next local midnight in the
old zone and in the new one, and at most once every 7 days: the day in progress ends whole in the old
zone, no past action moves, and no login or time-of-day achievement comes from the change itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.scoring import EventFacts, TaskValues
from magictask.rewards.scoring.streaks import local_date
from magictask.rewards.scoring.zones import (
    MIN_DAYS_BETWEEN_CHANGES,
    ZoneState,
    next_midnight,
    request_change,
    resolve,
)

from .kit import Game, busy, completed, ev, player

ZONES = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland", "America/New_York"]


def change(old: str, new: str, at: datetime) -> EventFacts:
    return ev("user.updated", at=at, timezone_change=(old, new))


def test_next_midnight_is_strictly_after_and_local() -> None:
    at = datetime(2025, 3, 4, 16, 0, tzinfo=UTC)
    assert next_midnight(at, "UTC") == datetime(2025, 3, 5, tzinfo=UTC)
    tokyo = ZoneInfo("Asia/Tokyo")  # 01:00 on the 5th there
    assert next_midnight(at, "Asia/Tokyo") == datetime(2025, 3, 6, tzinfo=tokyo)
    assert next_midnight(datetime(2025, 3, 5, tzinfo=UTC), "UTC") == datetime(2025, 3, 6, tzinfo=UTC)
    # Across the DST change in New York (2025-03-09 has 23 hours), still the local midnight.
    ny = ZoneInfo("America/New_York")
    assert next_midnight(datetime(2025, 3, 9, 12, tzinfo=ny), "America/New_York") == datetime(
        2025, 3, 10, tzinfo=ny
    )


@pytest.mark.parametrize(
    ("old", "new", "at", "effective"),
    [
        # Moving east: Tokyo's midnight comes first (15:00 UTC), the UTC day must still end.
        ("UTC", "Asia/Tokyo", datetime(2025, 3, 4, 10, tzinfo=UTC), datetime(2025, 3, 5, 0, tzinfo=UTC)),
        # Moving west: the new zone's midnight comes first, the old day must still end.
        (
            "UTC",
            "America/Los_Angeles",
            datetime(2025, 3, 4, 10, tzinfo=UTC),
            datetime(2025, 3, 5, 8, tzinfo=UTC),
        ),
        ("Asia/Tokyo", "UTC", datetime(2025, 3, 4, 10, tzinfo=UTC), datetime(2025, 3, 5, 0, tzinfo=UTC)),
    ],
)
def test_a_change_takes_effect_at_the_later_next_midnight(
    old: str, new: str, at: datetime, effective: datetime
) -> None:
    z = request_change(ZoneState(current=old), old, new, at)
    assert (z.current, z.pending, z.effective_at) == (old, new, effective)
    assert resolve(z, effective - timedelta(microseconds=1), old).current == old
    assert resolve(z, effective, old) == ZoneState(current=new, changed_at=effective)


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(ZONES),
    st.sampled_from(ZONES),
)
def test_the_old_zones_day_ends_whole_and_the_new_zone_starts_a_new_day(
    at: datetime, old: str, new: str
) -> None:
    z = request_change(ZoneState(current=old), old, new, at)
    if new == old:
        assert z == ZoneState(current=old)
        return
    assert z.effective_at is not None
    e = z.effective_at
    assert e == max(next_midnight(at, old), next_midnight(at, new))
    assert at < e <= at + timedelta(days=2)
    # The old zone's day in progress at the change is scored whole in the old zone ...
    assert local_date(e - timedelta(microseconds=1), old) >= local_date(at, old)
    # ... and the new zone never starts on a day before the last one the old zone scored.
    assert local_date(e, new) >= local_date(e - timedelta(microseconds=1), old)


def test_a_second_change_waits_seven_days_after_the_last_one() -> None:
    at = datetime(2025, 3, 4, 10, tzinfo=UTC)
    z = request_change(ZoneState(current="UTC"), "UTC", "Europe/Paris", at)
    first = datetime(2025, 3, 5, tzinfo=UTC)  # UTC's midnight, after Paris's (23:00 UTC)
    assert z.effective_at == first
    z = resolve(z, first + timedelta(days=1), "UTC")  # it took effect
    assert (z.current, z.changed_at) == ("Europe/Paris", first)
    again = request_change(z, "Europe/Paris", "Asia/Tokyo", first + timedelta(days=1))
    # Not before 7 days after the last change (2025-03-12 00:00 UTC), then at the later of the two
    # midnights from there: Tokyo's (15:00 UTC) and Paris's (23:00 UTC).
    assert MIN_DAYS_BETWEEN_CHANGES == 7
    assert again.effective_at == datetime(2025, 3, 13, tzinfo=ZoneInfo("Europe/Paris"))
    assert again.effective_at == datetime(2025, 3, 12, 23, tzinfo=UTC)
    assert (again.current, again.pending, again.changed_at) == ("Europe/Paris", "Asia/Tokyo", first)


def test_changing_back_before_it_took_effect_cancels_it() -> None:
    at = datetime(2025, 3, 4, 10, tzinfo=UTC)
    z = request_change(ZoneState(current="UTC"), "UTC", "Asia/Tokyo", at)
    assert request_change(z, "Asia/Tokyo", "UTC", at + timedelta(hours=1)) == ZoneState(current="UTC")


# --- through the kernel --------------------------------------------------------------------------


def test_until_it_takes_effect_the_old_zone_scores_and_no_login_is_replayed() -> None:
    """In Los Angeles at 20:00 (04:00 UTC) a person moves to Tokyo, where it is already 13:00 the next day.
    Applied at once, a login now would be a new day's login; it waits for both days to end."""
    g = Game.of(player(time_zone="America/Los_Angeles"))
    evening = datetime(2025, 3, 4, 4, 0, tzinfo=UTC)  # 2025-03-03 20:00 in LA
    assert g.one(ev("user.login", at=evening - timedelta(hours=1))).xp == 10
    g.play(change("America/Los_Angeles", "Asia/Tokyo", evening))
    zone = g.players["me"].stats.zone
    assert (zone.current, zone.pending) == ("America/Los_Angeles", "Asia/Tokyo")
    assert zone.effective_at == datetime(2025, 3, 5, tzinfo=ZoneInfo("Asia/Tokyo"))  # 15:00 UTC on the 4th
    assert g.one(ev("user.login", at=evening + timedelta(hours=1))).xp == 0  # still the LA evening
    assert g.one(ev("user.login", at=evening + timedelta(hours=5))).xp == 10  # LA's next day (01:00 there)
    assert g.one(ev("user.login", at=evening + timedelta(hours=10))).xp == 0  # 18:00 in LA, same day
    tokyo = g.one(ev("user.login", at=datetime(2025, 3, 4, 15, 30, tzinfo=UTC)))  # 00:30 in Tokyo
    assert tokyo.xp == 10 and g.players["me"].stats.time_zone == "Asia/Tokyo"


def test_a_change_cannot_unlock_night_owl_for_an_afternoon() -> None:
    """17:00 UTC is 02:00 in Tokyo: moving there at once would make afternoon completions 'night' ones."""
    g = Game.of(busy())
    g.play(change("UTC", "Asia/Tokyo", datetime(2025, 3, 4, 16, 55, tzinfo=UTC)))
    g.play(*(completed(f"t{i}", at=datetime(2025, 3, 4, 17, 5 * i, tzinfo=UTC)) for i in range(10)))
    assert "tasks_completed_night" not in g.players["me"].distinct
    assert g.players["me"].stats.time_zone == "UTC"


def test_past_awards_do_not_move_and_on_time_uses_the_zone_that_scores() -> None:
    g = Game.of(busy(time_zone="America/Los_Angeles"))
    due = TaskValues(due_date=date(2025, 3, 4))
    before = g.one(
        completed("t1", at=datetime(2025, 3, 5, 7, 0, tzinfo=UTC), settled=due)
    )  # 23:00 LA, on time
    g.play(change("America/Los_Angeles", "Asia/Tokyo", datetime(2025, 3, 5, 7, 10, tzinfo=UTC)))
    after = g.one(completed("t2", at=datetime(2025, 3, 5, 7, 20, tzinfo=UTC), settled=due))  # still LA's 4th
    assert before.has("on_time") and after.has("on_time")
    assert [a.xp for a in g.awards if a.event_type == "task.completed"] == [before.xp, after.xp]


def test_a_local_date_is_never_given_fresh_caps_twice() -> None:
    g = Game.of(player(time_zone="Pacific/Kiritimati"))
    start = datetime(2025, 3, 4, 0, 30, tzinfo=UTC)  # 14:30 on 2025-03-04 in Kiritimati
    g.play(*(ev("comment.created", at=start + timedelta(minutes=5 * i)) for i in range(10)))  # the day's 10
    g.play(change("Pacific/Kiritimati", "Pacific/Niue", start + timedelta(hours=1)))
    g.play(ev("comment.created", at=datetime(2025, 3, 4, 10, 30, tzinfo=UTC)))  # 2025-03-05 00:30 Kiritimati
    niue = [g.one(ev("comment.created", at=datetime(2025, 3, 4, 12, i, tzinfo=UTC))) for i in range(12)]
    assert local_date(datetime(2025, 3, 4, 12, tzinfo=UTC), "Pacific/Niue") == date(2025, 3, 4)
    # Niue's 2025-03-04 is not a fresh day: it is counted with the day already counted (Kiritimati's
    # 2025-03-05, one comment in), so one day's cap of 10 covers both.
    assert sum(1 for a in niue if a.xp > 0) == 9 and niue[-1].xp == 0
