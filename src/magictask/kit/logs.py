"""Log lines for people (text, the default for `magictask up` on a laptop) or for machines (JSON, one object a
line, for a log pipeline: `MAGICTASK_LOG_FORMAT=json`). Either way every line written while a request is
served, or while the reward worker handles an event, names its request id."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

import orjson

from magictask.kit.request_ids import current_request_id

# LogRecord's own attributes: everything else on a record came from `extra=` and goes into the JSON object.
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Stamps the current request id on the record (an explicit `extra={"request_id": ...}` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, role: str) -> None:
        super().__init__()
        self.static = {"role": role, "host": socket.gethostname(), "pid": os.getpid()}

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **self.static,
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{text} [request {request_id}]" if request_id else text


def log_format() -> str:
    value = os.environ.get("MAGICTASK_LOG_FORMAT", "text").strip().lower()
    if value not in ("text", "json"):
        raise SystemExit(f"MAGICTASK_LOG_FORMAT must be 'text' or 'json', not {value!r}")
    return value


def configure_logging(role: str) -> None:
    """The root logger's one handler, on stderr; uvicorn's loggers propagate to it (see `uvicorn_log_config`)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(role) if log_format() == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("MAGICTASK_LOG_LEVEL", "INFO").upper())


# uvicorn installs handlers of its own by default, which would bypass the format above.
UVICORN_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"uvicorn": {"propagate": True}, "uvicorn.error": {"propagate": True}},
}
