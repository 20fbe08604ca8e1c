"""`magictask` command line: up (everything on one machine), api, worker, migrate."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import platformdirs
import typer
from rich.console import Console

from magictask.kit.processes import spawn_child, stop_child

app = typer.Typer(help="MagicTask: project management where real work earns XP.", no_args_is_help=True)
console = Console(stderr=True)

DEFAULT_DATA_DIR = Path(platformdirs.user_data_dir("magictask"))


def _configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("MAGICTASK_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def up(
    port: Annotated[int, typer.Option(help="HTTP port for the API and web app")] = 8000,
    data_dir: Annotated[
        Path, typer.Option(help="Where the embedded servers keep their data")
    ] = DEFAULT_DATA_DIR,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
) -> None:
    """Start MagicTask: the embedded PostgreSQL and Valkey (unless URLs are set), migrations, API and worker."""
    from magictask.embedded import EmbeddedServers
    from magictask.migrate import upgrade_to_head

    _configure_logging()
    env = dict(os.environ)
    servers: EmbeddedServers | None = None
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        if not env.get("MAGICTASK_DATABASE_URL") or not env.get("MAGICTASK_REDIS_URL"):
            data_dir.mkdir(parents=True, exist_ok=True)
            console.print(f"[bold]Starting embedded PostgreSQL and Valkey[/] in {data_dir}")
            servers = EmbeddedServers(data_dir)
            db_url, redis_url = servers.start()
            env.setdefault("MAGICTASK_DATABASE_URL", db_url)
            env.setdefault("MAGICTASK_REDIS_URL", redis_url)
        console.print("Applying migrations")
        upgrade_to_head(env["MAGICTASK_DATABASE_URL"])
        python = sys.executable
        children.append(
            spawn_child([python, "-m", "magictask", "api", "--host", host, "--port", str(port)], env=env)
        )
        children.append(spawn_child([python, "-m", "magictask", "worker"], env=env))
        console.print(
            f"[bold green]MagicTask is running at http://{host}:{port}[/]  (Ctrl-C stops everything)"
        )
        print(f"http://{host}:{port}", flush=True)
        while not stopping:
            if any(c.poll() is not None for c in children):
                dead = [c.args for c in children if c.poll() is not None]
                console.print(f"[red]A MagicTask process exited unexpectedly: {dead}[/]")
                raise typer.Exit(1)
            time.sleep(0.2)
        console.print("Stopping")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in children:
            stop_child(child, signal.SIGTERM)
        if servers is not None:
            servers.stop()


@app.command()
def api(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Serve the API and real-time sockets only (URLs from the environment)."""
    import uvicorn

    _configure_logging()
    uvicorn.run(
        "magictask.app:create_app",
        factory=True,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        proxy_headers=True,
        log_level=os.environ.get("MAGICTASK_LOG_LEVEL", "info").lower(),
        timeout_graceful_shutdown=10,
    )


@app.command()
def worker() -> None:
    """Run background work only: reward worker, outbox sweeper, scheduled jobs (URLs from the environment)."""
    import uvloop

    from magictask.worker import run_worker

    _configure_logging()
    uvloop.run(run_worker())


@app.command()
def migrate() -> None:
    """Apply database migrations to MAGICTASK_DATABASE_URL."""
    from magictask.config import get_settings
    from magictask.migrate import upgrade_to_head

    upgrade_to_head(get_settings().require_database_url())
    console.print("Database is at the latest migration")
