"""(De)serialise the rules' `UserStats` to the JSON kept in `user_stats.state`.

Only what the rules carry between events is stored; the user's time zone and weekend setting are read
from the user row each batch, so changing them takes effect at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import orjson

from magictask.rewards.rules import UserStats
from magictask.rewards.streaks import StreakState


def _dt(values: list[str]) -> tuple[datetime, ...]:
    return tuple(datetime.fromisoformat(v) for v in values)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def load_stats(user_id: str, state: dict[str, Any], time_zone: str, skip_weekends: bool) -> UserStats:
    streak = state.get("streak") or {}
    return UserStats(
        user_id=user_id,
        time_zone=time_zone,
        skip_weekends=skip_weekends,
        streak=StreakState(
            current=int(streak.get("current", 0)),
            longest=int(streak.get("longest", 0)),
            last_active_date=_date(streak.get("last_active_date")),
            freezes=int(streak.get("freezes", 0)),
        ),
        last_login_date=_date(state.get("last_login_date")),
        recent_actions={k: _dt(v) for k, v in (state.get("recent_actions") or {}).items()},
        recent_peers={k: _dt(v) for k, v in (state.get("recent_peers") or {}).items()},
    )


def _document(
    stats: UserStats, distinct: dict[str, list[str]], stamp: Callable[[Any], Any]
) -> dict[str, Any]:
    """The stored state, with each date/time rendered by `stamp`."""
    s = stats.streak
    return {
        "streak": {
            "current": s.current,
            "longest": s.longest,
            "last_active_date": stamp(s.last_active_date) if s.last_active_date else None,
            "freezes": s.freezes,
        },
        "last_login_date": stamp(stats.last_login_date) if stats.last_login_date else None,
        "recent_actions": {k: [stamp(t) for t in v] for k, v in stats.recent_actions.items() if v},
        "recent_peers": {k: [stamp(t) for t in v] for k, v in stats.recent_peers.items() if v},
        # Members counted by distinct-set achievements (e.g. people appreciated).
        "distinct": distinct,
    }


def _isoformat(value: date | datetime) -> str:
    return value.isoformat()


def _as_is(value: Any) -> Any:
    return value


def dump_stats(stats: UserStats, distinct: dict[str, list[str]]) -> dict[str, Any]:
    return _document(stats, distinct, _isoformat)


def dump_stats_json(stats: UserStats, distinct: dict[str, list[str]]) -> str:
    """`dump_stats` as JSON text, the form the worker writes: orjson renders the dates and times itself (the
    same ISO 8601 text as `isoformat`), so no intermediate string per timestamp is built."""
    return orjson.dumps(_document(stats, distinct, _as_is)).decode()
