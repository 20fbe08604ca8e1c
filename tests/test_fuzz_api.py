"""Property-based fuzzing of every operation in /openapi.json with schemathesis, against a real `magictask api`.

For each operation, Hypothesis draws requests from its schema: valid ones (positive) and, where the schema
constrains the input, invalid ones (negative); half of the positive ones address real ids of the caller's
workspace (so they get past the 404 and reach the services). Every answer must be:

- never a 5xx (`not_a_server_error`),
- a documented status (`status_code_conformance`) with the documented content type and body schema
  (`content_type_conformance`, `response_schema_conformance`),
- for invalid input, likewise (a documented 4xx naming the field, never a 5xx).

The caller owns the workspace. The fuzzing cannot log it out or revoke it away: logout is called with a
disposable session each time, and should the caller's session ever stop working, a new one is minted in
the database (not through login, which the fuzzing itself rate-limits). Every operation is fuzzed, each
with a bounded number of examples and a fixed seed (MAGICTASK_FUZZ_EXAMPLES, MAGICTASK_FUZZ_SEED), and the
run prints what it did: operations, examples and the statuses seen.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import psutil
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from magictask.accounts.tokens import issue_token
from magictask.db import make_engine, make_sessionmaker
from tests.conftest import TestServers, _in_thread
from tests.pipeline.procs import Cluster, Proc
from tests.test_tenant_isolation import Tenant, make_tenant

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MAGICTASK_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("MAGICTASK_FUZZ_SEED", "20261202"))
API = "/api/v1"
LOGOUT = ("POST", f"{API}/auth/logout")
POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Invalid input must get a documented 4xx, never a 5xx. Not `negative_data_rejection`: pydantic's lax mode
# accepts some values the schema does not advertise ("5" or true for an integer), which is not a fault.
NEGATIVE_CHECKS = POSITIVE_CHECKS


@dataclass
class Caller:
    """The fuzzing user's credentials, renewed in the database if the fuzzing ever ends its session."""

    database_url: str
    user_id: str
    token: str
    spare_sessions: list[str] = field(default_factory=list)
    renewals: int = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def disposable_session(self) -> str:
        if not self.spare_sessions:
            self.spare_sessions = mint_sessions(self.database_url, self.user_id, 50)
        return self.spare_sessions.pop()

    def renew(self) -> None:
        self.token = mint_sessions(self.database_url, self.user_id, 1)[0]
        self.renewals += 1


def mint_sessions(database_url: str, user_id: str, count: int) -> list[str]:
    async def mint() -> list[str]:
        engine = make_engine(database_url, pool_size=1, max_overflow=0)
        try:
            async with make_sessionmaker(engine)() as session:
                secrets = [
                    (await issue_token(session, uuid.UUID(user_id), kind="session", name="fuzz", ttl=timedelta(days=1)))[1]
                    for _ in range(count)
                ]  # fmt: skip
                await session.commit()
                return secrets
        finally:
            await engine.dispose()

    result: list[str] = _in_thread(asyncio.run, mint())
    return result


@pytest.fixture
def api_process(servers: TestServers, clean_db: None, tmp_path: Path) -> Iterator[Proc]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAGICTASK_")},
        "MAGICTASK_DATABASE_URL": servers.database_url,
        "MAGICTASK_REDIS_URL": servers.redis_url,
        "MAGICTASK_LOG_LEVEL": "warning",
    }
    cluster = Cluster(env, tmp_path)
    try:
        yield cluster.api("fuzz-api")
    finally:
        cluster.stop_all()


async def _seed(base_url: str, database_url: str) -> Tenant:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            return await make_tenant(client, "F", engine)
    finally:
        await engine.dispose()


@dataclass
class Tally:
    examples: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)


def _fuzz_operation(
    operation: Any, mode: GenerationMode, base_url: str, caller: Caller, known: dict[str, str], tally: Tally
) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    key = (operation.method.upper(), operation.path)
    path_names = [p.name for p in operation.path_parameters]
    strategies = [operation.as_strategy(generation_mode=mode)]
    if mode is GenerationMode.POSITIVE and path_names and all(n in known for n in path_names):
        strategies.append(
            operation.as_strategy(generation_mode=mode, path_parameters={n: known[n] for n in path_names})
        )
    checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else POSITIVE_CHECKS
    session = requests.Session()

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hypothesis.given(case=st.one_of(strategies))
    def run(case: schemathesis.Case) -> None:
        token = caller.disposable_session() if key == LOGOUT else caller.token
        headers = {"Authorization": f"Bearer {token}"}
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        tally.examples[label] += 1
        tally.statuses[label][response.status_code] += 1
        case.validate_response(response, checks=checks, headers=headers)
        if response.status_code == 401 and key != LOGOUT and _session_ended(base_url, caller):
            caller.renew()

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            tally.failures.append(f"{label}: no valid request could be generated")
        # else: the operation takes no input that could be invalid (GET /healthz)
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports failures as a group
        tally.failures.append(f"{label} [{mode.value}]: {str(exc)[:3000]}")


def _session_ended(base_url: str, caller: Caller) -> bool:
    return requests.get(f"{base_url}{API}/me", headers=caller.headers(), timeout=10).status_code == 401


def _known_ids(tenant: Tenant) -> dict[str, str]:
    return {**tenant.ids, "user_id": tenant.member.id}


def _order(operation: Any) -> tuple[int, str]:
    # Destructive operations last, so the caller's real ids stay useful for as long as possible.
    method = operation.method.upper()
    return ({"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}[method], operation.path)


def test_fuzz_every_operation(
    api_process: Proc, servers: TestServers, capsys: pytest.CaptureFixture[str]
) -> None:
    base_url = f"http://127.0.0.1:{api_process.port}"
    tenant = _in_thread(asyncio.run, _seed(base_url, servers.database_url))
    caller = Caller(servers.database_url, tenant.owner.id, tenant.owner.token)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    assert len(operations) > 60
    tally = Tally()
    started = time.monotonic()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, base_url, caller, _known_ids(tenant), tally)
    elapsed = time.monotonic() - started
    api_cpu = psutil.Process(api_process.popen.pid).cpu_times() if api_process.popen else None

    with capsys.disabled():
        print(f"\nschemathesis fuzz: {len(operations)} operations, {sum(tally.examples.values())} requests "
              f"in {elapsed:.0f}s (seed {SEED}, up to {EXAMPLES} examples per operation and mode), "
              f"{caller.renewals} session renewals; API process CPU {api_cpu.user + api_cpu.system if api_cpu else 0:.1f}s")  # fmt: skip
        statuses: Counter[int] = Counter()
        for counts in tally.statuses.values():
            statuses.update(counts)
        print("  statuses:", ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
        for label, count in sorted(tally.examples.items(), key=lambda item: item[0].split(" ", 1)[::-1]):
            seen = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses[label].items()))
            print(f"  {label}: {count} requests ({seen})")
    untested = [
        f"{o.method.upper()} {o.path}"
        for o in operations
        if not tally.examples[f"{o.method.upper()} {o.path}"]
    ]
    assert not untested, f"never called: {untested}"
    assert not tally.failures, "\n\n".join(tally.failures)
    # The fuzzing user still holds a working session at the end.
    assert not _session_ended(base_url, caller)
