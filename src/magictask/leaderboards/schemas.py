"""Response bodies of the leaderboards feature."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from magictask.leaderboards.windows import Window


class LeaderboardEntry(BaseModel):
    rank: int = Field(description="1 is the top; ties in XP go to whoever reached their XP first")
    user_id: uuid.UUID
    name: str
    xp: int = Field(
        description="XP earned in this workspace during the window, priced with the workspace's own weights"
    )
    reached_at: datetime | None = Field(description="When the member last earned XP in the window")
    joined_at: datetime
    late_joiner: bool = Field(description="Joined after the window started, so had less time to earn XP")
    is_me: bool
    opted_out: bool = Field(
        description="Hidden from everyone else's leaderboards (only ever true on the caller's own entry)"
    )


class LeaderboardOut(BaseModel):
    workspace_id: uuid.UUID
    team_id: uuid.UUID | None
    window: Window
    timezone: str = Field(description="The workspace time zone the window follows")
    window_start: datetime | None = Field(description="When the window opened; null for `all`")
    window_end: datetime | None
    period_start: date | None = Field(description="First local day of the window; null for `all`")
    computed_at: datetime | None = Field(
        description="When the materialized views under the standings were last refreshed (every few minutes); "
        "XP awarded since then is included live"
    )
    total: int = Field(description="Members on this board (others who opted out are not counted)")
    items: list[LeaderboardEntry]
    next_cursor: str | None = None
    me: LeaderboardEntry | None = Field(
        description="The caller's own standing; null when the team filter leaves the caller out"
    )
    around_me: list[LeaderboardEntry] = Field(
        description="The caller and the members just above and below, in rank order"
    )
