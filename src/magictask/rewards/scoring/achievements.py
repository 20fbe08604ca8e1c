"""Achievements as data, and their pure evaluation against per-person metrics.

The kernel keeps, per person and metric, either
- a **counter** (tasks completed, created, comments: each counts only when it earned XP, so a daily cap
  also caps how fast an achievement can be farmed; a task counts once however often it is reopened), or
- **distinct things**: social metrics count distinct (other person, thing) pairs — a friend reacting 50
  times to one comment with 50 emoji is one — and each other person counts for at most
  `ACHIEVEMENT_PER_PERSON` things, so "50 reactions received" takes at least five people; Night Owl and
  Early Bird count distinct local days; "people appreciated" counts distinct people;
- a **gauge** recomputed from state (level, longest streak).
Then `evaluate(metrics, already_unlocked)` says what to show and what to unlock now.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .facts import EventFacts, Role
from .levels import level_for_xp
from .limits import ACHIEVEMENT_PER_PERSON
from .streaks import StreakState

Tier = Literal["bronze", "silver", "gold"]

# Every metric an achievement may use, with what maintains it.
METRICS: Mapping[str, str] = {
    "tasks_completed": "counter: tasks credited to you with XP (each task once; not instant ones)",
    "tasks_completed_on_time": "counter: of those, done on or before the due date as it stood before",
    "tasks_completed_night": "distinct local days with such a completion between 00:00 and 05:00",
    "tasks_completed_early": "distinct local days with such a completion between 05:00 and 08:00",
    "tasks_created": "counter: tasks created that earned XP",
    "comments_created": "counter: comments written that earned XP",
    "mentions_given": f"distinct (person, comment) mentions of others, at most {ACHIEVEMENT_PER_PERSON} per person",
    "mentions_received": f"distinct (person, comment) mentions by others, at most {ACHIEVEMENT_PER_PERSON} per person",
    "reactions_given": f"distinct (person, thing) reactions to others, at most {ACHIEVEMENT_PER_PERSON} per person",
    "reactions_received": f"distinct (person, thing) reactions by others, at most {ACHIEVEMENT_PER_PERSON} per person",
    "invites_accepted": "counter: workspace invitations accepted",
    "people_appreciated": "distinct: people this person mentioned or reacted to",
    "streak_longest": "gauge: longest streak in days (StreakState.longest)",
    "level": "gauge: level_for_xp(total XP)",
}
SOCIAL_METRICS = frozenset({"mentions_given", "mentions_received", "reactions_given", "reactions_received"})
DAY_METRICS = frozenset({"tasks_completed_night", "tasks_completed_early"})

NIGHT_HOURS = range(5)  # 00:00-04:59
EARLY_HOURS = range(5, 8)  # 05:00-07:59


@dataclass(frozen=True)
class Achievement:
    key: str
    name: str
    description: str
    tier: Tier | None
    hidden: bool  # not listed until unlocked (a surprise), still evaluated
    metric: str
    threshold: int


@dataclass(frozen=True)
class AchievementProgress:
    achievement: Achievement
    current: int  # the metric, clamped to the target so a bar never overflows
    target: int
    unlocked: bool
    newly_unlocked: bool  # unlocked by this evaluation: notify and persist


def _a(key: str, name: str, description: str, tier: Tier | None, metric: str, n: int) -> Achievement:
    return Achievement(key, name, description, tier, False, metric, n)


def _hidden(key: str, name: str, description: str, metric: str, n: int) -> Achievement:
    return Achievement(key, name, description, None, True, metric, n)


ON_TIME = "tasks_completed_on_time"
PEOPLE = "people_appreciated"  # mentioned or reacted to, distinct people
NIGHT = "tasks_completed_night"
EARLY = "tasks_completed_early"

ACHIEVEMENTS: tuple[Achievement, ...] = (
    _a("first_task", "First Steps", "Complete your first task", None, "tasks_completed", 1),
    _a("tasks_10", "Getting Things Done", "Complete 10 tasks", "bronze", "tasks_completed", 10),
    _a("tasks_100", "Workhorse", "Complete 100 tasks", "silver", "tasks_completed", 100),
    _a("tasks_1000", "Unstoppable", "Complete 1,000 tasks", "gold", "tasks_completed", 1000),
    _a("planner_25", "Planner", "Create 25 tasks", "bronze", "tasks_created", 25),
    _a("planner_250", "Architect", "Create 250 tasks", "silver", "tasks_created", 250),
    _a("streak_7", "On a Roll", "Keep a 7-day streak", "bronze", "streak_longest", 7),
    _a("streak_30", "Habit Formed", "Keep a 30-day streak", "silver", "streak_longest", 30),
    _a("streak_100", "Relentless", "Keep a 100-day streak", "gold", "streak_longest", 100),
    _a("first_comment", "Say Something", "Write your first comment", None, "comments_created", 1),
    _a("commenter_25", "Helpful Commenter", "Write 25 comments", "bronze", "comments_created", 25),
    _a("commenter_250", "Voice of the Team", "Write 250 comments", "silver", "comments_created", 250),
    _a("commenter_1000", "Storyteller", "Write 1,000 comments", "gold", "comments_created", 1000),
    _a("on_time_10", "On-Time Finisher", "Finish 10 tasks by their due date", "bronze", ON_TIME, 10),
    _a("on_time_100", "Clockwork", "Finish 100 tasks by their due date", "silver", ON_TIME, 100),
    _a("team_player_5", "Team Player", "Appreciate 5 different people", "bronze", PEOPLE, 5),
    _a("team_player_25", "Connector", "Appreciate 25 different people", "silver", PEOPLE, 25),
    _a(
        "reactions_given_50",
        "Cheerleader",
        "React to 50 things of at least 5 people",
        "bronze",
        "reactions_given",
        50,
    ),
    _a(
        "reactions_given_500",
        "Hype Machine",
        "React to 250 things of at least 25 people",
        "silver",
        "reactions_given",
        250,
    ),
    _a(
        "reactions_received_50",
        "Crowd Favourite",
        "Get reactions on 50 things from at least 5 people",
        "bronze",
        "reactions_received",
        50,
    ),
    _a(
        "mentions_received_25",
        "In Demand",
        "Get mentioned in 25 comments by at least 3 people",
        "bronze",
        "mentions_received",
        25,
    ),
    _a("welcome", "Welcome Aboard", "Accept an invitation to a workspace", None, "invites_accepted", 1),
    _a("level_5", "Apprentice", "Reach level 5", "bronze", "level", 5),
    _a("level_10", "Journeyman", "Reach level 10", "silver", "level", 10),
    _a("level_25", "Expert", "Reach level 25", "gold", "level", 25),
    _hidden(
        "night_owl", "Night Owl", "Complete tasks between midnight and 5 am on 10 different nights", NIGHT, 10
    ),
    _hidden(
        "early_bird", "Early Bird", "Complete tasks between 5 am and 8 am on 10 different mornings", EARLY, 10
    ),
    _hidden("level_50", "Legend", "Reach level 50: about a year and a half of steady work", "level", 50),
)


_BY_METRIC: dict[str, tuple[Achievement, ...]] = {}
for _achievement in ACHIEVEMENTS:
    _BY_METRIC[_achievement.metric] = (*_BY_METRIC.get(_achievement.metric, ()), _achievement)


def achievements_on(metrics: Set[str]) -> list[Achievement]:
    """The achievements that use any of these metrics, in catalogue order within each metric."""
    return [a for m in metrics for a in _BY_METRIC.get(m, ())]


def evaluate(metrics: Mapping[str, int], already_unlocked: Set[str]) -> list[AchievementProgress]:
    """Progress on every achievement. Idempotent: an unlocked key is never newly unlocked again,
    and an unlocked achievement stays unlocked even if its metric were to drop."""
    out = []
    for a in ACHIEVEMENTS:
        value = metrics.get(a.metric, 0)
        was = a.key in already_unlocked
        reached = value >= a.threshold
        out.append(
            AchievementProgress(
                achievement=a,
                current=a.threshold if was else min(max(value, 0), a.threshold),
                target=a.threshold,
                unlocked=was or reached,
                newly_unlocked=reached and not was,
            )
        )
    return out


def newly_unlocked(metrics: Mapping[str, int], already_unlocked: Set[str]) -> list[Achievement]:
    """The achievements `evaluate` would report as newly unlocked, in catalogue order, without building a
    progress row for every achievement (the worker asks this for every user a batch touched)."""
    return [
        a for a in ACHIEVEMENTS if a.key not in already_unlocked and metrics.get(a.metric, 0) >= a.threshold
    ]


def metric_value(
    metric: str, counters: Mapping[str, int], distinct: Mapping[str, Mapping[str, tuple[str, ...]]]
) -> int:
    if metric in distinct:
        members = distinct[metric]
        if metric == "people_appreciated":
            return len(members)
        return sum(len(things) for things in members.values())
    return counters.get(metric, 0)


def metrics_of(
    counters: Mapping[str, int],
    distinct: Mapping[str, Mapping[str, tuple[str, ...]]],
    total_xp: int,
    streak: StreakState,
) -> dict[str, int]:
    """Every metric's current value, for `evaluate`."""
    out = dict(counters)
    for metric in distinct:
        out[metric] = metric_value(metric, counters, distinct)
    out["level"] = level_for_xp(max(0, total_xp))
    out["streak_longest"] = streak.longest
    return out


