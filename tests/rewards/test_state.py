"""The rules' state as stored in `user_stats.state`: the worker's JSON text is `dump_stats`, and it loads back."""

from datetime import UTC, date, datetime, timedelta, timezone

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.rules import UserStats
from magictask.rewards.state import dump_stats, dump_stats_json, load_stats
from magictask.rewards.streaks import StreakState

times = st.lists(
    st.datetimes(datetime(2024, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)), max_size=5
).map(tuple)
stats_st = st.builds(
    UserStats,
    user_id=st.just("u1"),
    streak=st.builds(
        StreakState,
        st.integers(0, 50),
        st.integers(0, 50),
        st.none() | st.dates(date(2024, 1, 1), date(2027, 1, 1)),
        st.integers(0, 2),
    ),
    last_login_date=st.none() | st.dates(date(2024, 1, 1), date(2027, 1, 1)),
    recent_actions=st.dictionaries(st.sampled_from(["task.created", "comment.created"]), times),
    recent_peers=st.dictionaries(st.sampled_from(["u2", "u3"]), times),
)


@settings(max_examples=200, deadline=None)
@given(stats_st, st.dictionaries(st.just("people_appreciated"), st.lists(st.sampled_from(["u2", "u3"]))))
def test_json_text_is_dump_stats_and_loads_back(stats: UserStats, distinct: dict[str, list[str]]) -> None:
    text = dump_stats_json(stats, distinct)
    assert orjson.loads(text) == dump_stats(stats, distinct)
    assert text.encode() == orjson.dumps(dump_stats(stats, distinct))
    loaded = load_stats("u1", orjson.loads(text), stats.time_zone, stats.skip_weekends)
    assert loaded == UserStats(
        **{
            **stats.__dict__,
            "recent_actions": {k: v for k, v in stats.recent_actions.items() if v},
            "recent_peers": {k: v for k, v in stats.recent_peers.items() if v},
        }
    )


def test_timestamps_keep_their_offset_and_microseconds() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 123, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    stats = UserStats("u1", recent_actions={"task.created": (at, at.replace(microsecond=0))})
    state = orjson.loads(dump_stats_json(stats, {}))
    assert state["recent_actions"]["task.created"] == [at.isoformat(), at.replace(microsecond=0).isoformat()]
