"""Tenant isolation, proven over the whole OpenAPI spec.

Workspace A is filled with one of everything (project, columns, task, comment, reactions, team, invite, a
personal token). A user who owns workspace B — a real member elsewhere, so only tenancy stands between them
and A — then calls every /api/v1 operation that takes a path parameter with A's real ids and a body built
from the operation's schema (valid, so it reaches the tenant check). Every answer must be 404, the same
answer an id that does not exist gets; afterwards not one row of the database has changed.

Mixed calls go further: B's own containers with A's ids in the other path slot or in the body (assignees,
parent, status columns) must be answered exactly like a random id, and leave no reference to A anywhere.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.models import Base
from tests.helpers import Account, add_member, create_project, create_task, create_workspace, ok, signup

API = "/api/v1"
UNAUTHENTICATED_OK = {
    ("POST", f"{API}/auth/signup"),
    ("POST", f"{API}/auth/login"),
    ("GET", f"{API}/invites/{{token}}"),  # the invite preview: the invited person has no account yet
    # The mailed links: whoever holds the token, which is the credential (tests/mail/test_account_flows.py
    # covers bad, expired and reused ones); the reset request answers alike for any address.
    ("POST", f"{API}/auth/password-reset"),
    ("POST", f"{API}/auth/password-reset/confirm"),
    ("POST", f"{API}/auth/verify-email"),
    ("POST", f"{API}/auth/email-change/confirm"),
}
# The invite link is a capability: whoever holds the token may see what it invites to (an accept screen
# needs that before the user decides). Accepting still requires the invited email (checked below).
CAPABILITY_ROUTES = {("GET", f"{API}/invites/{{token}}")}

# ---- the OpenAPI spec as a list of operations ---------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]
    components: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def params(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    @property
    def path_params(self) -> list[str]:
        return [p["name"] for p in self.params("path")]

    @property
    def body_schema(self) -> dict[str, Any] | None:
        body = self.spec.get("requestBody")
        if not body:
            return None
        return resolve(body["content"]["application/json"]["schema"], self.components)

    def url(self, values: dict[str, str]) -> str:
        path = self.path
        for name in self.path_params:
            path = path.replace("{" + name + "}", quote(values[name], safe=""))
        return path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(spec: dict[str, Any]) -> list[Operation]:
    components = spec.get("components", {}).get("schemas", {})
    return [
        Operation(method.upper(), path, op, components)
        for path, ops in spec["paths"].items()
        if path.startswith(API)
        for method, op in ops.items()
    ]


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref and pick the first non-null branch of anyOf (Optional[X] -> X)."""
    while True:
        if "$ref" in schema:
            schema = {
                **components[schema["$ref"].rsplit("/", 1)[1]],
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
        elif "anyOf" in schema:
            branches = [s for s in schema["anyOf"] if s.get("type") != "null"]
            schema = {**branches[0], **{k: v for k, v in schema.items() if k not in ("anyOf", "default")}}
        else:
            return schema


def example(
    schema: dict[str, Any], components: dict[str, Any], values: dict[str, Any], name: str = ""
) -> Any:
    """A plausible, valid value for `schema`; `values` overrides by field name (ids, versions, ...)."""
    if name in values:
        return values[name]
    schema = resolve(schema, components)
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {key: example(sub, components, values, key) for key, sub in props.items()}
    if kind == "array":
        return [example(schema.get("items", {}), components, values, name)][: schema.get("maxItems", 1)]
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "email":
            return f"someone-{uuid.uuid4().hex[:6]}@example.com"
        if fmt == "date":
            return "2031-01-15"
        if fmt == "date-time":
            return "2031-01-15T10:00:00Z"
        return "Plausible"[: schema.get("maxLength", 100)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return None


def uuid_fields(schema: dict[str, Any] | None, components: dict[str, Any]) -> list[str]:
    """Top-level body fields that carry ids (a uuid or a list of uuids)."""
    if not schema:
        return []
    out = []
    for key, sub in schema.get("properties", {}).items():
        sub = resolve(sub, components)
        item = resolve(sub.get("items", {}), components) if sub.get("type") == "array" else sub
        if item.get("format") == "uuid":
            out.append(key)
    return out


async def load_operations(client: httpx.AsyncClient) -> list[Operation]:
    spec = ok(await client.get("/openapi.json"))
    ops = operations(spec)
    assert len(ops) > 50
    return ops


# ---- two tenants ---------------------------------------------------------------------------------------


@dataclass
class Tenant:
    owner: Account
    member: Account
    ids: dict[str, str]  # path parameter name -> a real id of this tenant
    all_ids: set[str] = field(default_factory=set)  # every id created in this tenant
    statuses: list[str] = field(default_factory=list)
    task_version: Callable[[], Any] | None = None

    def body_values(self) -> dict[str, Any]:
        return {
            "status_id": self.ids["status_id"],
            "status_ids": list(self.statuses),
            "assignee_ids": [self.member.id],
            "parent_id": self.ids["other_task_id"],
            "key": "ZZZ",
            "timezone": "Europe/Paris",
            "emoji": EMOJI,
            "move_to": self.ids["move_to"],
        }


EMOJI = "🎉"


# Path ids that are integers (XP ledger rows, flags): a random one is a large number, and they are left out
# of `all_ids` (a short number would be found inside any row).
INTEGER_IDS = ("ledger_id", "flag_id", "notification_id")
UNKNOWN_INTEGER_ID = str(2**62)


async def make_notification(engine: AsyncEngine, user_id: str, workspace_id: str) -> int:
    """An inbox item, as the worker would have written it."""
    async with engine.begin() as conn:
        return int(
            await conn.scalar(
                text(
                    "insert into notifications (user_id, workspace_id, kind, dedupe_key)"
                    " values (:u, :w, 'mentioned', 'tenant-test') returning id"
                ),
                {"u": uuid.UUID(user_id), "w": uuid.UUID(workspace_id)},
            )
        )


async def make_award(engine: AsyncEngine, user_id: str, workspace_id: str) -> int:
    """A processed event and its XP ledger row, as the reward worker would have written them."""
    params = {"u": uuid.UUID(user_id), "w": uuid.UUID(workspace_id)}
    async with engine.begin() as conn:
        event_id = (
            await conn.execute(
                text(
                    "insert into events (type, actor_id, workspace_id, subject_type, subject_id, processed_at) "
                    "values ('comment.created', :u, :w, 'comment', 'x', now()) returning id"
                ),
                params,
            )
        ).scalar_one()
        ledger_id = await conn.execute(
            text(
                "insert into xp_ledger (event_id, user_id, workspace_id, event_type, role, delta, board_delta, "
                "explanation, occurred_at) values (:e, :u, :w, 'comment.created', 'actor', 5, 5, '{}', now()) "
                "returning id"
            ),
            {**params, "e": event_id},
        )
        return int(ledger_id.scalar_one())


async def make_tenant(client: httpx.AsyncClient, label: str, engine: AsyncEngine) -> Tenant:
    owner = await signup(client, name=f"{label} Owner")
    member = await signup(client, name=f"{label} Member")
    ws = await create_workspace(client, owner, name=f"Workspace {label}")
    await add_member(client, ws["id"], owner, member)
    project = await create_project(client, ws["id"], owner, name=f"Project {label}", key=f"P{label}")
    statuses = ok(await client.get(f"{API}/projects/{project['id']}/statuses", headers=owner.headers))
    status_ids = [s["id"] for s in statuses]
    task = await create_task(
        client, project["id"], owner, title=f"Task {label}", assignee_ids=[member.id], labels=["x"]
    )
    subtask = await create_task(client, project["id"], owner, title="Subtask", parent_id=task["id"])
    other = await create_task(client, project["id"], owner, title="Another task")
    h = owner.headers
    comment = ok(
        await client.post(
            f"{API}/tasks/{task['id']}/comments", json={"body": f"hi @{member.name}"}, headers=h
        ),
        201,
    )
    for target in (f"tasks/{task['id']}", f"comments/{comment['id']}"):
        r = await client.post(f"{API}/{target}/reactions", json={"emoji": EMOJI}, headers=member.headers)
        assert r.status_code in (200, 201), r.text
    team = ok(await client.post(f"{API}/workspaces/{ws['id']}/teams", json={"name": "Core"}, headers=h), 201)
    r = await client.put(f"{API}/teams/{team['id']}/members/{member.id}", headers=h)
    assert r.status_code in (200, 201, 204), r.text
    invite = ok(
        await client.post(
            f"{API}/workspaces/{ws['id']}/invites", json={"email": f"pending-{label}@example.com"}, headers=h
        ),
        201,
    )
    token = ok(await client.post(f"{API}/me/tokens", json={"name": "ci"}, headers=member.headers), 201)
    session = ok(await client.get(f"{API}/me/sessions", headers=member.headers))[0]
    ledger_id = await make_award(engine, member.id, ws["id"])
    flag = ok(
        await client.post(
            f"{API}/xp/awards/{ledger_id}/flags", json={"reason": "Check"}, headers=member.headers
        ),
        201,
    )
    ids = {
        "workspace_id": ws["id"],
        "project_id": project["id"],
        "status_id": status_ids[0],
        "move_to": status_ids[1],
        "task_id": task["id"],
        "comment_id": comment["id"],
        "team_id": team["id"],
        "user_id": member.id,
        "invite_id": invite["id"],
        "token": invite["token"],
        "token_id": token["id"],
        "session_id": session["id"],
        "emoji": EMOJI,
        "other_task_id": other["id"],
        "ledger_id": str(ledger_id),
        "flag_id": str(flag["id"]),
        "notification_id": str(await make_notification(engine, member.id, ws["id"])),
    }
    tenant = Tenant(owner, member, ids, statuses=status_ids)
    tenant.all_ids = {v for k, v in ids.items() if k not in ("emoji", "token", *INTEGER_IDS)} | {
        owner.id,
        subtask["id"],
        *status_ids,
    }
    return tenant


# ---- database snapshots ------------------------------------------------------------------------------

IGNORED_COLUMNS = {("api_tokens", "last_used_at")}


async def snapshot(engine: AsyncEngine) -> dict[str, set[str]]:
    """Every row of every table, as comparable strings."""
    out: dict[str, set[str]] = {}
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c.name for c in table.columns if (table.name, c.name) not in IGNORED_COLUMNS]
            rows = await conn.execute(text(f"select {', '.join(cols)} from {table.name}"))
            out[table.name] = {json.dumps(dict(zip(cols, row, strict=True)), default=str) for row in rows}
    return out


def changed_rows(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, list[str]]:
    diff = {}
    for table in before.keys() | after.keys():
        gone = before.get(table, set()) - after.get(table, set())
        new = after.get(table, set()) - before.get(table, set())
        if gone or new:
            diff[table] = [f"- {r}" for r in sorted(gone)] + [f"+ {r}" for r in sorted(new)]
    return diff


# ---- calling an operation ----------------------------------------------------------------------------


async def call(
    client: httpx.AsyncClient,
    op: Operation,
    path_values: dict[str, str],
    body_values: dict[str, Any],
    headers: dict[str, str],
    version: int | None = None,
) -> httpx.Response:
    params: dict[str, str] = {}
    for p in op.params("query"):
        if p.get("required") or p["name"] in body_values:
            params[p["name"]] = str(body_values.get(p["name"], example(p["schema"], op.components, {})))
    hdrs = dict(headers)
    if version is not None and any(p["name"] == "if-match" for p in op.params("header")):
        hdrs["If-Match"] = f'"{version}"'
    schema = op.body_schema
    kwargs: dict[str, Any] = {}
    if schema is not None:
        values = {**body_values, **({"version": version} if version is not None else {})}
        kwargs["json"] = example(schema, op.components, values)
    return await client.request(op.method, op.url(path_values), params=params, headers=hdrs, **kwargs)


def describe(op: Operation, r: httpx.Response) -> str:
    return f"{op} -> {r.status_code} {r.text[:300]}"


def outcome(r: httpx.Response) -> tuple[int, str | None, str | None]:
    """Status, error code and field: what a caller can tell apart."""
    if r.status_code < 400:
        return r.status_code, None, None
    error = r.json()["error"]
    return r.status_code, error["code"], error.get("field")


def path_values_for(op: Operation, tenant: Tenant) -> dict[str, str]:
    missing = [p for p in op.path_params if p not in tenant.ids]
    assert not missing, f"{op}: the isolation walk has no id for {missing}; add one to make_tenant()"
    return {p: tenant.ids[p] for p in op.path_params}


@asynccontextmanager
async def empty_database_client(
    app: FastAPI, db_engine: AsyncEngine, redis: Redis
) -> AsyncIterator[httpx.AsyncClient]:
    """Empty tables and Redis, and a client that gets a crash back as the 500 a real client would see
    (so one walk reports every failing operation instead of stopping at the first)."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db_engine.begin() as conn:
        await conn.execute(text(f"truncate {tables} restart identity cascade"))
    await redis.flushdb()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


# One pair of tenants for the whole module (they take a while to build): every test but the last changes
# nothing of A (each proves it), and the last one, which lets the invited address join A, runs last.
@pytest.fixture(scope="module")
async def api(app: FastAPI, db_engine: AsyncEngine, redis: Redis) -> AsyncIterator[httpx.AsyncClient]:
    async with empty_database_client(app, db_engine, redis) as c:
        yield c


@pytest.fixture(scope="module")
async def tenants(api: httpx.AsyncClient, db_engine: AsyncEngine) -> tuple[Tenant, Tenant]:
    return await make_tenant(api, "A", db_engine), await make_tenant(api, "B", db_engine)


async def _version(client: httpx.AsyncClient, tenant: Tenant) -> int:
    task = ok(await client.get(f"{API}/tasks/{tenant.ids['task_id']}", headers=tenant.owner.headers))
    return int(task["version"])


# ---- the tests ---------------------------------------------------------------------------------------


async def test_another_workspaces_ids_are_404_on_every_route_and_change_nothing(
    api: httpx.AsyncClient, tenants: tuple[Tenant, Tenant], db_engine: AsyncEngine
) -> None:
    a, b = tenants
    ops = [op for op in await load_operations(api) if op.path_params]
    a_version = await _version(api, a)

    # Control: the ids are real — A's owner reads every one of them.
    for op in ops:
        if op.method == "GET":
            r = await call(api, op, path_values_for(op, a), a.body_values(), a.owner.headers)
            assert r.status_code == 200, describe(op, r)

    before = await snapshot(db_engine)
    failures = []
    for op in ops:
        # B's owner: the strongest role in their own workspace, and nothing in A.
        r = await call(api, op, path_values_for(op, a), a.body_values(), b.owner.headers, a_version)
        allowed = {404}
        if op.key == ("POST", f"{API}/invites/{{token}}/accept"):
            allowed = {403, 404}  # the invite was sent to another email
        if op.key in CAPABILITY_ROUTES:
            allowed = {200}
        if r.status_code not in allowed:
            failures.append(describe(op, r))
        elif r.status_code == 404:
            # Indistinguishable from an id that does not exist.
            fake = {p: str(uuid.uuid4()) if p not in ("emoji", "token") else v for p, v in a.ids.items()}
            fake["token"] = "x" * 43
            fake.update(dict.fromkeys(INTEGER_IDS, UNKNOWN_INTEGER_ID))
            r2 = await call(
                api,
                op,
                path_values_for(op, Tenant(a.owner, a.member, fake)),
                a.body_values(),
                b.owner.headers,
                a_version,
            )
            if (r2.status_code, r2.json()["error"]["code"]) != (404, r.json()["error"]["code"]):
                failures.append(f"{describe(op, r)}\n   but a random id gets {describe(op, r2)}")
    assert failures == [], "\n".join(failures)
    assert changed_rows(before, await snapshot(db_engine)) == {}

    # A's owner still sees everything as it was, and B never became a member of A.
    members = ok(await api.get(f"{API}/workspaces/{a.ids['workspace_id']}/members", headers=a.owner.headers))
    assert {m["user_id"] for m in members["items"]} == {a.owner.id, a.member.id}


async def test_own_containers_with_another_workspaces_ids_are_treated_as_unknown(
    api: httpx.AsyncClient, tenants: tuple[Tenant, Tenant], db_engine: AsyncEngine
) -> None:
    """B's workspace/task/team in the path, A's user/invite/status/task ids in the other slot or the body."""
    a, b = tenants
    random_ids = {k: str(uuid.uuid4()) for k in ("user_id", "invite_id", "status_id", "task_id", "move_to")}
    random_values = {
        "status_id": random_ids["status_id"],
        "status_ids": [str(uuid.uuid4()) for _ in b.statuses],
        "assignee_ids": [random_ids["user_id"]],
        "parent_id": random_ids["task_id"],
        "move_to": random_ids["move_to"],
    }
    before = await snapshot(db_engine)
    failures = []
    checked = 0
    for op in await load_operations(api):
        if op.key in UNAUTHENTICATED_OK or op.method == "GET":
            continue
        # A's id in one slot at a time: a second path parameter, or an id-carrying body field.
        variants: list[tuple[str, dict[str, str], dict[str, Any], dict[str, str], dict[str, Any]]] = []
        own_path = {p: b.ids[p] for p in op.path_params} if all(p in b.ids for p in op.path_params) else None
        if own_path is None:
            continue
        for slot in op.path_params[1:]:
            if slot in ("emoji",):
                continue
            a_path = {**own_path, slot: a.ids[slot]}
            rnd_path = {**own_path, slot: random_ids.get(slot, str(uuid.uuid4()))}
            variants.append((slot, a_path, b.body_values(), rnd_path, b.body_values()))
        for fld in uuid_fields(op.body_schema, op.components) + [
            p["name"] for p in op.params("query") if p["name"] == "move_to"
        ]:
            a_body = {**b.body_values(), fld: a.body_values()[fld]}
            rnd_body = {**b.body_values(), fld: random_values[fld]}
            variants.append((fld, own_path, a_body, own_path, rnd_body))
        for slot, a_path, a_body, rnd_path, rnd_body in variants:
            checked += 1
            r_rnd = await call(api, op, rnd_path, rnd_body, b.owner.headers, await _version(api, b))
            r_a = await call(api, op, a_path, a_body, b.owner.headers, await _version(api, b))
            if r_a.status_code >= 500 or outcome(r_a) != outcome(r_rnd):
                failures.append(
                    f"[{slot} from A] {describe(op, r_a)}\n   a random id gets {describe(op, r_rnd)}"
                )
    assert checked >= 10
    assert failures == [], "\n".join(failures)
    # Nothing of A changed, and nothing anywhere now points at A.
    for table, rows in changed_rows(before, await snapshot(db_engine)).items():
        for row in rows:
            assert not any(i in row for i in a.all_ids), f"{table}: {row}"


async def test_users_sharing_no_workspace_are_not_visible(
    api: httpx.AsyncClient, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    for tail in ("xp-history", "achievements"):
        r = await api.get(f"{API}/users/{a.member.id}/{tail}", headers=b.owner.headers)
        assert r.status_code == 404, r.text
        r = await api.get(f"{API}/users/{b.member.id}/{tail}", headers=b.owner.headers)
        assert r.status_code == 200, r.text


async def test_personal_tokens_of_another_user_cannot_be_revoked(
    api: httpx.AsyncClient, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    # Even a teammate (same workspace) cannot touch someone else's token.
    for caller in (b.owner, a.owner):
        r = await api.delete(f"{API}/me/tokens/{a.ids['token_id']}", headers=caller.headers)
        assert r.status_code == 404, r.text
    listed = ok(await api.get(f"{API}/me/tokens", headers=a.member.headers))
    assert a.ids["token_id"] in {t["id"] for t in listed}


async def test_every_route_needs_credentials(api: httpx.AsyncClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    failures = []
    for op in await load_operations(api):
        if op.key in UNAUTHENTICATED_OK:
            continue
        api.cookies.clear()
        r = await call(api, op, path_values_for(op, a), a.body_values(), {}, 1)
        if r.status_code != 401 or r.json()["error"]["code"] != "unauthorized":
            failures.append(describe(op, r))
        r = await call(api, op, path_values_for(op, a), a.body_values(), {"Authorization": "Bearer nope"}, 1)
        if r.status_code != 401:
            failures.append("[bad token] " + describe(op, r))
    assert failures == [], "\n".join(failures)


async def test_invite_accepted_by_someone_else_creates_no_membership(  # runs last: it changes A
    api: httpx.AsyncClient, tenants: tuple[Tenant, Tenant], db_engine: AsyncEngine
) -> None:
    a, b = tenants
    before = await snapshot(db_engine)
    r = await api.post(f"{API}/invites/{a.ids['token']}/accept", headers=b.owner.headers)
    assert r.status_code in (403, 404), r.text
    r = await api.get(f"{API}/workspaces/{a.ids['workspace_id']}", headers=b.owner.headers)
    assert r.status_code == 404
    assert changed_rows(before, await snapshot(db_engine)) == {}
    # The invited address itself can still accept: the failed attempt did not burn the invite.
    invited = await signup(api, email="pending-A@example.com")
    r = await api.post(f"{API}/invites/{a.ids['token']}/accept", headers=invited.headers)
    assert r.status_code == 200, r.text
