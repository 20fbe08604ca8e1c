"""Every event type the product records. The activity log shows them; the reward engine scores them."""

from __future__ import annotations

from typing import Final

TASK_CREATED: Final = "task.created"
TASK_UPDATED: Final = "task.updated"
TASK_MOVED: Final = "task.moved"
TASK_COMPLETED: Final = "task.completed"
TASK_REOPENED: Final = "task.reopened"
TASK_DELETED: Final = "task.deleted"
# Undo of a delete within its window (trash/): the same task, comment or its rows back, never scored.
TASK_RESTORED: Final = "task.restored"
COMMENT_CREATED: Final = "comment.created"
COMMENT_UPDATED: Final = "comment.updated"
COMMENT_DELETED: Final = "comment.deleted"
COMMENT_RESTORED: Final = "comment.restored"
MENTION_CREATED: Final = "mention.created"
REACTION_ADDED: Final = "reaction.added"
REACTION_REMOVED: Final = "reaction.removed"
USER_LOGIN: Final = "user.login"
# A member changed their profile (payload: {"changes": {field: new value}}); leaderboards hang the
# invalidation of cached boards on it (a name or the leaderboard opt-out).
USER_UPDATED: Final = "user.updated"
INVITE_ACCEPTED: Final = "invite.accepted"
MEMBER_JOINED: Final = "member.joined"
MEMBER_LEFT: Final = "member.left"
MEMBER_ROLE_CHANGED: Final = "member.role_changed"
WORKSPACE_CREATED: Final = "workspace.created"
WORKSPACE_UPDATED: Final = "workspace.updated"
PROJECT_CREATED: Final = "project.created"
PROJECT_UPDATED: Final = "project.updated"
PROJECT_DELETED: Final = "project.deleted"
# An admin corrected an award (payload: user_id, ledger_id, adjustment_id, delta, board_delta, previous_xp, xp,
# reason, original_event_type); the reward worker turns it into the explained ledger row (corrects_id).
XP_ADJUSTED: Final = "xp.adjusted"
# A member asked admins to review an award, and an admin dismissed or adjusted it: recorded for the
# activity feed, never scored (payload: flag_id, ledger_id, award_user_id, flagged_by[, status]).
XP_FLAGGED: Final = "xp.flagged"
XP_FLAG_RESOLVED: Final = "xp.flag_resolved"

ALL: Final = frozenset(
    {
        TASK_CREATED, TASK_UPDATED, TASK_MOVED, TASK_COMPLETED, TASK_REOPENED, TASK_DELETED,
        TASK_RESTORED, COMMENT_CREATED, COMMENT_UPDATED, COMMENT_DELETED, COMMENT_RESTORED, MENTION_CREATED,
        REACTION_ADDED, REACTION_REMOVED, USER_LOGIN, USER_UPDATED, INVITE_ACCEPTED,
        MEMBER_JOINED, MEMBER_LEFT, MEMBER_ROLE_CHANGED,
        WORKSPACE_CREATED, WORKSPACE_UPDATED, PROJECT_CREATED, PROJECT_UPDATED, PROJECT_DELETED,
        XP_ADJUSTED, XP_FLAGGED, XP_FLAG_RESOLVED,
    }
)  # fmt: skip
