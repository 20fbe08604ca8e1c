"""The kernel's per-person state as stored in `user_stats.state`: the worker's JSON text is `dump_stats`,
it loads back to the same state, and states written before issue 10 still load."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.scoring import DailyCounts, PlayerState, UserStats, score_batch
from magictask.rewards.scoring.limits import DAILY_BUDGETS, DAILY_CAPS
from magictask.rewards.scoring.streaks import StreakState
from magictask.rewards.scoring.zones import ZoneState
from magictask.rewards.state import dump_stats, dump_stats_json, load_distinct, load_stats

from .kit import T0, Game, busy, completed, ev, mention, reaction

instants = st.datetimes(datetime(2024, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC))
dates = st.dates(date(2024, 1, 1), date(2027, 1, 1))
times = st.lists(instants, max_size=5).map(tuple)
families = st.sampled_from(sorted(DAILY_CAPS))
budgets = st.sampled_from(sorted(DAILY_BUDGETS))
zones = st.builds(
    ZoneState,
    current=st.none() | st.sampled_from(["UTC", "Asia/Tokyo"]),
    pending=st.none() | st.just("America/Los_Angeles"),
    effective_at=st.none() | instants,
    changed_at=st.none() | instants,
)
daily = st.builds(
    DailyCounts,
    day=st.none() | dates,
    profile=st.dictionaries(families, st.integers(1, 20)),
    board=st.dictionaries(st.tuples(st.sampled_from(["w1", "a|b", ""]), families), st.integers(1, 20)),
    spent=st.dictionaries(budgets, st.integers(0, 180)),
    board_spent=st.dictionaries(st.tuples(st.sampled_from(["w1", "a|b"]), budgets), st.integers(0, 180)),
)
stats_st = st.builds(
    UserStats,
    user_id=st.just("u1"),
    time_zone=st.sampled_from(["UTC", "Europe/Paris"]),
    skip_weekends=st.booleans(),
    streak=st.builds(
        StreakState, st.integers(0, 50), st.integers(0, 50), st.none() | dates, st.integers(0, 2)
    ),
    last_login_date=st.none() | dates,
    recent_actions=st.dictionaries(st.sampled_from(["task.created", "comment.created"]), times),
    recent_peers=st.dictionaries(st.sampled_from(["u2", "u3"]), times),
    zone=zones,
    daily=daily,
)
distinct_st = st.dictionaries(
    st.sampled_from(["people_appreciated", "reactions_received", "tasks_completed_night"]),
    st.dictionaries(
        st.sampled_from(["u2", "u3", ""]), st.lists(st.sampled_from(["c1", "t2"]), unique=True).map(tuple)
    ),
)


def _kept(stats: UserStats) -> UserStats:
    """What survives storage: emptied sliding windows are dropped."""
    return UserStats(
        **{
            **{f: getattr(stats, f) for f in stats.__dataclass_fields__},
            "recent_actions": {k: v for k, v in stats.recent_actions.items() if v},
            "recent_peers": {k: v for k, v in stats.recent_peers.items() if v},
        }
    )


@settings(max_examples=50, deadline=None)
@given(stats_st, distinct_st)
def test_json_text_is_dump_stats_and_loads_back(
    stats: UserStats, distinct: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    text = dump_stats_json(stats, distinct)
    assert orjson.loads(text) == dump_stats(stats, distinct)
    assert text.encode() == orjson.dumps(dump_stats(stats, distinct))
    state = orjson.loads(text)
    assert load_stats("u1", state, stats.time_zone, stats.skip_weekends) == _kept(stats)
    assert load_distinct(state) == distinct


def test_timestamps_keep_their_offset_and_microseconds() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 123, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    stats = UserStats("u1", recent_actions={"task.created": (at, at.replace(microsecond=0))})
    state = orjson.loads(dump_stats_json(stats, {}))
    assert state["recent_actions"]["task.created"] == [at.isoformat(), at.replace(microsecond=0).isoformat()]
    assert load_stats("u1", state, "UTC", False).recent_actions == stats.recent_actions


def test_a_state_from_before_issue_10_loads() -> None:
    """The old format: no zone, no daily counts, and each distinct metric a plain list of people."""
    old = {
        "streak": {"current": 4, "longest": 9, "last_active_date": "2025-03-03", "freezes": 1},
        "last_login_date": "2025-03-03",
        "recent_actions": {"comment.created": ["2025-03-04T08:59:00+00:00"]},
        "recent_peers": {},
        "distinct": {"people_appreciated": ["u2", "u3"]},
    }
    stats = load_stats("me", old, "Asia/Tokyo", True)
    assert stats == UserStats(
        "me",
        time_zone="Asia/Tokyo",
        skip_weekends=True,
        streak=StreakState(4, 9, date(2025, 3, 3), 1),
        last_login_date=date(2025, 3, 3),
        recent_actions={"comment.created": (datetime(2025, 3, 4, 8, 59, tzinfo=UTC),)},
    )
    assert (stats.zone, stats.daily) == (ZoneState(), DailyCounts())
    distinct = load_distinct(old)
    assert distinct == {"people_appreciated": {"u2": (), "u3": ()}}
    # It scores on: the people already appreciated still count once each.
    g = Game.of(PlayerState(stats, distinct=distinct), busy("u2"), busy("u4"))
    g.play(reaction("me", "u2", "c1"), reaction("me", "u4", "c2"))
    assert g.players["me"].distinct["people_appreciated"] == {"u2": (), "u3": (), "u4": ()}
    assert g.players["me"].stats.zone.current == "Asia/Tokyo"  # the user's setting until a change


def test_unknown_families_and_budgets_in_stored_counts_are_dropped() -> None:
    state = {
        "daily": {
            "day": "2025-03-04",
            "profile": {"comments": 3, "farming": 9},
            "board": {"w|x|comments": 2, "w|nope": 1},
            "spent": {"completions": 90, "bribes": 5},
            "board_spent": {"w|activity": 40, "w|bribes": 1},
            "self_made": 40,  # the self-made budget's counter before the budgets were one mapping
        }
    }
    daily = load_stats("me", state, "UTC", False).daily
    assert (daily.profile, daily.board) == ({"comments": 3}, {("w|x", "comments"): 2})
    assert (daily.spent, daily.board_spent) == ({"completions": 90}, {("w", "activity"): 40})


def test_a_kernel_state_survives_the_round_trip_and_scores_on_identically() -> None:
    """Play a day, store the state as the worker does, load it, and play on: the same as never storing."""
    g = Game.of(busy(), busy("u2"))
    g.play(
        ev("comment.created"),
        mention("me", "u2", "c1"),
        reaction("u2", "me", "c1"),
        completed("t1", "me", created_by="me"),
        ev("user.updated", at=T0 + timedelta(minutes=3), timezone_change=("UTC", "Asia/Tokyo")),
    )
    me = g.players["me"]
    state = orjson.loads(dump_stats_json(me.stats, me.distinct))
    loaded = PlayerState(
        load_stats("me", state, "UTC", False),
        me.xp_total,
        me.level,
        me.counters,
        load_distinct(state),
        me.unlocked,
    )
    assert loaded == me
    later = [ev("comment.created", at=T0 + timedelta(hours=20 + i)) for i in range(3)]
    assert score_batch(g.batch(later)) == score_batch(Game({**g.players, "me": loaded}).batch(later))
