"""`magictask` command line: up (everything on one machine), api, worker, migrate."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import platformdirs
import typer
from rich.console import Console

from magictask.demo.cli import app as demo_app
from magictask.kit.processes import Supervisor, exit_when_orphaned
from magictask.kit.stack_dumps import install_thread_dumps

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

    from magictask.events.stream import EventStream
    from magictask.mail.sink import MailSink

T = TypeVar("T")

app = typer.Typer(help="MagicTask: project management where real work earns XP.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)  # long lines stay whole in logs

DEFAULT_DATA_DIR = Path(platformdirs.user_data_dir("magictask"))


def _configure_logging(role: str) -> None:
    """Log lines, and traces when an OTLP endpoint is set (both per process: `up` configures its children)."""
    from magictask.kit.logs import configure_logging
    from magictask.kit.tracing import configure_tracing

    configure_logging(role)
    if role != "up":
        configure_tracing(role)


def default_api_processes() -> int:
    """One API process per CPU core this process may run on (affinity and cpusets count, as nproc)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


@app.command()
def up(
    port: Annotated[int, typer.Option(help="HTTP port for the API and web app")] = 8000,
    data_dir: Annotated[
        Path, typer.Option(help="Where the embedded servers keep their data")
    ] = DEFAULT_DATA_DIR,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    api_processes: Annotated[
        int | None,
        typer.Option(min=1, help="API processes sharing the port (default: one per CPU core)"),
    ] = None,
) -> None:
    """Start MagicTask: embedded PostgreSQL and Valkey (unless URLs are set), migrations, API processes, worker."""
    from magictask.embedded import MAX_CONNECTIONS, EmbeddedServers
    from magictask.mail.sink import MailSink
    from magictask.migrate import upgrade_to_head

    _configure_logging("up")
    env = dict(os.environ)
    processes = api_processes or default_api_processes()
    servers: EmbeddedServers | None = None
    sink: MailSink | None = None
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    # First of all: a port in use stops us before anything was started.
    try:
        listeners = listen(host, port, processes)
    except OSError as e:
        console.print(f"[red]Cannot listen on {host}:{port}: {e.strerror or e}[/]")
        raise typer.Exit(1) from None
    port = int(listeners[0].getsockname()[1])  # --port 0: the one the system chose
    supervisor = Supervisor(
        env, say=lambda message: console.print(f"[yellow]{message}[/]"), on_exit=_forget_metrics_of(env)
    )
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        need_pg, need_valkey = not env.get("MAGICTASK_DATABASE_URL"), not env.get("MAGICTASK_REDIS_URL")
        if need_pg or need_valkey:
            data_dir.mkdir(parents=True, exist_ok=True)
            names = " and ".join(
                n for n, needed in (("PostgreSQL", need_pg), ("Valkey", need_valkey)) if needed
            )
            console.print(f"[bold]Starting embedded {names}[/] in {data_dir}")
            servers = EmbeddedServers(data_dir)
            db_url, redis_url = servers.start_some(postgres=need_pg, valkey=need_valkey)
            env["MAGICTASK_DATABASE_URL"] = db_url or env["MAGICTASK_DATABASE_URL"]
            env["MAGICTASK_REDIS_URL"] = redis_url or env["MAGICTASK_REDIS_URL"]
        if need_pg:
            env.update(share_database_connections(env, processes, MAX_CONNECTIONS))
        if not env.get("MAGICTASK_SMTP_URL"):
            # The embedded default: mail stays on this machine, readable with `magictask mail list`.
            mail_dir = Path(env.get("MAGICTASK_MAIL_DIR") or data_dir / "mail")
            sink = MailSink(mail_dir)
            env["MAGICTASK_SMTP_URL"] = sink.start()
            env["MAGICTASK_MAIL_DIR"] = str(mail_dir)
            console.print(f"Outgoing mail goes to the local sink in {mail_dir} (magictask mail list)")
        # One metrics directory for the API processes and the worker, so /metrics shows them all.
        metrics_dir = data_dir / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
        console.print("Applying migrations")
        upgrade_to_head(env["MAGICTASK_DATABASE_URL"])
        python = sys.executable
        # Each API process accepts on its own socket of the port (see `listen`); `up` keeps them all open,
        # so a restarted process takes its predecessor's socket and the connections queued on it meanwhile.
        for i, sock in enumerate(listeners):
            name = f"api {i + 1}/{processes}" if processes > 1 else "api"
            fd = sock.fileno()
            supervisor.start(name, [python, "-m", "magictask", "api", "--fd", str(fd)], pass_fds=[fd])
        supervisor.start("worker", [python, "-m", "magictask", "worker"])
        what = f"{processes} API processes" if processes > 1 else "1 API process"
        console.print(
            f"[bold green]MagicTask is running at http://{host}:{port}[/]  "
            f"({what} and a worker; Ctrl-C stops everything)"
        )
        print(f"http://{host}:{port}", flush=True)
        while not stopping:
            failure = supervisor.check()  # a crashed process is started again
            if failure is not None:
                console.print(f"[red]{failure} (its output is above)[/]")
                raise typer.Exit(1)
            time.sleep(0.2)
        console.print("Stopping")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        supervisor.stop(signal.SIGTERM)
        for sock in listeners:
            sock.close()
        if sink is not None:
            sink.stop()
        if servers is not None:
            servers.stop()


