"""The fair-play limits and the streak, applied to one recipient's draft, and the state they leave. Pure.

In order: once per thing, diminishing returns (repetition within the hour, pairs within the day), the
streak multiplier and the day's first-action bonus, the self-made completion budget, the daily cap. Each
that bites is a named multiplier (and a reason) in the award's explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Final

from . import limits
from .draft import Draft, Limit, round_xp
from .facts import EventFacts, Role
from .rules import ACTIVITY_TYPES, SIMPLE
from .state import DailyCounts, UserStats
from .streaks import streak_multiplier, update_streak
from .weights import ScoringWeights

# Sliding-window timestamps kept per key. Beyond this many repeats every decay is long past mattering,
# and it bounds the stored state of a user who spams one action.
MAX_TRACKED = 200

# Types whose repeats are counted for the person who did the work.
REPEAT_TYPES = frozenset({t for t, _ in SIMPLE} | {"task.completed"})
_WORK_ROLES = frozenset({"actor", "assignee"})


@dataclass(frozen=True, slots=True)
class Context:
    """What the limits need besides the draft: whose award, where, and what was already awarded."""

    facts: EventFacts
    role: Role
    stats: UserStats
    std: ScoringWeights
    board: ScoringWeights
    today: date
    self_made: bool  # a completion of a task the recipient created for themselves
    awarded_keys: Set[str]  # this recipient's once-per-thing keys already awarded


def repeat_factor(nth: int, free: int, decay: float, floor: float) -> float:
    """Factor for the nth occurrence in a window: 1 for the first `free`, then decay^k, floored."""
    if nth <= free:
        return 1.0
    return max(floor, decay ** (nth - free))


def count_recent(times: tuple[datetime, ...], at: datetime, window_seconds: int) -> int:
    """How many earlier occurrences fall in the sliding window ending at `at`."""
    if not times:
        return 0
    start = at - timedelta(seconds=window_seconds)
    if min(times) > start:  # the common case, all inside: no per-item Python loop
        return len(times)
    return sum(1 for t in times if t > start)


def remember(
    table: Mapping[str, tuple[datetime, ...]], key: str, at: datetime, window_seconds: int
) -> dict[str, tuple[datetime, ...]]:
    """Add `at` under `key` and drop everything outside the window (and emptied keys)."""
    start = at - timedelta(seconds=window_seconds)
    out: dict[str, tuple[datetime, ...]] = {}
    for k, times in table.items():
        if times and min(times) > start:  # nothing expired: keep the tuple as it is
            out[k] = times
            continue
        kept = tuple(t for t in times if t > start)
        if kept:
            out[k] = kept
    out[key] = (*out.get(key, ()), at)[-MAX_TRACKED:]
    return out


def peer_of(facts: EventFacts, role: Role, user_id: str) -> str | None:
    """The other person of a mention/reaction, seen from this recipient."""
    if not facts.is_social():
        return None
    other = facts.counterpart_id if role == "actor" else facts.actor_id
    return other if other is not None and other != user_id else None


def apply_limits(d: Draft, ctx: Context) -> None:
    """Everything on top of the work itself; leaves `d` priced for both the profile and the board."""
    if d.final or d.amount() <= 0:
        return
    if d.award_key is not None and d.award_key in ctx.awarded_keys:
        d.times("once_per_thing", 0.0, note="already rewarded")
        d.reasons.append("a reaction or mention earns once per person and thing (any emoji, any edit)")
        return
    _decays(d, ctx)
    # Closing a task credited to others is a courtesy, not the day's work: no streak, no daily bonus.
    works = ctx.role in _WORK_ROLES and ctx.facts.type in ACTIVITY_TYPES and d.family != "closes"
    if works and not d.no_bonus:
        _streak(d, ctx)
    _budgets(d, ctx)
    _daily_cap(d, ctx)


def _decays(d: Draft, ctx: Context) -> None:
    at, s = ctx.facts.occurred_at, ctx.stats
    if ctx.role in _WORK_ROLES:
        nth = count_recent(s.recent_actions.get(ctx.facts.type, ()), at, limits.REPEAT_WINDOW_SECONDS) + 1
        note = f"#{nth} {ctx.facts.type} within the hour"
        _decay(d, "repetition", nth, limits.REPEAT_FREE, limits.REPEAT_DECAY, limits.REPEAT_FLOOR, note)
    peer = peer_of(ctx.facts, ctx.role, s.user_id)
    if peer is not None:
        # Two people trading reactions/mentions decays for both, whichever direction each went.
        nth = count_recent(s.recent_peers.get(peer, ()), at, limits.PAIR_WINDOW_SECONDS) + 1
        note = f"#{nth} interaction with this person within the day"
        _decay(d, "pair_repetition", nth, limits.PAIR_FREE, limits.PAIR_DECAY, limits.PAIR_FLOOR, note)


def _decay(d: Draft, name: str, nth: int, free: int, decay: float, floor: float, note: str) -> None:
    if nth <= free:
        return
    factor = repeat_factor(nth, free, decay, floor)
    if decay ** (nth - free) < floor:
        d.caps.append(Limit(f"{name}_floor", floor, decay ** (nth - free)))
    d.times(name, factor, note=note, amount=nth)


def _streak(d: Draft, ctx: Context) -> None:
    s = ctx.stats
    last = s.streak.last_active_date
    d.streak = update_streak(
        s.streak,
        ctx.facts.occurred_at,
        s.time_zone,
        s.skip_weekends,
        freeze_every=limits.FREEZE_EVERY_DAYS,
        max_freezes=limits.MAX_FREEZES,
    )
    days = d.streak.state.current
    mult = streak_multiplier(days, ctx.std.streak_step, ctx.std.streak_cap)
    uncapped = streak_multiplier(days, ctx.std.streak_step, float("inf"))
    if mult < uncapped:
        d.caps.append(Limit("streak_cap", mult, uncapped))
    board = streak_multiplier(days, ctx.board.streak_step, ctx.board.streak_cap)
    d.times("streak", mult, board, f"{days}-day streak", amount=days)
    if last is None or ctx.today > last:
        bonus = ctx.std.first_action_bonus
        d.plus("first_action_of_day", bonus, ctx.board.first_action_bonus, f"first work on {ctx.today}")


_BUDGET_NOTES: Mapping[limits.Budget, str] = {
    "self_made": "XP a day from tasks you created for yourself (assign work to each other to earn in full)",
    "completions": "XP a day from completions",
    "activity": "XP a day from creating, editing, moving and commenting",
}


def budgets_of(d: Draft, ctx: Context) -> list[limits.Budget]:
    """The daily budgets this award is paid from."""
    out: list[limits.Budget] = ["self_made"] if ctx.self_made else []
    out += [name for name, families in limits.BUDGET_FAMILIES.items() if d.family in families]
    return out


def _budgets(d: Draft, ctx: Context) -> None:
    """Pay the award from its daily budgets (profile XP; each board keeps its own, counted in profile XP).
    The award that crosses a budget's line is cut to fit exactly; after that it is 0."""
    names = budgets_of(d, ctx)
    if not names:
        return
    d.budgets = names
    daily = ctx.stats.daily.on(ctx.today)
    ws = ctx.facts.workspace_id or ""
    amount = d.amount()
    allowed, board_allowed, binding = amount, amount, names[0]
    for name in names:
        left = max(0, limits.DAILY_BUDGETS[name] - daily.spent.get(name, 0))
        board_left = max(0, limits.DAILY_BUDGETS[name] - daily.board_spent.get((ws, name), 0))
        if min(left, board_left) < min(allowed, board_allowed):
            binding = name
        allowed, board_allowed = min(allowed, left), min(board_allowed, board_left)
    d.spent = (round_xp(allowed), round_xp(board_allowed))
    if allowed >= amount and board_allowed >= amount:
        return
    cap = limits.DAILY_BUDGETS[binding]
    d.caps.append(Limit(f"{binding}_budget", allowed, amount))
    d.times("daily_budget", allowed / amount, board_allowed / amount, f"{cap} {_BUDGET_NOTES[binding]}")
    d.reasons.append(f"daily budget: at most {cap} {_BUDGET_NOTES[binding]}")


