from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI


@pytest.fixture
def long_backoff(app: FastAPI) -> Iterator[None]:
    """A first login wait of 30 s instead of 1 s, so a slow machine cannot outlast it between two requests
    of a test that expects the second one refused."""
    settings = app.state.settings
    saved = settings.login_backoff_base_seconds
    settings.login_backoff_base_seconds = 30.0
    yield
    settings.login_backoff_base_seconds = saved
