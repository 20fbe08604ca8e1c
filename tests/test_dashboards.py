"""deploy/grafana and deploy/prometheus: every MagicTask series a panel or an alert queries is one the processes
really export (a renamed metric would otherwise leave an empty panel or an alert that can never fire), and the
files are what Grafana and Prometheus load."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import magictask.app  # registers the metrics of the API, the sockets, the worker
import magictask.leaderboards.refresher
import magictask.realtime.asgi
import magictask.worker  # noqa: F401
from magictask.accounts.auth_sync import _subscribed_gauge as auth_cache_subscribed
from magictask.realtime.manager import _subscribed_gauge as sockets_subscribed

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
DASHBOARD = json.loads((DEPLOY / "grafana" / "magictask-dashboard.json").read_text())
ALERTS = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def exported() -> set[str]:
    sockets_subscribed(), auth_cache_subscribed()  # made on first subscription, not on import
    names: set[str] = set()
    for metric in REGISTRY.collect():
        names.add(metric.name)
        names.update(sample.name for sample in metric.samples)
        names.update(metric.name + suffix for suffix in SUFFIXES)
    return names


def queried(expr: str) -> set[str]:
    return set(re.findall(r"\bmagictask_[a-z_]+", expr))


def dashboard_exprs() -> list[str]:
    return [t["expr"] for p in DASHBOARD["panels"] for t in p.get("targets", [])]


def alert_exprs() -> list[str]:
    return [str(rule["expr"]) for group in ALERTS["groups"] for rule in group["rules"]]


def test_every_series_the_dashboard_and_the_alerts_query_is_exported() -> None:
    names = exported()
    used = set().union(*(queried(e) for e in dashboard_exprs() + alert_exprs()))
    assert used, "nothing queried"
    assert used - names == set()
    # The figures the issue asks to watch are all there.
    for wanted in (
        "magictask_http_request_duration_seconds_bucket",
        "magictask_realtime_sockets",
        "magictask_event_stream_lag",
        "magictask_dead_letters",
        "magictask_realtime_subscribed",
    ):
        assert any(wanted in e for e in dashboard_exprs()), wanted


def test_the_dashboard_is_one_grafana_can_import() -> None:
    assert DASHBOARD["uid"] and DASHBOARD["schemaVersion"] >= 36
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["targets"] and panel["fieldConfig"]["defaults"]["unit"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"  # picks the user's Prometheus on import
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])


def test_alerts_name_the_documented_conditions_with_a_runbook() -> None:
    rules = {rule["alert"]: rule for group in ALERTS["groups"] for rule in group["rules"]}
    assert {
        "MagicTaskWorkerLag",
        "MagicTaskDeadLettersGrowing",
        "MagicTaskDeafPubSub",
        "MagicTaskReplicaLag",
    } <= set(rules)
    docs = (DEPLOY.parent / "docs" / "DEPLOY.md").read_text()
    for name, rule in rules.items():
        assert rule["annotations"]["summary"] and rule["labels"]["severity"] in ("page", "ticket")
        assert name in docs, f"{name} is not explained in docs/DEPLOY.md"
