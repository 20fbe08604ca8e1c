"""Fair-play limits: platform constants, the same in every workspace, never tunable by an admin.

Each limit answers one farming script (tests/fairplay/ plays each against the real pipeline):

- **Instant completion**: a task completed less than `INSTANT_COMPLETION_SECONDS` after it was created
  earns nothing (create-and-complete loops are the cheapest farm there is).
- **Settled values**: priority, estimate and due date count as they stood `SETTLE_SECONDS` before the
  completion; a task younger than that is a quick task priced with neutral multipliers. Raising the
  priority or the estimate, or setting the due date to today, just before completing pays nothing.
- **Repetition** (hourly, per action): the first `REPEAT_FREE` repeats of one action in an hour earn in
  full, then x`REPEAT_DECAY` each, never below `REPEAT_FLOOR`: bursts earn less than steady work.
- **Pairs** (daily, per other person): two people trading mentions or reactions decay for both.
- **Daily caps with a real zero**: per person and local day, each action family earns for its first
  `DAILY_CAPS[family]` awards and then exactly 0. Profile caps count across all the person's workspaces
  (one profile: a second workspace can't double them); board caps count per workspace (its own board).
- **Daily budgets** (`DAILY_BUDGETS`, profile XP a day, and the same per board): completions earn at most
  180 (about a steady day's three), creating/editing/moving/commenting together at most 100, and
  completions of tasks you created for yourself (a task that credits only its creator) at most 60 of the
  180. The award that crosses a line is cut to fit exactly, then it is 0. Budgets are what keep an
  accomplice handing out inflated tasks, or one person doing everything at once, below honest teamwork.
- **Once per thing**: a reaction or mention earns only the first time for one person and one thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

INSTANT_COMPLETION_SECONDS: Final = 30
SETTLE_SECONDS: Final = 3600

REPEAT_WINDOW_SECONDS: Final = 3600
REPEAT_FREE: Final = 5
REPEAT_DECAY: Final = 0.85
REPEAT_FLOOR: Final = 0.1

PAIR_WINDOW_SECONDS: Final = 86_400
PAIR_FREE: Final = 4
PAIR_DECAY: Final = 0.6
PAIR_FLOOR: Final = 0.05

FREEZE_EVERY_DAYS: Final = 7
MAX_FREEZES: Final = 2

Budget = Literal["self_made", "completions", "activity"]

DAILY_BUDGETS: Final[Mapping[Budget, int]] = {
    "self_made": 60,  # completions of tasks you created for yourself (within the completions budget)
    "completions": 180,  # every completion credited to you
    "activity": 100,  # creating, editing, moving and commenting, together
}
SELF_MADE_DAILY_XP: Final = DAILY_BUDGETS["self_made"]
"""Profile XP a person can earn a day from completing tasks they created for themselves."""

ACHIEVEMENT_PER_PERSON: Final = 10
"""How many things one other person can count for in a social achievement (reactions, mentions)."""

Family = Literal[
    "created",
    "edits",
    "moves",
    "comments",
    "mentions_given",
    "mentions_received",
    "reactions_given",
    "reactions_received",
    "completions",
    "closes",
    "invites",
]

# The families each budget covers (the self-made budget covers the self-made completions).
BUDGET_FAMILIES: Final[Mapping[Budget, frozenset[Family]]] = {
    "self_made": frozenset(),
    "completions": frozenset({"completions"}),
    "activity": frozenset({"created", "edits", "moves", "comments"}),
}

DAILY_CAPS: Final[Mapping[Family, int]] = {
    "created": 10,
    "edits": 15,
    "moves": 15,
    "comments": 10,
    "mentions_given": 10,
    "mentions_received": 10,
    "reactions_given": 15,
    "reactions_received": 15,
    "completions": 20,
    "closes": 10,
    "invites": 3,
}


def solo_daily_max(*, first_action_bonus: int = 15, daily_login: int = 10, invite_accepted: int = 25) -> int:
    """The most profile XP one person can earn in a local day from their own actions alone (no teammate
    creates, assigns, mentions or reacts to anything of theirs), with the standard weights.

    An upper bound, not a typical day: the activity budget (creating, editing, moving, commenting), the
    self-made completion budget (the only completions one person alone can make), the login, the day's
    first-action bonus and the invitations accepted (which need an inviter, but count them anyway).
    Mentioning or reacting to yourself earns nothing. Board weights cannot raise it: they price only the
    board.
    """
    return (
        DAILY_BUDGETS["activity"]
        + DAILY_BUDGETS["self_made"]
        + first_action_bonus
        + daily_login
        + DAILY_CAPS["invites"] * invite_accepted
    )
