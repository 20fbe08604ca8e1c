"""Achievements as data, and their pure evaluation against per-user metrics.

The worker keeps one integer per (user, metric name):
- counters, bumped by `metric_increments(facts, role, local_time)` for every scored event;
- distinct sets, grown by `distinct_members(facts, role)`; the metric is the set's size;
- gauges, recomputed by `gauge_metrics(total_xp, streak)` after each batch.
Then `evaluate(metrics, already_unlocked)` says what to show and what to unlock now.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .levels import level_for_xp
from .rules import EventFacts, Role
from .streaks import StreakState
from .weights import DEFAULT_WEIGHTS, ScoringWeights

Tier = Literal["bronze", "silver", "gold"]

# Every metric an achievement may use, with what maintains it.
METRICS: Mapping[str, str] = {
    "tasks_completed": "counter: first completions of a task (re-completions and instant ones excluded)",
    "tasks_completed_on_time": "counter: completions on or before the due date, in the user's zone",
    "tasks_completed_night": "counter: completions between 00:00 and 05:00 local time",
    "tasks_completed_early": "counter: completions between 05:00 and 08:00 local time",
    "tasks_created": "counter: tasks created",
    "comments_created": "counter: comments written",
    "mentions_given": "counter: mentions of someone else",
    "mentions_received": "counter: times mentioned by someone else",
    "reactions_given": "counter: reactions to someone else's work",
    "reactions_received": "counter: reactions from someone else",
    "invites_accepted": "counter: workspace invitations accepted",
    "people_appreciated": "distinct: people this user mentioned or reacted to",
    "streak_longest": "gauge: longest streak in days (StreakState.longest)",
    "level": "gauge: level_for_xp(total XP)",
}

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
    _a("reactions_given_50", "Cheerleader", "Give 50 reactions", "bronze", "reactions_given", 50),
    _a("reactions_given_500", "Hype Machine", "Give 500 reactions", "silver", "reactions_given", 500),
    _a("reactions_received_50", "Crowd Favourite", "Get 50 reactions", "bronze", "reactions_received", 50),
    _a("mentions_received_25", "In Demand", "Get mentioned 25 times", "bronze", "mentions_received", 25),
    _a("welcome", "Welcome Aboard", "Accept an invitation to a workspace", None, "invites_accepted", 1),
    _a("level_5", "Apprentice", "Reach level 5", "bronze", "level", 5),
    _a("level_10", "Journeyman", "Reach level 10", "silver", "level", 10),
    _a("level_25", "Expert", "Reach level 25", "gold", "level", 25),
    _hidden("night_owl", "Night Owl", "Complete 10 tasks between midnight and 5 am", NIGHT, 10),
    _hidden("early_bird", "Early Bird", "Complete 10 tasks between 5 am and 8 am", EARLY, 10),
    _hidden("level_50", "Legend", "Reach level 50: about a year of steady work", "level", 50),
)


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


def metric_increments(
    facts: EventFacts, role: Role, local_time: datetime, *, weights: ScoringWeights = DEFAULT_WEIGHTS
) -> dict[str, int]:
    """Counters this event bumps for this recipient. `local_time` is `occurred_at` in the
    recipient's zone (streaks.local_time); `weights` decides what counts as an instant completion."""
    t = facts.type
    other = facts.counterpart()
    if t in ("mention.created", "reaction.added") and (other is None or other == facts.actor_id):
        return {}  # self-mentions and self-reactions count for nothing, like their XP
    if role == "receiver":
        received = {"mention.created": "mentions_received", "reaction.added": "reactions_received"}
        return {received[t]: 1} if t in received else {}
    if t == "task.completed":
        return _completion_increments(facts, local_time, weights)
    simple = {
        "task.created": "tasks_created",
        "comment.created": "comments_created",
        "mention.created": "mentions_given",
        "reaction.added": "reactions_given",
        "invite.accepted": "invites_accepted",
    }
    return {simple[t]: 1} if t in simple else {}


def _completion_increments(facts: EventFacts, local_time: datetime, w: ScoringWeights) -> dict[str, int]:
    if facts.prior_completion is not None:
        return {}  # a task counts once, however often it is reopened and completed
    created = facts.task_created_at
    if created is not None and (facts.occurred_at - created).total_seconds() < w.instant_completion_seconds:
        return {}  # create-and-complete farming must not unlock "1,000 tasks" either
    out = {"tasks_completed": 1}
    if facts.due_date is not None and local_time.date() <= facts.due_date:
        out["tasks_completed_on_time"] = 1
    if local_time.hour in NIGHT_HOURS:
        out["tasks_completed_night"] = 1
    elif local_time.hour in EARLY_HOURS:
        out["tasks_completed_early"] = 1
    return out


def distinct_members(facts: EventFacts, role: Role) -> dict[str, str]:
    """Distinct-set metrics this event may grow: metric name -> member id to add to the set."""
    other = facts.counterpart()
    if role == "actor" and other is not None and other != facts.actor_id:
        return {"people_appreciated": other}
    return {}


def gauge_metrics(total_xp: int, streak: StreakState) -> dict[str, int]:
    """Metrics derived from state rather than counted: merge them into the counters to evaluate."""
    return {"level": level_for_xp(total_xp), "streak_longest": streak.longest}
