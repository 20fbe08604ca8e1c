"""Imports every model so `Base.metadata` is complete (Alembic, tests)."""

from magictask.accounts.models import ApiToken, User
from magictask.comments.models import Comment, CommentMention
from magictask.db import Base
from magictask.events.models import Event
from magictask.idempotency.models import IdempotencyKey
from magictask.leaderboards.models import LeaderboardState
from magictask.mail.models import OutgoingMail
from magictask.mail.tokens import EmailToken
from magictask.notifications.models import Notification, NotificationPreference, TaskWatch
from magictask.projects.models import Project, ProjectStatus
from magictask.reactions.models import Reaction
from magictask.rewards.models import (
    TaskAward,
    UserAchievement,
    UserStats,
    WorkspaceScoring,
    XpAdjustment,
    XpFlag,
    XpLedger,
)
from magictask.tasks.models import Task, TaskAssignee
from magictask.trash.models import DeletedItem
from magictask.workspaces.models import Invite, Team, TeamMember, Workspace, WorkspaceMember

__all__ = [
    "ApiToken",
    "Base",
    "Comment",
    "CommentMention",
    "DeletedItem",
    "EmailToken",
    "Event",
    "IdempotencyKey",
    "Invite",
    "LeaderboardState",
    "Notification",
    "NotificationPreference",
    "OutgoingMail",
    "Project",
    "ProjectStatus",
    "Reaction",
    "Task",
    "TaskAssignee",
    "TaskAward",
    "TaskWatch",
    "Team",
    "TeamMember",
    "User",
    "UserAchievement",
    "UserStats",
    "Workspace",
    "WorkspaceMember",
    "WorkspaceScoring",
    "XpAdjustment",
    "XpFlag",
    "XpLedger",
]
