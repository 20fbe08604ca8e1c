"""Where the memory of an idle Socket.IO connection goes: the API's ASGI app served by uvicorn in this
process under tracemalloc, N idle clients in another process; prints RSS per connection and the
allocation sites that grew, per connection.

    .venv/bin/python -m bench.realtime_memory                    # 1,000 connections, as `magictask api` runs
    .venv/bin/python -m bench.realtime_memory --stack stock      # python-socketio's own Engine.IO server
    .venv/bin/python -m bench.realtime_memory --ws websockets    # another uvicorn WebSocket implementation
    .venv/bin/python -m bench.realtime_memory --no-trace         # RSS only (tracemalloc itself costs memory)

Prints figures; asserts nothing. `bench/realtime_bench.py` measures the real `magictask api` process.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

import psutil

from bench.realtime_bench import CHANNEL, Clients, free_port, migrated_servers, raise_fd_limit


async def serve_and_measure(args: argparse.Namespace, db_url: str, redis_url: str) -> None:
    import uvicorn

    from magictask.config import Settings
    from magictask.realtime.asgi import create_asgi_app
    from magictask.realtime.config import RealtimeSettings
    from magictask.realtime.websocket import uvicorn_options

    if args.stack == "stock":  # python-socketio's own Engine.IO server and uvicorn's default WebSocket
        import functools

        import socketio

        import magictask.realtime.server as server_module

        server_module.LeanSocketIOServer = functools.partial(socketio.AsyncServer, async_mode="asgi")  # type: ignore[misc]
    settings = Settings(database_url=db_url, redis_url=redis_url)
    app = create_asgi_app(settings, RealtimeSettings(channel=CHANNEL))
    port = free_port()
    options = uvicorn_options()
    if args.stack == "stock":
        options["ws"] = "websockets"
    if args.ws:
        options["ws"] = args.ws
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}"

    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.post(
            "/api/v1/auth/signup",
            json={"email": f"mem-{os.getpid()}@bench.example", "password": "bench password 1", "name": "m"},
        )
        r.raise_for_status()
        token = r.json()["access_token"]

    clients = Clients()
    loop = asyncio.get_running_loop()

    async def ask(command: str, payload: object = None) -> object:
        return await loop.run_in_executor(None, clients.ask, command, payload)

    try:
        await ask("open", ("warm", url, token, 20))
        await asyncio.sleep(1)
        gc.collect()
        process = psutil.Process()
        rss_before = process.memory_info().rss
        before = tracemalloc.take_snapshot() if args.trace else None
        reply = await ask("open", ("idle", url, token, args.connections))
        opened = int(reply["opened"])  # type: ignore[index]
        await asyncio.sleep(args.settle)  # let every connection finish its handshake and first ping
        gc.collect()
        rss_after = process.memory_info().rss
        print(
            f"stack={args.stack} ws={getattr(options['ws'], '__name__', options['ws'])} connections={opened:,} (failures {reply['failures']})"
        )  # type: ignore[index]
        print(f"RSS per connection: {(rss_after - rss_before) / opened / 1024:.1f} KiB")
        if before is not None:
            after = tracemalloc.take_snapshot()
            grown = after.compare_to(before, "lineno")
            total = sum(s.size_diff for s in grown)
            print(
                f"traced per connection: {total / opened / 1024:.1f} KiB; top sites (bytes per connection):"
            )
            for stat in grown[: args.top]:
                if stat.size_diff <= 0:
                    break
                frame = stat.traceback[0]
                where = f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
                print(f"  {stat.size_diff / opened:8.0f}  {stat.count_diff / opened:5.1f} blocks  {where}")
            tasks = len(asyncio.all_tasks())
            print(f"asyncio tasks alive: {tasks:,} ({tasks / opened:.2f} per connection)")
        await ask("close", None)
    finally:
        clients.stop()
        server.should_exit = True
        await serving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument(
        "--stack", choices=["lean", "stock"], default="lean", help="MagicTask's or stock Engine.IO"
    )
    parser.add_argument("--ws", default="", help="uvicorn ws implementation (default: MagicTask's choice)")
    parser.add_argument("--no-trace", dest="trace", action="store_false", help="RSS only")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait after opening")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    raise_fd_limit()
    if args.trace:
        tracemalloc.start(1)
    workdir = Path(tempfile.mkdtemp(prefix="mt-rt-mem-"))
    with migrated_servers(workdir) as (db_url, redis_url):
        import uvloop

        started = time.monotonic()
        uvloop.run(serve_and_measure(args, db_url, redis_url))
        print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
