"""Password hashing with argon2 (pwdlib's recommended parameters).

Hashing is deliberately slow, so it runs in a worker thread and never stalls the event loop.
"""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash
from starlette.concurrency import run_in_threadpool

_hasher = PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    return _hasher.hash("a password nobody has")


async def hash_password(password: str) -> str:
    return await run_in_threadpool(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses outdated parameters).

    With no stored hash (unknown email) a dummy hash is still verified, so response time does not
    reveal whether an account exists.
    """
    if password_hash is None:
        await run_in_threadpool(_hasher.verify, password, await run_in_threadpool(_dummy_hash))
        return False, None
    return await run_in_threadpool(_hasher.verify_and_update, password, password_hash)