# What each capped family counts, in the words of the sentence a person reads in the award's explanation.
FAMILY_WORDS: Final[Mapping[limits.Family, str]] = {
    "created": "tasks created",
    "edits": "edits",
    "moves": "moves",
    "comments": "comments",
    "mentions_given": "mentions you make",
    "mentions_received": "mentions of you",
    "reactions_given": "reactions you give",
    "reactions_received": "reactions you get",
    "completions": "completions",
    "closes": "tasks closed for others",
    "invites": "accepted invites",
}


def _daily_cap(d: Draft, ctx: Context) -> None:
    family = d.family
    if family is None:
        return
    daily = ctx.stats.daily.on(ctx.today)
    cap = limits.DAILY_CAPS[family]
    profile_full = daily.profile.get(family, 0) >= cap
    board_full = daily.board.get((ctx.facts.workspace_id or "", family), 0) >= cap
    if not (profile_full or board_full):
        return
    d.times("daily_cap", 0.0 if profile_full else 1.0, 0.0 if board_full else 1.0, f"{cap} a day")
    counted = f"only the first {cap} {FAMILY_WORDS[family]} a day earn XP"
    d.reasons.append(
        f"Past the daily cap: {counted}"
        if profile_full
        else f"Past this workspace's daily cap: {counted} on its board"
    )
    if profile_full:
        d.bonuses = [replace(b, value=0.0) for b in d.bonuses]
    if board_full:
        d.bonuses = [replace(b, board=0.0) for b in d.bonuses]


