"""Failpoints: named places where a fault test can make this process die for real.

Off unless MAGICTASK_FAILPOINTS is set, e.g. `crash_after_commit=0.3` (probability per hit). Used by the
fault tests to SIGKILL the API between a commit and its stream append, the one window no external kill
can hit on purpose; and between a commit and its answer (`crash_before_response`), where a client's retry
needs an Idempotency-Key.
"""

from __future__ import annotations

import os
import random
import signal
from functools import lru_cache


@lru_cache(maxsize=1)
def _config() -> dict[str, float]:
    raw = os.environ.get("MAGICTASK_FAILPOINTS", "")
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        name, _, prob = part.partition("=")
        out[name] = float(prob or 1.0)
    return out


def crash_if(name: str) -> None:
    probability = _config().get(name)
    if probability is not None and random.random() < probability:
        os.kill(os.getpid(), signal.SIGKILL)
