"""`magictask cluster up`: every part of a production deployment as its own process, on loopback.

nginx (passive checks, least_conn) → N `magictask api` processes on their own ports → PostgreSQL primary
(writes) and a streaming replica (`MAGICTASK_DATABASE_READ_URL`: leaderboards and analytics reads), and
Valkey; M `magictask worker`s. A process that dies is started again (kit/processes.Supervisor), so a
SIGTERM to one API process is a restart of that instance: the way to try a rolling restart by hand.
"""

from __future__ import annotations

import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from magictask.cluster.nginx import find_nginx, nginx_args, write_config
from magictask.cluster.standby import start_standby
from magictask.embedded import MAX_CONNECTIONS, EmbeddedPostgres, EmbeddedServers, free_port
from magictask.kit.processes import Supervisor

READY_TIMEOUT_SECONDS = 90.0


@dataclass
class ClusterShape:
    api: int = 3
    workers: int = 2
    replica: bool = True
    port: int = 8080


@dataclass
class RunningCluster:
    supervisor: Supervisor
    servers: EmbeddedServers
    standby: EmbeddedPostgres | None
    api_ports: list[int] = field(default_factory=list)

    def stop(self) -> None:
        self.supervisor.stop(signal.SIGTERM)
        if self.standby is not None:
            self.standby.stop()
        self.servers.stop()


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_ready(url: str, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready within {timeout:.0f} s")


def start_cluster(
    shape: ClusterShape, data_dir: Path, env: dict[str, str], say: Callable[[str], None]
) -> RunningCluster:
    """Start everything, in dependency order; on any failure, stop what was started and raise."""
    from magictask.cli import share_database_connections
    from magictask.migrate import upgrade_to_head

    nginx = find_nginx()
    if not port_is_free(shape.port):
        raise RuntimeError(f"port {shape.port} is in use")
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    servers = EmbeddedServers(data_dir)
    supervisor = Supervisor(env, say=say)
    running = RunningCluster(supervisor, servers, None)
    try:
        say(f"Starting PostgreSQL (primary) and Valkey in {data_dir}")
        db_url, redis_url = servers.start()
        upgrade_to_head(db_url)
        env.update({"MAGICTASK_DATABASE_URL": db_url, "MAGICTASK_REDIS_URL": redis_url})
        say(f"primary  {db_url}")
        say(f"valkey   {redis_url}")
        if shape.replica:
            say("Starting the streaming replica (pg_basebackup)")
            running.standby = start_standby(servers.postgres, data_dir / "replica")
            env["MAGICTASK_DATABASE_READ_URL"] = running.standby.url()
            say(f"replica  {running.standby.url()}")
        env.update(share_database_connections(env, shape.api, MAX_CONNECTIONS))
        metrics_dir = data_dir / "prometheus"
        metrics_dir.mkdir(exist_ok=True)
        for stale in metrics_dir.glob("*.db"):
            stale.unlink()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        python = sys.executable
        for i in range(shape.api):
            port = free_port()
            running.api_ports.append(port)
            supervisor.start(
                f"api {i + 1}/{shape.api}", [python, "-m", "magictask", "api", "--port", str(port)]
            )
        for i in range(shape.workers):
            supervisor.start(f"worker {i + 1}/{shape.workers}", [python, "-m", "magictask", "worker"])
        for i, port in enumerate(running.api_ports):
            wait_ready(f"http://127.0.0.1:{port}")
            say(f"api {i + 1}/{shape.api}  http://127.0.0.1:{port}")
        run_dir = data_dir / "nginx"
        config = write_config(shape.port, running.api_ports, run_dir)
        supervisor.start("nginx", nginx_args(nginx, config, run_dir))
        wait_ready(f"http://127.0.0.1:{shape.port}")
        say(f"nginx    http://127.0.0.1:{shape.port}  (config {config}, access log {run_dir / 'access.log'})")
        return running
    except BaseException:
        running.stop()
        raise