cluster_app = typer.Typer(help="A production-shaped deployment on one machine.", no_args_is_help=True)
app.add_typer(cluster_app, name="cluster")


@cluster_app.command("up")
def cluster_up(
    api: Annotated[int, typer.Option(min=1, help="API processes behind nginx")] = 3,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 2,
    replica: Annotated[bool, typer.Option(help="A streaming replica serving the read-only queries")] = True,
    port: Annotated[int, typer.Option(help="nginx's port on 127.0.0.1")] = 8080,
    data_dir: Annotated[Path, typer.Option(help="Data of the servers, nginx's config and logs")] = (
        DEFAULT_DATA_DIR / "cluster"
    ),
) -> None:
    """nginx, N API processes, M workers, PostgreSQL primary + streaming replica and Valkey, on loopback
    (docs/DEPLOY.md, "A production-shaped deployment on one machine"). Ctrl-C stops everything."""
    from magictask.cluster.command import ClusterShape, RunningCluster, start_cluster

    _configure_logging("up")
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    # The cluster runs servers of its own: URLs from the environment would point its processes elsewhere.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_DATABASE_URL", "_DATABASE_READ_URL", "_REDIS_URL"))
    }
    running: RunningCluster | None = None
    try:
        try:
            running = start_cluster(
                ClusterShape(api, workers, replica, port), data_dir, env, say=lambda m: console.print(m)
            )
        except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
            console.print(f"[red]Cannot start the cluster: {e}[/]")
            raise typer.Exit(1) from None
        console.print(
            f"[bold green]MagicTask cluster at http://127.0.0.1:{port}[/]  ({api} API, {workers} workers"
            f"{', a replica' if replica else ''}; Ctrl-C stops everything)"
        )
        print(f"http://127.0.0.1:{port}", flush=True)
        while not stopping:
            failure = running.supervisor.check()
            if failure is not None:
                console.print(f"[red]{failure}[/]")
                raise typer.Exit(1)
            time.sleep(0.2)
        console.print("Stopping")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if running is not None:
            running.stop()


def listen(host: str, port: int, count: int, backlog: int = 2048) -> list[socket.socket]:
    """`count` listening sockets on host:port, one per API process.

    On Linux they share the port with SO_REUSEPORT, and the kernel spreads new connections evenly over them
    by a hash of the client's address and port. One socket that every process accepts from (what uvicorn's
    and gunicorn's workers do) lets whichever process wakes first take a whole burst of connections:
    measured with bench/api_processes.py, 400 of 400 connects of a burst on one of two processes, and 13 of
    wrk's 16 (docs/DEPLOY.md). Elsewhere (SO_REUSEPORT does not balance on macOS or the BSDs) the processes
    share one socket. Options as uvicorn sets them (SO_REUSEADDR, backlog 2048).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    reuse_port = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")

    def bind(port: int, reuse_port: bool) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        return sock

    # A plain bind first: it fails if anything listens on the port, even another `magictask up`, whose
    # SO_REUSEPORT sockets ours would otherwise join (a second `up` on one port must fail, not share it).
    with bind(port, reuse_port=False) as probe:
        port = int(probe.getsockname()[1])
    sockets = [bind(port, reuse_port)] if not reuse_port else []
    try:
        while len(sockets) < count:
            sockets.append(bind(port, reuse_port) if reuse_port else sockets[0])
        for sock in set(sockets):
            sock.listen(backlog)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def share_database_connections(
    env: dict[str, str], api_processes: int, max_connections: int, reserved: int = 50
) -> dict[str, str]:
    """Pool sizes that keep every API process's pool within the server's connection limit.

    Each API process has its own pool (`MAGICTASK_DB_POOL_SIZE` + `MAGICTASK_DB_MAX_OVERFLOW`); `reserved`
    connections are left for the worker, migrations and a psql. Sizes set in the environment are kept.
    """
    from magictask.config import Settings

    if "MAGICTASK_DB_POOL_SIZE" in env or "MAGICTASK_DB_MAX_OVERFLOW" in env:
        return {}
    defaults = Settings.model_fields
    pool = int(defaults["db_pool_size"].default)
    overflow = int(defaults["db_max_overflow"].default)
    each = max((max_connections - reserved) // api_processes, 2)
    if pool + overflow <= each:
        return {}
    shared_pool = max(each * pool // (pool + overflow), 1)
    return {"MAGICTASK_DB_POOL_SIZE": str(shared_pool), "MAGICTASK_DB_MAX_OVERFLOW": str(each - shared_pool)}


def _forget_metrics_of(env: dict[str, str]) -> Callable[[int], None]:
    """Drop an exited process's live gauges from the shared Prometheus directory (a restarted API process
    must not leave its predecessor's `magictask_realtime_subscribed` behind)."""

    def forget(pid: int) -> None:
        path = env.get("PROMETHEUS_MULTIPROC_DIR")
        if path and os.path.isdir(path):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]

    return forget


