"""Small helpers that drive the public API the way a client would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

_counter = itertools.count(1)


@dataclass
class Account:
    id: str
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def signup(client: httpx.AsyncClient, name: str | None = None, email: str | None = None) -> Account:
    n = next(_counter)
    name = name or f"User{n}"
    email = email or f"user{n}@example.com"
    r = await client.post("/api/v1/auth/signup", json={"email": email, "password": "correct horse battery", "name": name})
    assert r.status_code == 201, r.text
    body = r.json()
    client.cookies.clear()  # tests authenticate explicitly with the bearer token
    return Account(id=body["user"]["id"], email=email, name=name, token=body["access_token"])


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None