@dataclass(frozen=True, slots=True)
class MetricUpdate:
    counters: Mapping[str, int]  # metric -> increment
    distinct: Mapping[str, tuple[str, str]]  # metric -> (member, thing) to add ("" thing: just the member)


_NO_UPDATE = MetricUpdate({}, {})


def metric_update(
    facts: EventFacts, role: Role, xp: int, base_name: str, local: datetime, on_time: bool
) -> MetricUpdate:
    """What one award adds to its recipient's metrics. `xp`: the award's profile XP; `local`: the event's
    time in the recipient's scoring zone; `on_time`: the award had the on-time multiplier."""
    t = facts.type
    if t in ("mention.created", "reaction.added"):
        return _social(facts, role)
    if t == "task.completed" and base_name == "task_completed" and xp > 0:
        counters = {"tasks_completed": 1, **({"tasks_completed_on_time": 1} if on_time else {})}
        day = local.date().isoformat()
        if local.hour in NIGHT_HOURS:
            return MetricUpdate(counters, {"tasks_completed_night": ("", day)})
        if local.hour in EARLY_HOURS:
            return MetricUpdate(counters, {"tasks_completed_early": ("", day)})
        return MetricUpdate(counters, {})
    simple = {
        "task.created": "tasks_created",
        "comment.created": "comments_created",
        "invite.accepted": "invites_accepted",
    }
    if role == "actor" and t in simple and xp > 0:
        return MetricUpdate({simple[t]: 1}, {})
    return _NO_UPDATE


