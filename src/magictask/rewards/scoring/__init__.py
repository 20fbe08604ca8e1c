"""The scoring kernel: the whole scoring model, pure (no I/O, no clock).

`score_batch(BatchInput) -> BatchResult` is the one entry point: a batch of events with the state it needs
in; awards (each with its typed explanation), new state and notifications out. The reward worker is a thin
I/O shell around it and the API's completion preview calls it too; nothing else prices XP.

- `weights`: the standard model and what a workspace may tune (its board only)
- `limits`: the fair-play constants (caps, decays, settle time), and the solo daily maximum
- `rules`: who an event credits and the base of each award; `fairplay`: limits and streak on top
- `settle`: the values a completion is priced with; `zones`: when a time-zone change takes effect
- `achievements`, `levels`, `streaks`: progression; `explain`: the award as the person sees it
"""

from .explain import Award, Explanation
from .facts import Correction, Credit, EventFacts, Role, TaskAward, TaskValues
from .kernel import BatchInput, BatchResult, score_batch
from .notices import Notification
from .state import DailyCounts, PlayerState, UserStats
from .weights import STANDARD, ScoringWeights

__all__ = [
    "STANDARD",
    "Award",
    "BatchInput",
    "BatchResult",
    "Correction",
    "Credit",
    "DailyCounts",
    "EventFacts",
    "Explanation",
    "Notification",
    "PlayerState",
    "Role",
    "ScoringWeights",
    "TaskAward",
    "TaskValues",
    "UserStats",
    "score_batch",
]
