"""Validation errors and rate-limit waits read as plain words; `type` and `field` stay machine-readable."""

from __future__ import annotations

import httpx
import pytest

from magictask.kit.plain_words import plain_validation_message, wait_in_words
from tests.helpers import signup


async def test_an_empty_signup_names_every_field_at_once_in_plain_words(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/signup", json={"email": "", "password": "", "name": "   "})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["fields"] == [
        {"field": "email", "message": "Enter a valid email address", "type": "value_error"},
        {"field": "password", "message": "Use at least 8 characters", "type": "string_too_short"},
        {"field": "name", "message": "Can't be blank", "type": "string_too_short"},
    ]
    assert error["field"] == "email" and error["message"] == "email: Enter a valid email address"


async def test_a_missing_body_field_is_required(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/signup", json={})
    assert [(f["field"], f["message"], f["type"]) for f in r.json()["error"]["fields"]] == [
        ("email", "Required", "missing"),
        ("password", "Required", "missing"),
        ("name", "Required", "missing"),
    ]


async def test_a_workspace_name_of_only_spaces_is_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    r = await client.post("/api/v1/workspaces", json={"name": "    "}, headers=owner.headers)
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == [
        {"field": "name", "message": "Can't be blank", "type": "string_too_short"}
    ]
    listed = (await client.get("/api/v1/workspaces", headers=owner.headers)).json()
    assert listed["items"] == []


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ({"type": "string_too_long", "msg": "...", "ctx": {"max_length": 100}}, "Use at most 100 characters"),
        ({"type": "string_too_short", "msg": "...", "ctx": {"min_length": 1}}, "Can't be blank"),
        ({"type": "greater_than_equal", "msg": "...", "ctx": {"ge": 0}}, "Use 0 or more"),
        ({"type": "less_than_equal", "msg": "...", "ctx": {"le": 10}}, "Use 10 or less"),
        ({"type": "int_parsing", "msg": "..."}, "Enter a whole number"),
        (
            {"type": "literal_error", "msg": "...", "ctx": {"expected": "'read' or 'write'"}},
            "Choose one of 'read' or 'write'",
        ),
        (
            {"type": "value_error", "msg": "Value error, not a known IANA time zone"},
            "Not a known IANA time zone",
        ),
        ({"type": "something_new", "msg": "input is odd"}, "Input is odd"),
    ],
)
def test_plain_validation_message(error: dict[str, object], words: str) -> None:
    assert plain_validation_message(error) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.2, "1 second"),
        (1, "1 second"),
        (40, "40 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (900, "15 minutes"),
        (3600, "1 hour"),
        (5400, "2 hours"),
    ],
)
def test_wait_in_words(seconds: float, words: str) -> None:
    assert wait_in_words(seconds) == words
