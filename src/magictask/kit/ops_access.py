"""Who may read /metrics: the machine itself (a Prometheus agent on localhost), or a scraper presenting
`MAGICTASK_METRICS_TOKEN` as a bearer token. Metrics name internals (queues, lag, error counts) that help
an attacker time an attack, so they are not public.

Behind nginx the client address is the real client's (uvicorn applies X-Forwarded-For from the local
proxy), so a request relayed from outside is not mistaken for a local one.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request

from magictask.kit.errors import Forbidden


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_metrics_access(request: Request, token: str | None) -> None:
    if request.client is not None and _is_loopback(request.client.host):
        return
    presented = request.headers.get("authorization", "")
    if token and hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
        return
    raise Forbidden(
        "Metrics are served to localhost, or to a scraper sending Authorization: Bearer <MAGICTASK_METRICS_TOKEN>",
        code="metrics_forbidden",
    )
