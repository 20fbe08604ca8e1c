from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import Account, Team, create_project, create_workspace, make_team, signup


@pytest.fixture
async def team(client: httpx.AsyncClient) -> Team:
    return await make_team(client)


@pytest.fixture
async def outsider(client: httpx.AsyncClient) -> tuple[Account, dict[str, Any]]:
    """Someone with a workspace and project of their own, and no access to the team's."""
    user = await signup(client, name="Oscar Outsider")
    ws = await create_workspace(client, user, name="Elsewhere")
    project = await create_project(client, ws["id"], user, name="Other", key="OTH")
    return user, project
