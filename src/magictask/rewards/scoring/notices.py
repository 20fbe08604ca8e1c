"""What the kernel asks to tell a person once its batch has committed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Notification:
    user_id: str
    event: str  # xp.awarded | level.up | achievement.unlocked
    data: dict[str, Any]
