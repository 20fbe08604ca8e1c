"""LeanQueue and LeanEvent behave like asyncio.Queue and asyncio.Event for everything Engine.IO and
uvicorn call: random programs of operations give the same observable results on both."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.realtime.primitives import LeanEvent, LeanQueue

# An operation on a queue: put an item, take one without waiting, mark one done, start a waiting
# getter (a task), cancel the oldest waiting getter, start a join, or put and cancel the getter that
# put woke before it can run (its item must pass to the next getter).
Op = tuple[str, int]
OPS = ["put", "get_nowait", "task_done", "get", "cancel_getter", "join", "put_then_cancel"]
ops = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 99)), max_size=40)


async def run_queue_program(queue: Any, program: list[Op]) -> list[Any]:
    """Observable trace: results and errors of each step, what every getter got, when joins finish."""
    trace: list[Any] = []
    getters: list[asyncio.Task[Any]] = []
    joins: list[asyncio.Task[Any]] = []
    for op, value in program:
        if op == "put":
            await queue.put(value)
        elif op == "get_nowait":
            try:
                trace.append(("got", queue.get_nowait()))
            except asyncio.QueueEmpty:
                trace.append("empty")
        elif op == "task_done":
            try:
                queue.task_done()
            except ValueError:
                trace.append("too many task_done")
        elif op == "get":
            getters.append(asyncio.create_task(queue.get()))
        elif op == "cancel_getter":
            waiting = [g for g in getters if not g.done()]
            if waiting:
                waiting[0].cancel()
        elif op == "join":
            joins.append(asyncio.create_task(queue.join()))
        elif op == "put_then_cancel":
            await queue.put(value)
            waiting = [g for g in getters if not g.done()]
            if waiting:
                waiting[0].cancel()
        for _ in range(3):  # let woken tasks run
            await asyncio.sleep(0)
        trace.append((queue.qsize(), queue.empty(), [g.done() for g in getters], [j.done() for j in joins]))
    for g in getters:
        if not g.done():
            g.cancel()
    results = await asyncio.gather(*getters, return_exceptions=True)
    trace.append([r if not isinstance(r, BaseException) else type(r).__name__ for r in results])
    for j in joins:
        j.cancel()
    await asyncio.gather(*joins, return_exceptions=True)
    return trace


@settings(max_examples=300, deadline=None)
@given(ops)
def test_lean_queue_matches_asyncio_queue(program: list[Op]) -> None:
    expected = asyncio.run(run_queue_program(asyncio.Queue(), program))
    actual = asyncio.run(run_queue_program(LeanQueue(), program))
    assert actual == expected


async def run_event_program(event: Any, program: list[str]) -> list[Any]:
    trace: list[Any] = []
    waiters: list[asyncio.Task[Any]] = []
    for op in program:
        if op == "set":
            event.set()
        elif op == "clear":
            event.clear()
        elif op == "wait":
            waiters.append(asyncio.create_task(event.wait()))
        elif op == "cancel":
            waiting = [w for w in waiters if not w.done()]
            if waiting:
                waiting[-1].cancel()
        for _ in range(3):
            await asyncio.sleep(0)
        trace.append((event.is_set(), [w.done() and not w.cancelled() and w.result() for w in waiters]))
    for w in waiters:
        w.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    return trace


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["set", "clear", "wait", "cancel"]), max_size=30))
def test_lean_event_matches_asyncio_event(program: list[str]) -> None:
    assert asyncio.run(run_event_program(LeanEvent(), program)) == asyncio.run(
        run_event_program(asyncio.Event(), program)
    )


async def test_an_idle_queue_and_event_hold_no_buffers() -> None:
    """The point of them: nothing allocated while empty, and buffers dropped once drained."""
    queue, event = LeanQueue(), LeanEvent()
    empty_size = sys.getsizeof(queue)
    await queue.put("packet")
    assert await queue.get() == "packet"
    queue.task_done()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    getter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await getter
    waiter = asyncio.create_task(event.wait())
    await asyncio.sleep(0)
    event.set()
    await waiter
    for slot in ("_items", "_getters", "_joiners"):
        assert getattr(queue, slot) is None, slot
    assert event._waiters is None
    assert sys.getsizeof(queue) == empty_size < sys.getsizeof(asyncio.Queue().__dict__)
