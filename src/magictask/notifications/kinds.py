"""Notification kinds and delivery channels."""

from __future__ import annotations

from typing import Final, Literal

ASSIGNED: Final = "assigned"
MENTIONED: Final = "mentioned"
COMMENT: Final = "comment"
STATUS_CHANGED: Final = "status_changed"
DUE_SOON: Final = "due_soon"
OVERDUE: Final = "overdue"
INVITE_ACCEPTED: Final = "invite_accepted"
ACHIEVEMENT: Final = "achievement"
LEVEL_UP: Final = "level_up"

ALL_KINDS: Final = (
    ASSIGNED, MENTIONED, COMMENT, STATUS_CHANGED, DUE_SOON, OVERDUE, INVITE_ACCEPTED, ACHIEVEMENT, LEVEL_UP,
)  # fmt: skip

Channel = Literal["in_app", "email", "digest", "off"]
CHANNELS: Final = ("in_app", "email", "digest", "off")
DEFAULT_CHANNEL: Final = "in_app"
