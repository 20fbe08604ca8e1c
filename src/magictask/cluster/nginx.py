"""Debian's nginx in front of the API processes, configured for loopback (plain HTTP).

The same choices as deploy/nginx.conf (least_conn, WebSocket upgrade, request ids, JSON access log), with
passive health checks: an instance that refuses or drops `max_fails` connections is left out for
`fail_timeout`, and a request whose connect failed goes to the next instance. nginx passes a request to
the next instance after it was sent only for idempotent methods (its default, kept): a POST that met a
dying process is the client's to retry, with an Idempotency-Key.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

INSTALL_COMMAND = "apt-get install -y nginx"


def find_nginx(install: bool = True) -> str:
    """The nginx binary; installed with apt-get when missing and we are root, else a clear error."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        apt = ["apt-get", "install", "-y", "--no-install-recommends", "nginx"]
        if subprocess.run(apt, capture_output=True, env=env).returncode != 0:  # stale package lists
            subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, env=env)
            subprocess.run(apt, check=True, capture_output=True, env=env)
        return find_nginx(install=False)
    raise RuntimeError(f"nginx is not installed; install it with: sudo {INSTALL_COMMAND}")


def render_config(listen_port: int, api_ports: list[int], run_dir: Path) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in api_ports)
    temp = "\n".join(
        f"    {kind}_temp_path {run_dir / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {run_dir / "nginx.pid"};
error_log {run_dir / "error.log"} warn;
events {{ worker_connections 8192; }}
http {{
{temp}
    log_format magictask_json escape=json
        '{{"ts":"$time_iso8601","request_id":"$request_id","method":"$request_method","uri":"$request_uri",'
        '"status":$status,"duration_s":$request_time,"upstream":"$upstream_addr","upstream_status":"$upstream_status"}}';
    access_log {run_dir / "access.log"} magictask_json;
    upstream magictask_api {{
        least_conn;
{servers}
        keepalive 64;
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}
    server {{
        listen 127.0.0.1:{listen_port} backlog=4096;
        client_max_body_size 2m;
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-Id $request_id;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 3;
        proxy_connect_timeout 2s;
        location /socket.io/ {{
            proxy_pass http://magictask_api;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 75s;
            proxy_send_timeout 75s;
        }}
        location / {{
            proxy_pass http://magictask_api;
            proxy_set_header Connection "";
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


def write_config(listen_port: int, api_ports: list[int], run_dir: Path) -> Path:
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    path = run_dir / "nginx.conf"
    path.write_text(render_config(listen_port, api_ports, run_dir))
    return path


def nginx_args(binary: str, config: Path, run_dir: Path) -> list[str]:
    # -e: the error log from the start (before the config is read, nginx would open /var/log/nginx's).
    return [
        binary,
        "-c",
        str(config),
        "-p",
        str(run_dir),
        "-e",
        str(run_dir / "error.log"),
        "-g",
        "daemon off;",
    ]