def next_stats(d: Draft, ctx: Context) -> UserStats:
    """The recipient's state after this award."""
    s, facts = ctx.stats, ctx.facts
    at = facts.occurred_at
    work = ctx.role in _WORK_ROLES
    remember_action = work and facts.type in REPEAT_TYPES and not d.final
    login = ctx.role == "actor" and facts.type == "user.login"
    peer = peer_of(facts, ctx.role, s.user_id)
    on_profile, on_board = _earned(d)
    counted = on_profile or on_board
    if d.streak is None and not remember_action and peer is None and not login and not counted:
        return s
    return replace(
        s,
        streak=d.streak.state if d.streak is not None else s.streak,
        last_login_date=max(ctx.today, s.last_login_date or ctx.today) if login else s.last_login_date,
        recent_actions=(
            remember(s.recent_actions, facts.type, at, limits.REPEAT_WINDOW_SECONDS)
            if remember_action
            else s.recent_actions
        ),
        recent_peers=(
            remember(s.recent_peers, peer, at, limits.PAIR_WINDOW_SECONDS)
            if peer is not None
            else s.recent_peers
        ),
        daily=_count(s.daily.on(ctx.today), d, ctx, on_profile, on_board) if counted else s.daily,
    )


def _names(d: Draft) -> set[str]:
    return {f.name for f in d.multipliers}


def _earned(d: Draft) -> tuple[bool, bool]:
    """Whether this award counts toward its family's daily cap (and the self-made budget) on the profile,
    and on its workspace's board: when it earned XP there (at least 1 once rounded; the day's bonus is not
    the family's). Each side counts its own awards: once the profile is capped, a second workspace's board
    still counts (and caps) what it pays."""
    if d.family is None or d.final or "once_per_thing" in _names(d):
        return False, False
    return round_xp(d.amount()) > 0, round_xp(d.board_amount()) > 0


def _count(daily: DailyCounts, d: Draft, ctx: Context, on_profile: bool, on_board: bool) -> DailyCounts:
    family = d.family
    assert family is not None
    ws = ctx.facts.workspace_id or ""
    profile = dict(daily.profile)
    board = dict(daily.board)
    if on_profile:
        profile[family] = profile.get(family, 0) + 1
    if on_board:
        board[(ws, family)] = board.get((ws, family), 0) + 1
    if d.spent is None:
        return replace(daily, profile=profile, board=board)
    spent, board_spent = d.spent
    budgets = dict(daily.spent)
    board_budgets = dict(daily.board_spent)
    for name in d.budgets:
        if on_profile:
            budgets[name] = budgets.get(name, 0) + spent
        if on_board:
            board_budgets[(ws, name)] = board_budgets.get((ws, name), 0) + board_spent
    return replace(daily, profile=profile, board=board, spent=budgets, board_spent=board_budgets)
