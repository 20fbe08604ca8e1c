"""Every feature's router under /api/v1. Each feature owns its endpoints.py; this file only wires them."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from magictask.accounts.email_endpoints import router as account_email_router
from magictask.accounts.endpoints import router as accounts_router
from magictask.activity.endpoints import router as activity_router
from magictask.analytics.endpoints import router as analytics_router
from magictask.comments.endpoints import router as comments_router
from magictask.corrections.endpoints import router as corrections_router
from magictask.idempotency.service import claim_idempotency_key
from magictask.kit.routing import TransactionalRoute
from magictask.kit.text_input import check_storable_input
from magictask.leaderboards.endpoints import router as leaderboards_router
from magictask.notifications.endpoints import router as notifications_router
from magictask.projects.endpoints import router as projects_router
from magictask.reactions.endpoints import router as reactions_router
from magictask.rewards.endpoints import router as rewards_router
from magictask.tasks.endpoints import router as tasks_router
from magictask.workspaces.access import track_request_intent
from magictask.workspaces.endpoints import router as workspaces_router

# Every route refuses text PostgreSQL cannot store (NUL, lone surrogates) with a 422 naming the field, and
# records whether it writes (guests may not, unless the endpoint says so: workspaces/access.py).
api_router = APIRouter(
    prefix="/api/v1",
    route_class=TransactionalRoute,
    dependencies=[
        Depends(check_storable_input),
        Depends(track_request_intent),
        Depends(claim_idempotency_key),  # last: claims in the transaction only what passed the checks
    ],
)

# Hot first: FastAPI matches a request against the routes in this order, one by one (a sixth of a task
# GET's CPU in the profile, docs/BENCHMARKS.md), and tasks and comments are most of the traffic.
api_router.include_router(tasks_router)
api_router.include_router(comments_router)
api_router.include_router(rewards_router)
api_router.include_router(leaderboards_router)
api_router.include_router(projects_router)
api_router.include_router(reactions_router)
api_router.include_router(accounts_router)
api_router.include_router(account_email_router)
api_router.include_router(workspaces_router)
api_router.include_router(activity_router)
api_router.include_router(corrections_router)
api_router.include_router(analytics_router)
api_router.include_router(notifications_router)