@app.command()
def api(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    fd: Annotated[
        int | None,
        typer.Option(
            help="Serve on this inherited listening socket instead of binding host:port "
            "(`up` hands each API process its socket of the port this way; systemd socket activation too)"
        ),
    ] = None,
) -> None:
    """Serve the API and real-time sockets only, one process (URLs from the environment)."""
    import uvicorn

    from magictask.kit.logs import UVICORN_LOG_CONFIG
    from magictask.realtime.websocket import uvicorn_options

    _configure_logging("api")
    install_thread_dumps()
    exit_when_orphaned()
    from magictask.config import get_settings
    from magictask.kit.drain import DrainingServer

    server = DrainingServer(
        uvicorn.Config(
            "magictask.realtime.asgi:create_asgi_app",  # FastAPI with Socket.IO at /socket.io/
            factory=True,
            host=host,
            port=port,
            proxy_headers=True,
            log_level=os.environ.get("MAGICTASK_LOG_LEVEL", "info").lower(),
            log_config=UVICORN_LOG_CONFIG,
            # The app writes the access line itself when MAGICTASK_ACCESS_LOG asks (kit/request_ids.py):
            # uvicorn's line can't name the request id.
            access_log=False,
            timeout_graceful_shutdown=10,
            **uvicorn_options(),
        ),
        drain_seconds=get_settings().drain_seconds,
    )
    # `socket(fileno=)` finds the socket's real family (uvicorn's own --fd assumes a unix socket).
    server.run(sockets=None if fd is None else [socket.socket(fileno=fd)])
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE, as `uvicorn.run` exits


@app.command()
def worker() -> None:
    """Run background work only: reward worker, outbox sweeper, scheduled jobs (URLs from the environment)."""
    import uvloop

    from magictask.worker import run_worker

    _configure_logging("worker")
    install_thread_dumps()
    exit_when_orphaned()
    uvloop.run(run_worker())


@app.command()
def migrate() -> None:
    """Apply database migrations to MAGICTASK_DATABASE_URL."""
    from magictask.config import get_settings
    from magictask.migrate import upgrade_to_head

    upgrade_to_head(get_settings().require_database_url())
    console.print("Database is at the latest migration")


app.add_typer(demo_app, name="demo")

dlq_app = typer.Typer(
    help="Dead-letter queue of the reward worker: list, show, replay, drop.", no_args_is_help=True
)
app.add_typer(dlq_app, name="dlq")


def _with_connections(fn: Callable[[AsyncSession, Redis, EventStream], Awaitable[T]]) -> T:
    import asyncio

    from magictask.config import get_settings
    from magictask.db import make_engine, make_sessionmaker
    from magictask.events.stream import EventStream
    from magictask.redis import make_redis

    async def main() -> T:
        settings = get_settings()
        engine = make_engine(settings.require_database_url(), pool_size=1, max_overflow=0)
        redis = make_redis(settings.require_redis_url())
        try:
            async with make_sessionmaker(engine)() as session:
                return await fn(session, redis, EventStream(redis, settings.event_partitions))
        finally:
            await redis.aclose()
            await engine.dispose()

    return asyncio.run(main())


