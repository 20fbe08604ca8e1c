"""No input produces a 500: every operation of the OpenAPI spec, fed broken and hostile input.

The caller owns the workspace whose ids fill the paths, so each request gets past authentication and the
tenant check and reaches validation and the services. Each test walks the whole spec for one kind of bad
input and reports every offending operation at once.

Hand-written rather than schemathesis: the cases that matter here (malformed JSON, wrong JSON types, 100k
strings, NUL bytes, 2**70, bad ids, forged cursors, If-Match) are few and known, a run is deterministic and
takes seconds, and the app stays in-process on the test's event loop (asyncpg binds to it).
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.test_tenant_isolation import (
    API,
    Operation,
    Tenant,
    describe,
    empty_database_client,
    example,
    load_operations,
    make_tenant,
    path_values_for,
    resolve,
)

BODY_METHODS = {"POST", "PATCH", "PUT"}
LONG = "x" * 100_000
HUGE = 2**70
# Not part of the walk: signup/login are covered with the rest, but logout would end the caller's session.
SKIP = {("POST", f"{API}/auth/logout")}


@pytest.fixture(scope="module")
async def api(app: FastAPI, db_engine: AsyncEngine, redis: Redis) -> AsyncIterator[httpx.AsyncClient]:
    """Bad input changes nothing, so the whole module shares one empty database and one caller."""
    async with empty_database_client(app, db_engine, redis) as c:
        yield c


@pytest.fixture(scope="module")
async def me(api: httpx.AsyncClient, db_engine: AsyncEngine) -> Tenant:
    return await make_tenant(api, "A", db_engine)


def leaves(
    schema: dict[str, Any], components: dict[str, Any], path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every scalar position of a body schema: ("title",), ("labels", 0), ("priority", "high"), ..."""
    schema = resolve(schema, components)
    if schema.get("type") == "object" or "properties" in schema:
        for key, sub in schema.get("properties", {}).items():
            yield from leaves(sub, components, (*path, key))
    elif schema.get("type") == "array":
        yield from leaves(schema.get("items", {}), components, (*path, 0))
    else:
        yield path, schema


