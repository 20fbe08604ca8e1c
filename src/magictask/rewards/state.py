"""(De)serialise the kernel's per-person state to the JSON kept in `user_stats.state`.

Only what the rules carry between events is stored. The weekend setting is read from the user row each
batch; the time zone that scores is the kernel's own (`zone`, so a change waits for the next local day),
with the user row's zone only for someone the kernel has never scored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import orjson

from magictask.rewards.scoring.limits import DAILY_BUDGETS, DAILY_CAPS, Budget, Family
from magictask.rewards.scoring.state import DailyCounts, UserStats
from magictask.rewards.scoring.streaks import StreakState
from magictask.rewards.scoring.zones import ZoneState

Distinct = Mapping[str, Mapping[str, tuple[str, ...]]]


def _dt(values: list[str]) -> tuple[datetime, ...]:
    return tuple(datetime.fromisoformat(v) for v in values)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _zone(data: dict[str, Any] | None) -> ZoneState:
    data = data or {}
    return ZoneState(
        current=data.get("current"),
        pending=data.get("pending"),
        effective_at=_instant(data.get("effective_at")),
        changed_at=_instant(data.get("changed_at")),
    )


def _families(data: dict[str, Any] | None) -> dict[Family, int]:
    return {k: int(v) for k, v in (data or {}).items() if k in DAILY_CAPS}  # type: ignore[misc]


def _daily(data: dict[str, Any] | None) -> DailyCounts:
    data = data or {}
    board: dict[tuple[str, Family], int] = {}
    for key, n in (data.get("board") or {}).items():
        ws, _, family = key.rpartition("|")
        if family in DAILY_CAPS:
            board[(ws, family)] = int(n)
    return DailyCounts(
        day=_date(data.get("day")),
        profile=_families(data.get("profile")),
        board=board,
        spent={k: int(v) for k, v in (data.get("spent") or {}).items() if k in DAILY_BUDGETS},
        board_spent=_board_spent(data.get("board_spent")),
    )


def _board_spent(data: dict[str, Any] | None) -> dict[tuple[str, Budget], int]:
    out: dict[tuple[str, Budget], int] = {}
    for key, n in (data or {}).items():
        ws, _, name = key.rpartition("|")
        if name in DAILY_BUDGETS:
            out[(ws, name)] = int(n)  # type: ignore[index]
    return out


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
        zone=_zone(state.get("zone")),
        daily=_daily(state.get("daily")),
    )


def load_distinct(state: dict[str, Any]) -> dict[str, dict[str, tuple[str, ...]]]:
    """Distinct-thing metrics. Before per-thing counting, a metric was a plain list of members."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for metric, value in (state.get("distinct") or {}).items():
        if isinstance(value, list):
            out[metric] = {str(member): () for member in value}
        else:
            out[metric] = {str(member): tuple(things) for member, things in value.items()}
    return out


def _document(stats: UserStats, distinct: Distinct, stamp: Callable[[Any], Any]) -> dict[str, Any]:
    """The stored state, with each date/time rendered by `stamp`."""
    s, z, d = stats.streak, stats.zone, stats.daily
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
        "zone": {
            "current": z.current,
            "pending": z.pending,
            "effective_at": stamp(z.effective_at) if z.effective_at else None,
            "changed_at": stamp(z.changed_at) if z.changed_at else None,
        },
        "daily": {
            "day": stamp(d.day) if d.day else None,
            "profile": dict(d.profile),
            "board": {f"{ws}|{family}": n for (ws, family), n in d.board.items()},
            "spent": dict(d.spent),
            "board_spent": {f"{ws}|{name}": n for (ws, name), n in d.board_spent.items()},
        },
        # Things counted by distinct-thing achievements (people reacted to, days with a night completion).
        "distinct": {
            metric: {m: list(things) for m, things in members.items()} for metric, members in distinct.items()
        },
    }


def _isoformat(value: date | datetime) -> str:
    return value.isoformat()


def _as_is(value: Any) -> Any:
    return value


def dump_stats(stats: UserStats, distinct: Distinct) -> dict[str, Any]:
    return _document(stats, distinct, _isoformat)


def dump_stats_json(stats: UserStats, distinct: Distinct) -> str:
    """`dump_stats` as JSON text, the form the worker writes: orjson renders the dates and times itself (the
    same ISO 8601 text as `isoformat`), so no intermediate string per timestamp is built."""
    return orjson.dumps(_document(stats, distinct, _as_is)).decode()
