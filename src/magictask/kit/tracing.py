"""OpenTelemetry traces, exported by OTLP/HTTP when an endpoint is configured, and nothing otherwise.

Set `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) and every process sends its spans
there (the standard OTEL_* variables apply: headers, sampler, service name). One change is one trace:

- the API's HTTP server span (FastAPI's own instrumentation, route template as its name),
- `publish events` (stream append and socket fan-out, after the commit) inside it,
- the event rows keep the request's `traceparent`, so the reward worker's `reward batch` span continues the
  trace of the batch's first traced event and links the others,
- `emit rewards` (the XP toasts going out over the sockets) inside the batch span.

Unset, the API is OpenTelemetry's no-op and FastAPI's instrumentation stays off: no cost per request.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

_propagator = TraceContextTextMapPropagator()
_enabled = False


def tracing_requested() -> bool:
    return (
        bool(
            os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        )
        and os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"
    )


def configure_tracing(role: str) -> bool:
    """Install an exporting tracer provider for this process when an endpoint is set. Returns whether it did."""
    global _enabled
    if _enabled or not tracing_requested():
        return _enabled
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from magictask import __version__

    service = os.environ.get("OTEL_SERVICE_NAME") or f"magictask-{role}"
    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.version": __version__})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _enabled = True
    log.info("tracing: exporting spans over OTLP as %s", service)
    return True


def tracing_enabled() -> bool:
    return _enabled


def shutdown_tracing() -> None:
    """Flush the spans still queued (a stopping worker's last batch)."""
    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if callable(shutdown):
        shutdown()


tracer = trace.get_tracer("magictask")


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the span in progress, to store beside what it caused (an event row)."""
    if not _enabled:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def span_context_of(traceparent: str | None) -> SpanContext | None:
    if not traceparent:
        return None
    context = _propagator.extract({"traceparent": traceparent})
    span_context = trace.get_current_span(context).get_span_context()
    return span_context if span_context.is_valid else None


def continue_from(traceparents: list[str | None]) -> tuple[Any, list[Link]]:
    """The context to start a span in (the first traced cause) and links to the other causes."""
    contexts = [c for c in (span_context_of(tp) for tp in traceparents) if c is not None]
    if not contexts:
        return None, []
    parent = trace.set_span_in_context(trace.NonRecordingSpan(contexts[0]))
    return parent, [Link(c) for c in contexts[1:]]
