"""Web app first paint (issue 13): cold loads of the board, the profile and analytics in Chromium.

    .venv/bin/python -m bench.web_paint                     # 9 runs of each page, this tree's web/dist
    .venv/bin/python -m bench.web_paint --runs 15
    # against another build, e.g. main's, served side by side and loaded alternately (page by page)
    .venv/bin/python -m bench.web_paint --baseline /tmp/base/web/dist

Starts `magictask up` on a free port and a temporary data dir (embedded PostgreSQL and Valkey), serving the
built web app named by --dist (with --baseline, a second one serving that build: a build without .br/.gz
copies, such as main's, goes out uncompressed, as main's server sends it), and seeds what a morning looks
like: a workspace, a project with a few dozen tasks over its four columns, a user with some XP. Then bench/web_paint_browser.mjs (Playwright, Debian's
Chromium) loads each page N times, every time in a new browser context: an empty cache, as on a first
visit, with the session cookie and what the app keeps in localStorage for a returning user (the "signed in" hint,
the last workspace, the last user's id).

Per page it prints the median (and min-max) of:
- content: the first card on the board, the drawn XP chart on the profile, the drawn activity chart on
  analytics: the animation frame in which that element first exists, from navigation start;
- Chromium CPU: CPU time (user + system, /proc) all of Chromium's processes spent from the navigation to
  the content: the browser's work, which, unlike the wall-clock figures, does not grow when other programs
  keep the cores busy;
- responseEnd of the document, DOMContentLoaded and load (navigation timing);
- the JavaScript requested before the content: files, bytes transferred (as Chromium received them, with
  its Content-Encoding) and what the same bytes weigh compressed with gzip -9 and brotli 11.

Prints figures; asserts nothing. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from magictask.embedded import free_port
from magictask.kit.processes import spawn_child, stop_child

ROOT = Path(__file__).resolve().parents[1]
BROWSER_SCRIPT = ROOT / "bench" / "web_paint_browser.mjs"

TITLES = [
    "Draft the release notes", "Fix the flaky sign-up test", "Review the billing page copy",
    "Migrate the search index", "Add rate limits to the export API", "Write the onboarding email",
    "Audit the mobile nav", "Update the pricing table", "Plan the Q3 roadmap review",
    "Triage the bug inbox", "Measure the board's first paint", "Translate the invite page",
]  # fmt: skip
PRIORITIES = ["none", "low", "medium", "high", "urgent"]


class MagicTaskUp:
    """`magictask up` on a free port, a temporary data dir and the given web build."""

    def __init__(self, workdir: Path, dist: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "up.log"
        env = {**os.environ, "MAGICTASK_WEB_DIST": str(dist), "MAGICTASK_LOG_LEVEL": "warning"}
        args = [sys.executable, "-m", "magictask", "up", "--port", str(self.port),
                "--data-dir", str(workdir / "data")]  # fmt: skip
        self.proc = spawn_child(args, log_path=self.log, env=env)  # dies with the benchmark

    def wait_ready(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"magictask up exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        sys.exit(f"magictask up was not ready in {timeout:.0f}s:\n{self.log.read_text()}")

    def stop(self) -> None:
        stop_child(self.proc, timeout=60)


async def seed(base_url: str, n_tasks: int, rng: random.Random) -> dict[str, Any]:
    """A user with a workspace, a project of `n_tasks` tasks and some XP; their cookies and the page ids."""
    # Sign-ups are limited per client address: this run signs up from a benchmarking-range address.
    forwarded = {"X-Forwarded-For": f"198.18.{rng.randint(0, 255)}.{rng.randint(1, 254)}"}
    async with httpx.AsyncClient(base_url=base_url + "/api/v1", timeout=60) as client:
        signup = await client.post("/auth/signup", headers=forwarded, json={
            "email": f"ada.{uuid.uuid4().hex[:8]}@example.com", "name": "Ada Lovelace",
            "password": uuid.uuid4().hex})  # fmt: skip
        signup.raise_for_status()
        cookies = [{"name": k, "value": v} for k, v in signup.cookies.items()]
        auth = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        client.cookies.clear()  # the bearer token speaks for the seeding calls

        async def call(method: str, path: str, **kw: Any) -> Any:
            r = await client.request(method, path, headers=auth, **kw)
            if r.status_code >= 300:
                raise RuntimeError(f"seeding: {method} {path} -> {r.status_code} {r.text[:300]}")
            return r.json() if r.content else None

        ws = (await call("POST", "/workspaces", json={"name": "Pixel Studio", "timezone": "UTC"}))["id"]
        project = (await call("POST", f"/workspaces/{ws}/projects", json={
            "name": "Spring launch", "key": "SPR", "description": "Everything for the spring launch."}))["id"]  # fmt: skip
        columns = [s["id"] for s in await call("GET", f"/projects/{project}/statuses")]
        tasks = []
        for i in range(n_tasks):
            body: dict[str, Any] = {
                "title": f"{rng.choice(TITLES)} #{i + 1}",
                "description": "Acceptance: **done** when the checklist passes.\n\n- [ ] one\n- [ ] two",
                "status_id": rng.choices(columns, [40, 25, 15, 20])[0],
                "priority": rng.choice(PRIORITIES),
                "labels": rng.sample(["web", "api", "copy", "design"], rng.randint(0, 2)),
            }
            if rng.random() < 0.5:
                body["due_date"] = f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            tasks.append(await call("POST", f"/projects/{project}/tasks", json=body))
        # Some XP: completions and edits are scored by the reward worker.
        for task in tasks[:8]:
            if task["status_id"] != columns[-1]:
                await call("POST", f"/tasks/{task['id']}/complete", json={})
        user = signup.json()["user"]["id"]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            history = await call("GET", f"/users/{user}/xp-history", params={"limit": 5})
            if history["items"]:
                break
            await asyncio.sleep(0.5)
        else:
            raise RuntimeError("the reward worker wrote no XP history within 90 s")
    return {"cookies": cookies, "workspace": ws, "project": project, "user": user}


def run_browser(config: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    node = shutil.which("node") or sys.exit("node is required (the web app's toolchain)")
    out = subprocess.run(
        [node, str(BROWSER_SCRIPT)], input=json.dumps(config), capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        sys.exit(f"the browser script failed:\n{out.stderr[-4000:]}")
    result: dict[str, list[dict[str, Any]]] = json.loads(out.stdout)
    return result


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def _kb(n: float) -> str:
    return f"{n / 1024:.1f}"


def report(results: dict[str, list[dict[str, Any]]]) -> None:
    print(
        "\nmedian (min-max) over the runs, ms from navigation start; JS = scripts requested before the content"
    )
    head = ("page", "content", "Chromium CPU ms", "responseEnd", "DOMContentLoaded", "load", "JS files", "JS transferred KB",
            "JS gzip-9 KB", "JS brotli-11 KB", "encodings")  # fmt: skip
    print(" | ".join(head))
    for name, runs in results.items():
        js = [r["js"] for r in runs]
        print(" | ".join((
            name,
            _ms([r["content"] for r in runs]),
            _ms([r["chromiumCpu"] for r in runs]),
            _ms([r["responseEnd"] for r in runs]),
            _ms([r["domContentLoaded"] for r in runs]),
            _ms([r["load"] for r in runs]),
            f"{statistics.median(j['files'] for j in js):.0f}",
            _kb(statistics.median(j["transferred"] for j in js)),
            _kb(statistics.median(j["gzip9"] for j in js)),
            _kb(statistics.median(j["brotli11"] for j in js)),
            ",".join(sorted({e for j in js for e in j["encodings"]})),
        )))  # fmt: skip
    for name, runs in results.items():
        median_run = sorted(runs, key=lambda r: r["content"])[len(runs) // 2]
        print(f"\n{name}, the median run ({median_run['content']:.0f} ms): requests before the content, ms")
        for req in median_run["requests"]:
            print(f"  {req['start']:>5} - {req['end']:>5}  {req['type']:<14} {req['path'][:100]}")
        later = [s for s in median_run["js"]["all"] if s not in median_run["js"]["names"]]
        if later:
            print(f"  scripts after it: {', '.join(later)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9, help="cold loads of each page (after one warm-up)")
    parser.add_argument("--tasks", type=int, default=36, help="tasks in the seeded project")
    parser.add_argument("--dist", type=Path, default=ROOT / "web" / "dist", help="the built web app to serve")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another build (e.g. main's web/dist) served by a second `magictask up`, loaded alternately",
    )
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args()
    for dist in (args.dist, args.baseline):
        if dist and not (dist / "index.html").is_file():
            sys.exit(f"no build at {dist}: cd web && npm run build")

    builds = {"": args.dist.resolve()}
    if args.baseline:
        builds = {" (baseline)": args.baseline.resolve(), " (this)": args.dist.resolve()}
    with tempfile.TemporaryDirectory(prefix="mt-web-paint-") as tmp:
        ups = {
            label: MagicTaskUp(Path(tmp) / f"up{i}", dist) for i, (label, dist) in enumerate(builds.items())
        }
        try:
            t0 = time.perf_counter()
            routes: list[dict[str, Any]] = []
            for label, up in ups.items():
                up.wait_ready()
                seeded = asyncio.run(seed(up.url, args.tasks, random.Random(13)))
                ws, project = seeded["workspace"], seeded["project"]
                common = {"base": up.url, "cookies": seeded["cookies"],
                          "localStorage": {"mt.signed-in": "1", "mt.workspace": ws, "mt.user": seeded["user"]}}  # fmt: skip
                routes += [
                    {**common, "name": f"board{label}", "path": f"/w/{ws}/p/{project}/board",
                     "selector": '[data-testid="card"]'},
                    {**common, "name": f"profile{label}", "path": f"/w/{ws}/profile",
                     "selector": '[data-testid="xp-chart"] .recharts-surface'},
                    {**common, "name": f"analytics{label}", "path": f"/w/{ws}/analytics",
                     "selector": '[data-testid="activity-chart"] .recharts-surface'},
                ]  # fmt: skip
            print(f"magictask up ready and seeded in {time.perf_counter() - t0:.0f}s; load average "
                  f"{os.getloadavg()[0]:.1f}; {args.runs} cold loads per page")  # fmt: skip
            if args.baseline:  # alternate the builds page by page: both see the same moments of load
                routes = [r for pair in zip(routes[:3], routes[3:], strict=True) for r in pair]
            results = run_browser({"runs": args.runs, "chromium": args.chromium, "routes": routes})
        finally:
            for up in ups.values():
                up.stop()
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
