"""Traces over OTLP: real `magictask api` and `magictask worker` processes export to a real OTLP/HTTP receiver
on loopback (the protobuf the collector protocol defines, decoded here), and one task completion is one trace:
the HTTP request, the events it published, the worker's batch that scored them and the rewards it emitted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.conftest import TestServers
from tests.helpers import create_project, create_task, create_workspace, ok, signup
from tests.pipeline.procs import Cluster, process_env, running_cluster

pytestmark = pytest.mark.slow


@dataclass
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    links: list[str]  # the trace ids linked
    attributes: dict[str, Any]


@dataclass
class Receiver:
    port: int
    spans: list[Span] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, predicate: Any, timeout: float = 20) -> list[Span]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [s for s in self.spans if predicate(s)]
            if found:
                return found
            time.sleep(0.1)
        with self.lock:
            seen = [(s.service, s.name) for s in self.spans]
        raise AssertionError(f"no such span; received {seen}")


def _value(any_value: Any) -> Any:
    return getattr(any_value, any_value.WhichOneof("value")) if any_value.WhichOneof("value") else None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.path == "/v1/traces", self.path
            request = ExportTraceServiceRequest.FromString(body)
            for resource_spans in request.resource_spans:
                attrs = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for s in scope_spans.spans:
                        span = Span(
                            service=str(attrs.get("service.name")),
                            name=s.name,
                            trace_id=s.trace_id.hex(),
                            span_id=s.span_id.hex(),
                            parent_id=s.parent_span_id.hex(),
                            links=[link.trace_id.hex() for link in s.links],
                            attributes={a.key: _value(a.value) for a in s.attributes},
                        )
                        with holder["r"].lock:
                            holder["r"].spans.append(span)
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Receiver(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["r"]
    finally:
        server.shutdown()


@pytest.fixture
def cluster(servers: TestServers, clean_db: None, tmp_path: Path, receiver: Receiver) -> Iterator[Cluster]:
    with running_cluster(
        process_env(
            servers.database_url,
            servers.redis_url,
            MAGICTASK_LOG_LEVEL="warning",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{receiver.port}",
            OTEL_BSP_SCHEDULE_DELAY="100",  # export every 100 ms instead of 5 s
        ),
        tmp_path,
    ) as procs:
        yield procs


async def test_a_completion_is_one_trace_from_the_request_to_the_rewards_on_the_socket(
    cluster: Cluster, receiver: Receiver
) -> None:
    api = cluster.api("api")
    cluster.worker("worker")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api.port}", timeout=10) as client:
        owner = await signup(client)
        ws = await create_workspace(client, owner)
        project = await create_project(client, ws["id"], owner)
        task = await create_task(client, project["id"], owner, assignee_ids=[owner.id], estimate=3)
        ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=owner.headers))

    [request] = receiver.wait_for(
        lambda s: (
            s.service == "magictask-api"
            and s.attributes.get("http.route") == "/api/v1/tasks/{task_id}/complete"
        )
    )
    trace_id = request.trace_id
    assert request.parent_id == ""  # the request starts the trace (no traceparent sent)
    publish = receiver.wait_for(lambda s: s.name == "publish events" and s.trace_id == trace_id)
    assert publish[0].service == "magictask-api"
    # The worker continues the trace of the events it scored (or links it, when another event led the batch).
    batches = receiver.wait_for(
        lambda s: (
            s.service == "magictask-worker"
            and s.name == "reward batch"
            and (s.trace_id == trace_id or trace_id in s.links)
        )
    )
    batch = batches[0]
    emitted = receiver.wait_for(lambda s: s.name == "emit rewards" and s.parent_id == batch.span_id)
    assert emitted[0].trace_id == batch.trace_id and emitted[0].service == "magictask-worker"
