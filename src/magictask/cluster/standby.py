"""A hot standby of an embedded PostgreSQL: a base backup with its replication settings, then started."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from magictask.embedded import PG_SUPERUSER, PG_SYSTEM_USER, EmbeddedPostgres, free_port


def start_standby(primary: EmbeddedPostgres, where: Path, *, fast_unsafe: bool = False) -> EmbeddedPostgres:
    """`pg_basebackup -R` of `primary` into `where` (streaming its WAL), started on a port of its own."""
    standby = EmbeddedPostgres(where, port=free_port(), fast_unsafe=fast_unsafe)
    if not (standby.pgdata / "standby.signal").exists():  # a data dir kept from the last run is reused
        standby.data_dir.mkdir(parents=True, exist_ok=True)
        standby.pgdata.mkdir(mode=0o700, exist_ok=True)
        standby.log_path.touch()
        standby._prepare_permissions()  # owned by the unprivileged postgres user when we run as root
        as_user = {"user": PG_SYSTEM_USER, "group": PG_SYSTEM_USER} if os.geteuid() == 0 else {}
        subprocess.run(
            [str(primary.bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
             "-U", PG_SUPERUSER, "-D", str(standby.pgdata), "-R", "-X", "stream", "-c", "fast"],
            check=True, capture_output=True, timeout=120, **as_user,  # type: ignore[call-overload]
        )  # fmt: skip
    standby.start()
    return standby
