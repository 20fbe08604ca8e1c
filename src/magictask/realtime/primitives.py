"""Small stand-ins for `asyncio.Queue` and `asyncio.Event` for objects kept per connection.

The asyncio versions allocate their deques up front (an empty `Queue` holds four, ~2.5 KB; an `Event`
one, ~0.8 KB). A real-time process keeps a few of them for each of tens of thousands of idle sockets,
where they are empty nearly all the time, so these allocate only while they hold items or waiters.
They implement only what Engine.IO and uvicorn's WebSocket protocol call, with asyncio's semantics
(`tests/realtime/test_primitives.py`).
"""

from __future__ import annotations

import asyncio
from typing import Any


class LeanQueue:
    """The part of `asyncio.Queue` Engine.IO uses (unbounded: put, get, task_done, join), holding a list
    only while it has items and waiter lists only while someone waits. An empty `asyncio.Queue` holds
    four deques, ~2.5 KB, and every socket has one that is empty almost all the time."""

    __slots__ = ("_getters", "_items", "_joiners", "_unfinished")

    def __init__(self) -> None:
        self._items: list[Any] | None = None
        self._getters: list[asyncio.Future[None]] | None = None
        self._joiners: list[asyncio.Future[None]] | None = None
        self._unfinished = 0

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = [item]
        else:
            self._items.append(item)
        self._unfinished += 1
        self._wake_getter()

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        item = self._items.pop(0)
        if not self._items:
            self._items = None
        return item

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                self._forget(getter)
                if self._items and not getter.cancelled():
                    self._wake_getter()  # it was woken for an item it won't take: pass the turn on
                raise
            self._forget(getter)
        return self.get_nowait()

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joiners:
            joiners, self._joiners = self._joiners, None
            for joiner in joiners:
                if not joiner.done():
                    joiner.set_result(None)

    async def join(self) -> None:
        if self._unfinished:
            joiner = asyncio.get_running_loop().create_future()
            if self._joiners is None:
                self._joiners = []
            self._joiners.append(joiner)
            await joiner

    def _wake_getter(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                break
        if not self._getters:
            self._getters = None

    def _forget(self, getter: asyncio.Future[None]) -> None:
        if self._getters and getter in self._getters:
            self._getters.remove(getter)
        if not self._getters:
            self._getters = None


class LeanEvent:
    """`asyncio.Event` (set, clear, is_set, wait) with its waiter list allocated only while waited on."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        self._waiters: list[asyncio.Future[bool]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        if not self._value:
            self._value = True
            waiters, self._waiters = self._waiters, None
            for waiter in waiters or ():
                if not waiter.done():
                    waiter.set_result(True)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> bool:
        if self._value:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            if self._waiters and waiter in self._waiters:
                self._waiters.remove(waiter)
            if not self._waiters:
                self._waiters = None
