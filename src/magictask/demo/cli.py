"""`magictask demo seed`: a demo workspace with months of history, on the configured database or the
embedded one (the running `magictask up`'s, or started just for the seed)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:  # the seed's imports are heavy; `magictask --help` shouldn't pay for them
    from magictask.demo.seed import SeedOptions, SeedResult

app = typer.Typer(help="Demo data for trying MagicTask out.", no_args_is_help=True)
console = Console(stderr=True)


def running_embedded_url(data_dir: Path) -> str | None:
    """The URL of the embedded PostgreSQL a `magictask up` on `data_dir` is running, if one is."""
    from magictask.embedded import DATABASE_NAME, PG_SUPERUSER

    pid_file = data_dir / "postgres" / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return f"postgresql://{PG_SUPERUSER}@127.0.0.1:{port}/{DATABASE_NAME}"


@app.command("seed")
def seed(
    members: Annotated[int, typer.Option(min=2, max=2000, help="People who join over time")] = 40,
    days: Annotated[int, typer.Option(min=14, max=1000, help="Days of history, up to yesterday")] = 180,
    switch_day: Annotated[
        int | None, typer.Option(help="Day gamification is switched on (default: halfway)")
    ] = None,
    lift: Annotated[
        float,
        typer.Option(min=0.0, max=10.0, help="Assumed: how much more slowly engagement fades while it's on"),
    ] = 0.6,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same history)")] = 7,
    timezone: Annotated[str, typer.Option(help="The workspace's time zone")] = "Europe/Berlin",
    name: Annotated[str, typer.Option(help="Workspace name")] = "Acme Robotics (demo)",
    data_dir: Annotated[
        Path | None, typer.Option(help="Embedded data directory (when no database URL is set)")
    ] = None,
) -> None:
    """Create a workspace with months of realistic history: members joining, work that fades, some leaving,
    gamification switched on midway. Analytics, leaderboards and XP then have something real to show."""
    from zoneinfo import ZoneInfo

    from magictask.cli import DEFAULT_DATA_DIR
    from magictask.config import get_settings
    from magictask.demo.seed import SeedOptions

    if switch_day is not None and not 1 <= switch_day < days:
        raise typer.BadParameter("must be between 1 and days - 1", param_hint="--switch-day")
    try:
        ZoneInfo(timezone)
    except (KeyError, ValueError):
        raise typer.BadParameter("not a known IANA time zone", param_hint="--timezone") from None
    options = SeedOptions(
        members=members, days=days, switch_day=switch_day, lift=lift, seed=seed, timezone=timezone, name=name
    )
    url = get_settings().database_url
    embedded = None
    if not url:
        where = (data_dir or DEFAULT_DATA_DIR).expanduser()
        url = running_embedded_url(where)
        if url is None:
            from magictask.embedded import EmbeddedPostgres

            console.print(f"Starting the embedded PostgreSQL in {where} for the seed")
            embedded = EmbeddedPostgres(where)
            url = embedded.start()
    try:
        from magictask.migrate import upgrade_to_head

        upgrade_to_head(url)
        result = asyncio.run(_seed(url, options))
    finally:
        if embedded is not None:
            embedded.stop()
    console.print(
        f"[bold green]Seeded[/] {result.members} members, {result.events} events, "
        f"{result.ledger_rows} XP ledger rows in workspace {result.workspace_id}"
    )
    console.print(f"Log in as [bold]{result.owner_email}[/] with password [bold]{result.password}[/]")


async def _seed(url: str, options: SeedOptions) -> SeedResult:
    from magictask.db import make_engine
    from magictask.demo.seed import seed_demo

    engine = make_engine(url, pool_size=2, max_overflow=0)
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as bar:
            stages: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in stages:
                    stages[stage] = bar.add_task(stage, total=total)
                bar.update(stages[stage], completed=done, total=total)

            return await seed_demo(engine, options, report)
    finally:
        await engine.dispose()
