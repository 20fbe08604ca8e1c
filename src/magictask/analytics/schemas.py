"""Response bodies of the engagement analytics."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class DailyActivity(BaseModel):
    date: date
    active_members: int = Field(description="Members who did anything in the workspace that day")
    weekly_active_members: int = Field(description="Active at least once in the 7 days ending that day")
    actions: int
    actions_by_type: dict[str, int]


class WeeklyActivity(BaseModel):
    week_start: date = Field(description="Monday, in the workspace time zone")
    active_members: int
    actions: int
    partial: bool = Field(description="The range covers only part of this week")


class ActivityOut(BaseModel):
    workspace_id: uuid.UUID
    timezone: str
    start: date
    end: date = Field(description="Last day included (today, in the workspace time zone)")
    members: int = Field(description="Current members")
    daily: list[DailyActivity]
    weekly: list[WeeklyActivity]
    measured_from: date = Field(
        description="First day the averages cover: the range's start, or the workspace's first day if later"
    )
    measured_days: int = Field(description="Days the averages cover (measured_from to end)")
    average_daily_active: float = Field(description="Members active on an average day of the measured days")
    average_weekly_active: float = Field(
        description="Members active in the 7 days ending on an average day of the measured days"
    )
    stickiness: float | None = Field(
        description="average_daily_active over average_weekly_active: the share of a week's active members "
        "who are active on a given day (null when nobody was active)"
    )


class Cohort(BaseModel):
    week_start: date = Field(description="The week these members joined (Monday, workspace time zone)")
    members: int
    active: list[int | None] = Field(
        description="Members active N weeks after their joining week (index N); null: not yet happened"
    )
    retention: list[float | None] = Field(description="`active` as a share of `members`")


class RetentionOut(BaseModel):
    workspace_id: uuid.UUID
    timezone: str
    weeks: int = Field(description="Columns: weeks since joining, 0 (the joining week) to `weeks`")
    cohorts: list[Cohort]


class GamificationPeriod(BaseModel):
    enabled: bool
    start: datetime
    end: datetime | None = Field(description="null: the current period")


class RetentionShare(BaseModel):
    week: int = Field(description="Active during days 7N to 7N+6 after joining")
    eligible: int = Field(description="Members who joined long enough ago to be measured")
    retained: int
    share: float | None


class GamificationSide(BaseModel):
    enabled: bool
    days: int = Field(description="Whole days in this state (days with a switch in them are left out)")
    member_days: int
    active_member_days: int
    daily_active_share: float | None = Field(description="Share of members active on an average day")
    actions: int
    actions_per_member_day: float | None
    joined: int = Field(description="Members who joined while the workspace was in this state")
    retention: list[RetentionShare]


class GamificationOut(BaseModel):
    workspace_id: uuid.UUID
    timezone: str
    gamification_enabled: bool
    periods: list[GamificationPeriod]
    on: GamificationSide
    off: GamificationSide
    lift: dict[str, float | None] = Field(
        description="On divided by off, per measure (1.0: no difference); null where a side has no data"
    )
    note: str
