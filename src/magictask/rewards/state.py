"""(De)serialise the rules' `UserStats` to the JSON kept in `user_stats.state`.

Only what the rules carry between events is stored; the user's time zone and weekend setting are read
from the user row each batch, so changing them takes effect at once.
"""

from __future__ import annotations

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


def dump_stats(stats: UserStats, distinct: dict[str, list[str]]) -> dict[str, Any]:
    s = stats.streak
    return {
        "streak": {
            "current": s.current,
            "longest": s.longest,
            "last_active_date": s.last_active_date.isoformat() if s.last_active_date else None,
            "freezes": s.freezes,
        },
        "last_login_date": stats.last_login_date.isoformat() if stats.last_login_date else None,
        "recent_actions": {k: [t.isoformat() for t in v] for k, v in stats.recent_actions.items() if v},
        "recent_peers": {k: [t.isoformat() for t in v] for k, v in stats.recent_peers.items() if v},
        # Members counted by distinct-set achievements (e.g. people appreciated).
        "distinct": distinct,
    }


def dump_stats_json(stats: UserStats, distinct: dict[str, list[str]]) -> str:
    """`dump_stats` as JSON text, the form the worker writes: orjson renders the timestamps itself (the same
    ISO 8601 text as `datetime.isoformat`), so no intermediate string per timestamp is built."""
    s = stats.streak
    return orjson.dumps(
        {
            "streak": {
                "current": s.current,
                "longest": s.longest,
                "last_active_date": s.last_active_date,
                "freezes": s.freezes,
            },
            "last_login_date": stats.last_login_date,
            "recent_actions": {k: v for k, v in stats.recent_actions.items() if v},
            "recent_peers": {k: v for k, v in stats.recent_peers.items() if v},
            "distinct": distinct,
        }
    ).decode()
