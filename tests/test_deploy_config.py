"""deploy/nginx.conf: HTTPS with HSTS, and the operational endpoints not proxied to the public."""

from __future__ import annotations

import re
from pathlib import Path

CONF = (Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf").read_text()


def server_blocks() -> list[str]:
    """The text of each top-level `server { ... }` block (braces balanced)."""
    blocks = []
    for match in re.finditer(r"^server\s*\{", CONF, re.M):
        depth, i = 0, match.end() - 1
        for j in range(i, len(CONF)):
            depth += {"{": 1, "}": -1}.get(CONF[j], 0)
            if depth == 0:
                blocks.append(CONF[i : j + 1])
                break
    return blocks


def test_plain_http_only_redirects_and_https_sends_hsts() -> None:
    plain = [b for b in server_blocks() if re.search(r"listen 80;", b)]
    tls = [b for b in server_blocks() if re.search(r"listen 443 ssl", b)]
    assert len(plain) == 1 and len(tls) == 1
    assert "return 301 https://" in plain[0] and "proxy_pass" not in plain[0]
    hsts = re.search(r'add_header Strict-Transport-Security "max-age=(\d+)[^"]*" always;', tls[0])
    assert hsts and int(hsts.group(1)) >= 31536000
    assert "add_header" not in tls[0].split("location", 1)[1]  # a location's add_header would drop HSTS


def test_docs_openapi_and_metrics_are_not_proxied() -> None:
    [tls] = [b for b in server_blocks() if "listen 443" in b]
    blocked = re.search(r"location ~ \^/\(([^)]*)\)\(/\|\$\) \{\s*return 404;", tls)
    assert blocked, "no location refusing the operational paths"
    paths = blocked.group(1).replace("\\.", ".").split("|")
    assert set(paths) >= {"docs", "redoc", "openapi.json", "metrics"}


def test_nginx_passes_its_request_id_and_logs_it() -> None:
    [tls] = [b for b in server_blocks() if "listen 443" in b]
    assert "proxy_set_header X-Request-Id $request_id;" in tls
    log_format = re.search(r"log_format magictask_json escape=json\s+((?:'[^']*'\s*)+);", CONF)
    assert log_format and '"request_id":"$request_id"' in log_format.group(1)
    assert re.search(r"access_log \S+ magictask_json;", tls)