def with_value(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of `body` (which has every field, lists with one item) with `value` at `path`."""
    out = copy.deepcopy(body)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    if isinstance(path[-1], int):
        node[:] = [value]
    else:
        node[path[-1]] = value
    return out


def field_name(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


class Walk:
    """One caller, the spec, and the failures found so far."""

    def __init__(self, client: httpx.AsyncClient, me: Tenant, ops: list[Operation]) -> None:
        self.client = client
        self.me = me
        self.ops = [op for op in ops if op.key not in SKIP]
        self.failures: list[str] = []
        self.count = 0
        self.last = ""

    @property
    def headers(self) -> dict[str, str]:
        return self.me.owner.headers

    def url(self, op: Operation) -> str:
        return op.url(path_values_for(op, self.me))

    def body(self, op: Operation) -> dict[str, Any]:
        schema = op.body_schema
        assert schema is not None
        value = example(schema, op.components, self.me.body_values())
        assert isinstance(value, dict)
        return value

    async def version(self) -> int:
        r = await self.client.get(f"{API}/tasks/{self.me.ids['task_id']}", headers=self.headers)
        assert r.status_code == 200, f"the walk's task is gone after {self.last}: {r.text}"
        return int(r.json()["version"])

    async def send(self, op: Operation, **kwargs: Any) -> httpx.Response:
        self.count += 1
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if any(p["name"] == "if-match" for p in op.params("header")) and "If-Match" not in headers:
            headers["If-Match"] = str(await self.version())
        url = kwargs.pop("url", None) or self.url(op)
        self.last = f"{op.method} {url[:200]} {kwargs.get('params')}"
        return await self.client.request(op.method, url, headers=headers, **kwargs)

    def check(
        self, op: Operation, what: str, r: httpx.Response, *allowed: int, field: str | None = None
    ) -> None:
        problem = None
        if r.status_code >= 500 or (allowed and r.status_code not in allowed):
            problem = f"expected {allowed or '4xx'}"
        elif not allowed and r.status_code < 400:
            problem = "expected a 4xx"
        elif r.status_code >= 400:
            error = r.json().get("error", {})
            if not error.get("code") or not error.get("message"):
                problem = "error body lacks code/message"
            elif r.status_code == 422 and not error.get("field"):
                problem = "a 422 must name the field"
            elif field is not None and r.status_code == 422 and not str(error["field"]).startswith(field):
                problem = f"the 422 should name {field!r}"
        if problem:
            self.failures.append(f"[{what}] {describe(op, r)}  <- {problem}")

    def done(self, minimum: int) -> None:
        assert self.count >= minimum, f"only {self.count} requests were made"
        assert self.failures == [], f"{len(self.failures)} problem(s):\n" + "\n".join(self.failures)


async def walk(client: httpx.AsyncClient, me: Tenant) -> Walk:
    return Walk(client, me, await load_operations(client))


def body_ops(w: Walk) -> list[Operation]:
    return [op for op in w.ops if op.method in BODY_METHODS and op.body_schema is not None]


# ---- the spec itself bounds every input -------------------------------------------------------------


def _unbounded(schema: dict[str, Any], components: dict[str, Any], where: str) -> Iterator[str]:
    schema = resolve(schema, components)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        for key, sub in schema.get("properties", {}).items():
            yield from _unbounded(sub, components, f"{where}.{key}")
    elif kind == "array":
        if "maxItems" not in schema:
            yield f"{where} (list without maxItems)"
        yield from _unbounded(schema.get("items", {}), components, f"{where}[]")
    elif kind == "string" and not (
        "maxLength" in schema
        or "enum" in schema
        or schema.get("format") in ("uuid", "date", "date-time", "email")
        or str(schema.get("pattern", "")).endswith("$")
    ):
        yield f"{where} (string without maxLength)"


async def test_every_string_and_list_in_the_spec_is_bounded(api: httpx.AsyncClient) -> None:
    problems = []
    for op in await load_operations(api):
        if op.body_schema is not None:
            problems += [f"{op}: {p}" for p in _unbounded(op.body_schema, op.components, "body")]
        for p in op.params("header"):
            problems += [f"{op}: {x}" for x in _unbounded(p["schema"], op.components, p["name"])]
    assert problems == [], "\n".join(problems)


# ---- bodies -----------------------------------------------------------------------------------------


async def test_malformed_json_is_400(api: httpx.AsyncClient, me: Tenant) -> None:
    w = await walk(api, me)
    ctype = {"Content-Type": "application/json"}
    for op in body_ops(w):
        for raw in (b'{"name": ', b"{'single': 'quotes'}", b'{"a": 1,}', b"nul\x00l", b"\xff\xfe{}"):
            r = await w.send(op, content=raw, headers=ctype)
            w.check(op, f"malformed {raw[:12]!r}", r, 400)
            if r.status_code == 400 and r.json()["error"]["code"] != "malformed_json":
                w.failures.append(f"[malformed] {describe(op, r)} <- code should be malformed_json")
        # Invalid UTF-8 inside an otherwise well-formed document.
        w.check(
            op, "invalid utf-8", await w.send(op, content=b'{"name": "\xc3\x28"}', headers=ctype), 400, 422
        )
    w.done(100)


async def test_json_of_the_wrong_type_is_422_naming_a_field(api: httpx.AsyncClient, me: Tenant) -> None:
    w = await walk(api, me)
    for op in body_ops(w):
        optional = "anyOf" in op.spec["requestBody"]["content"]["application/json"]["schema"]
        for value in ([], [{}], 5, "text", True, *(() if optional else (None,))):
            w.check(op, f"body={value!r}", await w.send(op, json=value), 422)
        if not optional:
            w.check(op, "no body", await w.send(op), 422)
    w.done(100)


async def test_every_string_field_rejects_100k_characters(api: httpx.AsyncClient, me: Tenant) -> None:
    w = await walk(api, me)
    for op in body_ops(w):
        base = w.body(op)
        for path, schema in leaves(op.body_schema or {}, op.components):
            if schema.get("type") != "string":
                continue
            value = LONG + "@example.com" if schema.get("format") == "email" else LONG
            r = await w.send(op, json=with_value(base, path, value))
            w.check(op, f"{field_name(path)}=100k", r, 422, field=str(path[0]))
    w.done(30)


async def test_nul_bytes_in_strings_are_a_4xx(api: httpx.AsyncClient, me: Tenant) -> None:
    w = await walk(api, me)
    for op in body_ops(w):
        base = w.body(op)
        for path, schema in leaves(op.body_schema or {}, op.components):
            if schema.get("type") != "string":
                continue
            valid = example(schema, op.components, w.me.body_values(), str(path[-1]))
            if isinstance(path[-1], int):
                valid = example(schema, op.components, {}, "")
            for value in (f"{valid}\x00", "\x00", f"a\x00{valid}", f"{valid}\ud800", "\udfff"):
                raw = json.dumps(with_value(base, path, value))  # "\\u0000", "\\ud800": valid JSON escapes
                r = await w.send(op, content=raw.encode(), headers={"Content-Type": "application/json"})
                w.check(op, f"{field_name(path)}={value!r}", r, 422, field=str(path[0]))
        # A key that cannot be stored (or echoed back) either.
        raw = json.dumps({**base, "\ud800\x00": 1})
        r = await w.send(op, content=raw.encode(), headers={"Content-Type": "application/json"})
        w.check(op, "bad key", r, 422)
    # Query and path strings too.
    for op in w.ops:
        for p in op.params("query"):
            r = await w.send(op, params={p["name"]: "a\x00b"}, json=w.body(op) if op.body_schema else None)
            w.check(op, f"?{p['name']}=NUL", r, 422, field=p["name"])
        for name in op.path_params:
            url = op.url({**path_values_for(op, w.me), name: "a\x00b"})
            w.check(op, f"/{name}=NUL", await w.send(op, url=url), 400, 404, 405, 422)
    w.done(100)


async def test_huge_and_odd_numbers_are_422(api: httpx.AsyncClient, me: Tenant) -> None:
    w = await walk(api, me)
    ctype = {"Content-Type": "application/json"}
    for op in body_ops(w):
        base = w.body(op)
        for path, schema in leaves(op.body_schema or {}, op.components):
            kind = schema.get("type")
            if kind not in ("integer", "number"):
                continue
            values: list[Any] = [HUGE, -(10**400), "twelve", [1]]
            values += [1.5] if kind == "integer" else [1e308]
            for value in values:
                r = await w.send(op, json=with_value(base, path, value))
                w.check(op, f"{field_name(path)}={str(value)[:20]}", r, 422, field=str(path[0]))
            # NaN and Infinity are not JSON, but Python's parser takes them: they must still be refused.
            for literal in ("NaN", "-Infinity", "1e999"):
                raw = json.dumps(with_value(base, path, "__X__")).replace('"__X__"', literal)
                r = await w.send(op, content=raw.encode(), headers=ctype)
                w.check(op, f"{field_name(path)}={literal}", r, 400, 422)
    # Integer query parameters (limit, ...).
    for op in w.ops:
        for p in op.params("query"):
            if resolve(p["schema"], op.components).get("type") == "integer":
                for value in (str(HUGE), "-1", "1.5", "1e3", "0x10"):
                    r = await w.send(
                        op, params={p["name"]: value}, json=w.body(op) if op.body_schema else None
                    )
                    w.check(op, f"?{p['name']}={value}", r, 422, field=p["name"])
    w.done(50)


# ---- paths, query strings, headers ------------------------------------------------------------------

# (Not "..": the HTTP client itself folds it into the parent path, which is another route.)
BAD_IDS = [
    "not-a-uuid",
    "0" * 1000,
    "00000000-0000-0000-0000-00000000000g",
    "'; drop table users; --",
    "%",
]


async def test_bad_ids_in_paths_are_422_or_404(api: httpx.AsyncClient, me: Tenant) -> None:
    w = await walk(api, me)
    for op in w.ops:
        for p in op.params("path"):
            schema = resolve(p["schema"], op.components)
            for bad in [*BAD_IDS, "🎉" * 50, "a/b", " "]:
                if schema.get("format") != "uuid" and bad == "%":
                    continue
                url = op.url({**path_values_for(op, w.me), p["name"]: bad})
                r = await w.send(op, url=url, json=w.body(op) if op.body_schema else None)
                w.check(op, f"/{p['name']}={bad[:20]}", r, 404, 405, 410, 422)
            # An id of the right shape that exists nowhere.
            if schema.get("format") == "uuid":
                url = op.url({**path_values_for(op, w.me), p["name"]: str(uuid.uuid4())})
                r = await w.send(op, url=url, json=w.body(op) if op.body_schema else None)
                w.check(op, f"/{p['name']}=random", r, *((204,) if op.method == "DELETE" else ()), 404, 422)
    w.done(200)


async def test_unknown_query_params_change_nothing(api: httpx.AsyncClient, me: Tenant) -> None:
    w = await walk(api, me)
    for op in w.ops:
        if op.method != "GET":
            continue
        plain = await w.send(op)
        noisy = await w.send(op, params={"unknown": "1", "__proto__": "x", "limit[]": "3", "x" * 200: "y"})
        if plain.status_code != 200 or noisy.status_code != 200:
            w.failures.append(f"[unknown params] {describe(op, plain)} / {describe(op, noisy)}")
        elif plain.json() != noisy.json():
            w.failures.append(f"[unknown params] {op}: the answer changed")
    w.done(20)


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    "!!!",
    "x" * 500,
    _cursor([1, 2]),
    _cursor("text"),
    _cursor({}),
    _cursor({"offset": -5}),
    _cursor({"offset": HUGE}),
    _cursor({"offset": "ten"}),
    _cursor({"id": "not-an-id", "created_at": "yesterday"}),
    _cursor({"id": HUGE, "position": "far", "number": None, "t": [], "v": {}}),
    _cursor({"k": [None, None], "id": str(uuid.uuid4())}),
    _cursor({"before": "abc"}),
    _cursor({"before": HUGE}),
    _cursor({"before": -(2**64), "at": "2030-01-01T00:00:00", "k": "2030-01-01T00:00:00"}),
    _cursor({"at": "2030-01-01T00:00:00+00:00", "id": "x", "k": HUGE}),
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
]


async def test_forged_and_odd_query_values_are_a_4xx(api: httpx.AsyncClient, me: Tenant) -> None:
    w = await walk(api, me)
    for op in w.ops:
        for p in op.params("query"):
            values = FORGED_CURSORS if p["name"] == "cursor" else []
            values += ["", "x" * 10_000, "9" * 40, "🎉"]
            for value in values:
                r = await w.send(op, params={p["name"]: value}, json=w.body(op) if op.body_schema else None)
                if r.status_code >= 500:
                    w.failures.append(f"[?{p['name']}={value[:30]!r}] {describe(op, r)}")
                elif r.status_code >= 400:
                    w.check(op, f"?{p['name']}={value[:30]!r}", r)
            # Repeated parameters: a list where one value is expected, 120 values where a list is (limit 100).
            r = await w.send(op, params=[(p["name"], "1")] * 120, json=w.body(op) if op.body_schema else None)
            if r.status_code >= 500:
                w.failures.append(f"[?{p['name']} x1000] {describe(op, r)}")
    w.done(100)


async def test_odd_if_match_and_mutation_headers_are_a_4xx(api: httpx.AsyncClient, me: Tenant) -> None:
    w = await walk(api, me)
    for op in w.ops:
        names = {p["name"] for p in op.params("header")}
        body = w.body(op) if op.body_schema else None
        if body is not None:
            body.pop("version", None)
        if "if-match" in names:
            for value in (
                "²".encode("latin-1"),
                "¹²".encode("latin-1"),
                "١".encode(),
                "9" * 11,
                "99999999999",
                '"0"',
                "-1",
                "W/",
                '""',
                "*",
                "1, 2",
                "x" * 64,
            ):
                r = await w.send(op, headers={"If-Match": value}, json=body)
                if r.status_code >= 500 or r.status_code in (200, 201, 204):
                    w.failures.append(f"[If-Match {value!r}] {describe(op, r)}")
                else:
                    w.check(op, f"If-Match {value!r}", r)
        if "x-mutation-id" in names:
            r = await w.send(op, headers={"X-Mutation-Id": "m" * 100_000}, json=body)
            w.check(op, "X-Mutation-Id 100k", r, 400, 413, 422, 431)
    w.done(20)