def _social(facts: EventFacts, role: Role) -> MetricUpdate:
    other = facts.counterpart_id if role == "actor" else facts.actor_id
    if other is None or facts.counterpart_id == facts.actor_id:
        return _NO_UPDATE  # self-mentions and self-reactions count for nothing, like their XP
    kind = "mentions" if facts.type == "mention.created" else "reactions"
    metric = f"{kind}_{'given' if role == 'actor' else 'received'}"
    thing = facts.thing_id or f"event:{facts.event_id}"
    added = {metric: (other, thing)}
    if role == "actor":
        added["people_appreciated"] = (other, "")
    return MetricUpdate({}, added)


def add_distinct(
    distinct: dict[str, dict[str, tuple[str, ...]]], metric: str, member: str, thing: str
) -> bool:
    """Add one (member, thing); True when the metric grew. Social metrics keep at most
    ACHIEVEMENT_PER_PERSON things per member; day metrics at most the highest threshold of days."""
    members = distinct.setdefault(metric, {})
    things = members.get(member)
    if things is None:
        members[member] = (thing,) if thing else ()
        return True
    if not thing or thing in things:
        return False
    limit = ACHIEVEMENT_PER_PERSON if metric in SOCIAL_METRICS else _highest_threshold(metric)
    if len(things) >= limit:
        return False
    members[member] = (*things, thing)
    return True


def _highest_threshold(metric: str) -> int:
    return max((a.threshold for a in ACHIEVEMENTS if a.metric == metric), default=1)
