"""Each API process remembers the tokens it resolved, so an authenticated request costs no database
statement. Revocation must still win within a second everywhere, which takes three rules:

- Every change that could make an entry wrong (logout, a revoked token or session, a password change, a
  profile change) drops it here at once and, after commit, in every process (auth_sync.py publishes on
  Redis; every process's listener applies it).
- The cache only works while this process's listener is subscribed: a process that could have missed an
  invalidation serves nothing from memory, and starts from empty once it hears again.
- A lookup that raced an invalidation is not remembered: `generation` moves on every drop, and `put`
  refuses an entry read before the latest one (it may predate the change that dropped it).

Entries also end at the token's expiry and after a short TTL (a safety net, not the mechanism). What is
kept is plain data; every request gets its own detached `User` and `ApiToken` built from it, never an
object another request (or a closed session) holds. Workspace membership and roles are not cached: access
checks keep reading them from the database in the request's own statements.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.base import manager_of_class

from magictask.accounts.models import ApiToken, User
from magictask.kit.time import utcnow

T = TypeVar("T")

# Never cached: a password hash has no business in every process's memory, and nobody needs it per request
# (the password change reads it from the database). Reading it from a cached user raises, loudly.
_USER_FIELDS = (
    "id",
    "email",
    "name",
    "timezone",
    "skip_weekends",
    "leaderboard_opt_out",
    "email_verified_at",
    "created_at",
    "updated_at",
)
_TOKEN_FIELDS = (
    "id",
    "user_id",
    "kind",
    "name",
    "token_hash",
    "prefix",
    "scope",
    "ip",
    "created_at",
    "expires_at",
)
_USER_ID = _USER_FIELDS.index("id")
_EXPIRES_AT = _TOKEN_FIELDS.index("expires_at")


@dataclass(frozen=True, slots=True)
class AuthSnapshot:
    """What authentication resolved for one token, as plain values."""

    user: tuple[Any, ...]
    token: tuple[Any, ...]

    @classmethod
    def of(cls, user: User, token: ApiToken) -> AuthSnapshot:
        return cls(
            tuple(getattr(user, f) for f in _USER_FIELDS), tuple(getattr(token, f) for f in _TOKEN_FIELDS)
        )

    @property
    def user_id(self) -> uuid.UUID:
        user_id: uuid.UUID = self.user[_USER_ID]
        return user_id

    @property
    def expires_at(self) -> datetime | None:
        expires_at: datetime | None = self.token[_EXPIRES_AT]
        return expires_at

    def materialize(self) -> tuple[User, ApiToken]:
        """A fresh detached user and token for one request: in no session, so nothing flushes them, and a
        service that needs to change the user loads it in its own transaction."""
        return _detached(User, _USER_FIELDS, self.user), _detached(ApiToken, _TOKEN_FIELDS, self.token)


def _detached(cls: type[T], fields: tuple[str, ...], values: tuple[Any, ...]) -> T:
    """An instance holding `values` as loaded (not as changes), detached. Filling `__dict__` skips the
    constructor's per-attribute change events: 26 µs for both objects instead of 65, on every request."""
    obj: T = manager_of_class(cls).new_instance()
    obj.__dict__.update(zip(fields, values, strict=True))
    make_transient_to_detached(obj)
    return obj


@dataclass(slots=True)
class _Entry:
    snapshot: AuthSnapshot
    stale_at: float  # time.monotonic()


class AuthCache:
    """A bounded LRU of token hash -> snapshot, with an index by user for "all of this user's tokens"."""

    def __init__(self, max_entries: int, ttl_seconds: float) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._by_user: dict[uuid.UUID, set[str]] = {}
        self.generation = 0
        # Off until the listener has subscribed (auth_sync.py): only then can this process hear revocations.
        self.enabled = False

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token_hash: str) -> AuthSnapshot | None:
        if not self.enabled:
            return None
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        expires_at = entry.snapshot.expires_at
        if entry.stale_at <= time.monotonic() or (expires_at is not None and expires_at <= utcnow()):
            self._remove(token_hash)
            return None
        self._entries.move_to_end(token_hash)
        return entry.snapshot

    def put(self, token_hash: str, snapshot: AuthSnapshot, generation: int) -> None:
        """Remember `snapshot`, read from the database when `self.generation` was `generation`: unless an
        invalidation came in since, which may have been about exactly this token."""
        if not self.enabled or generation != self.generation or self.max_entries <= 0:
            return
        self._remove(token_hash)
        self._entries[token_hash] = _Entry(snapshot, time.monotonic() + self.ttl_seconds)
        self._by_user.setdefault(snapshot.user_id, set()).add(token_hash)
        while len(self._entries) > self.max_entries:
            self._remove(next(iter(self._entries)))

    def drop_token(self, token_hash: str) -> None:
        self.generation += 1
        self._remove(token_hash)

    def drop_user(self, user_id: uuid.UUID) -> None:
        self.generation += 1
        for token_hash in self._by_user.pop(user_id, set()):
            self._entries.pop(token_hash, None)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._by_user.clear()

    def _remove(self, token_hash: str) -> None:
        entry = self._entries.pop(token_hash, None)
        if entry is None:
            return
        hashes = self._by_user.get(entry.snapshot.user_id)
        if hashes is not None:
            hashes.discard(token_hash)
            if not hashes:
                del self._by_user[entry.snapshot.user_id]


# Invalidation messages, as published on the channel (auth_sync.py): small ASCII strings.
ALL = "all"
_TOKEN = "token:"
_USER = "user:"


def token_message(token_hash: str) -> str:
    return _TOKEN + token_hash


def user_message(user_id: uuid.UUID) -> str:
    return _USER + str(user_id)


def apply_message(cache: AuthCache, message: str) -> bool:
    """Apply one invalidation message; False for one this version does not understand (then everything
    is dropped: a message we cannot read may be about any token)."""
    if message.startswith(_TOKEN):
        cache.drop_token(message[len(_TOKEN) :])
        return True
    if message.startswith(_USER):
        try:
            user_id = uuid.UUID(message[len(_USER) :])
        except ValueError:
            cache.clear()
            return False
        cache.drop_user(user_id)
        return True
    cache.clear()
    return message == ALL