@dlq_app.command("list")
def dlq_list() -> None:
    """Dead-lettered events with their attempts and last error."""
    from rich.table import Table

    from magictask.rewards.dlq import list_dead_letters

    letters = _with_connections(lambda _s, redis, _st: list_dead_letters(redis))
    table = Table("event id", "attempts", "partition", "error")
    for d in letters:
        table.add_row(str(d.event_id), str(d.attempts), str(d.partition), d.error[:100])
    Console().print(table)
    Console().print(f"{len(letters)} dead-lettered event(s)")


@dlq_app.command("show")
def dlq_show(event_id: int) -> None:
    """One dead-lettered event: the event row and the full error."""
    import json

    from sqlalchemy import select

    from magictask.events.models import Event
    from magictask.rewards.dlq import find_dead_letter

    async def show(session: AsyncSession, redis: Redis, _st: EventStream) -> tuple[object, object]:
        return await find_dead_letter(redis, event_id), await session.scalar(
            select(Event).where(Event.id == event_id)
        )

    letter, event = _with_connections(show)
    # Letters older than the stream keeps (DEAD_LETTER_MAXLEN) are still marked on the event row.
    if letter is None and (not isinstance(event, Event) or event.dead_lettered_at is None):
        console.print(f"[red]event {event_id} is not in the dead-letter queue[/]")
        raise typer.Exit(1)
    assert isinstance(event, Event)
    row = {
        c: getattr(event, c)
        for c in ("id", "type", "actor_id", "workspace_id", "task_id", "attempts", "created_at")
    }
    Console().print_json(
        json.dumps({"event": row, "payload": event.payload, "error": event.last_error}, default=str)
    )


@dlq_app.command("replay")
def dlq_replay(
    event_id: Annotated[int | None, typer.Argument(help="Event id to replay")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead-lettered event")] = False,
) -> None:
    """Put dead-lettered events back on their partition with fresh attempts."""
    from magictask.rewards.dlq import list_dead_letters, replay

    if event_id is None and not all_:
        console.print("[red]give an event id or --all[/]")
        raise typer.Exit(2)

    async def run(session: AsyncSession, redis: Redis, stream: EventStream) -> int:
        ids = [d.event_id for d in await list_dead_letters(redis, 100_000)] if all_ else [event_id or 0]
        return await replay(session, redis, stream, ids)

    count = _with_connections(run)
    console.print(f"replayed {count} event(s)")
    if count == 0:
        raise typer.Exit(1)


@dlq_app.command("drop")
def dlq_drop(event_id: int) -> None:
    """Remove an event from the dead-letter queue for good (it stays recorded, never scored)."""
    from magictask.rewards.dlq import drop

    if not _with_connections(lambda _s, redis, _st: drop(redis, event_id)):
        console.print(f"[red]event {event_id} is not in the dead-letter queue[/]")
        raise typer.Exit(1)
    console.print(f"dropped event {event_id}")


mail_app = typer.Typer(
    help="Read the mail the embedded SMTP sink kept (`magictask up` without MAGICTASK_SMTP_URL)."
)
app.add_typer(mail_app, name="mail")


def _mail_dir(data_dir: Path) -> Path:
    from magictask.config import get_settings

    configured = get_settings().mail_dir
    return Path(configured) if configured else data_dir / "mail"


@mail_app.command("list")
def mail_list(
    data_dir: Annotated[Path, typer.Option(help="The data directory `magictask up` used")] = DEFAULT_DATA_DIR,
    to: Annotated[str | None, typer.Option(help="Only messages to this address")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Newest first: id, date, recipient, subject."""
    from magictask.mail.sink import list_stored

    messages = list_stored(_mail_dir(data_dir), to=to, limit=limit)
    if not messages:
        console.print("No mail")
        return
    for m in messages:
        print(f"{m.id}  {m.date}  {m.to}  {m.subject}")


@mail_app.command("show")
def mail_show(
    mail_id: Annotated[str, typer.Argument(help="An id from `magictask mail list`")],
    data_dir: Annotated[Path, typer.Option(help="The data directory `magictask up` used")] = DEFAULT_DATA_DIR,
    html: Annotated[bool, typer.Option(help="Print the HTML part instead of the text")] = False,
) -> None:
    """One message: its headers and its text (or HTML) part."""
    from magictask.mail.sink import read_stored

    m = read_stored(_mail_dir(data_dir), mail_id)
    if m is None:
        console.print(f"[red]No message {mail_id}[/]")
        raise typer.Exit(1)
    print(f"From: {m.sender}\nTo: {m.to}\nSubject: {m.subject}\nDate: {m.date}\n")
    print(m.html if html else m.text)
