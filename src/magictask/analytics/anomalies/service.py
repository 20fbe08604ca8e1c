"""The anomaly view (owners and admins): four patterns that suggest XP is being gamed, each finding with
the rows that show it, so an admin can judge and, if needed, correct the awards. The thresholds and why
are in `rules.py`; the queries and the index each uses in `repository.py`. Read through `ReadDatabase`
(the replica when there is one), in one snapshot."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from magictask.accounts.models import User
from magictask.analytics.anomalies import repository, rules
from magictask.analytics.anomalies.schemas import (
    AnomaliesOut,
    CompletionEvidence,
    Finding,
    InflationFinding,
    InteractionEvidence,
    NearInstantFinding,
    PairFinding,
    PointRateFinding,
    QuickCompletionEvidence,
    TaskEvidence,
    Thresholds,
)
from magictask.analytics.service import check_can_view_analytics
from magictask.comments.schemas import UserRef
from magictask.kit.plural import plural
from magictask.kit.time import utcnow
from magictask.replica import ReadDatabase

LIMIT = rules.EVIDENCE_LIMIT
GONE = "Former member"


class People:
    """UserRefs handed out while the findings are built, named in one query at the end."""

    def __init__(self) -> None:
        self._refs: list[UserRef] = []

    def ref(self, user_id: uuid.UUID | str) -> UserRef:
        out = UserRef(id=uuid.UUID(str(user_id)), name=GONE)
        self._refs.append(out)
        return out

    def maybe(self, user_id: uuid.UUID | None) -> UserRef | None:
        return None if user_id is None else self.ref(user_id)

    async def name_all(self, conn: AsyncConnection) -> None:
        names = await repository.user_names(conn, {r.id for r in self._refs})
        for r in self._refs:
            r.name = names.get(r.id, GONE)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def _point_rates(
    conn: AsyncConnection, ws: uuid.UUID, start: datetime, end: datetime, people: People
) -> list[Finding]:
    stats = await repository.completion_rates(conn, ws, start, end)
    eligible = {u: (n, pts, xp) for u, n, pts, xp in stats if n >= rules.MIN_COMPLETIONS and pts > 0}
    outliers = rules.rate_outliers({u: xp / pts for u, (_, pts, xp) in eligible.items()})
    if not outliers:
        return []
    evidence: dict[uuid.UUID, list[CompletionEvidence]] = {u: [] for u in outliers}
    for r in await repository.completion_awards(conn, ws, start, end, list(outliers)):
        rows = evidence[r.user_id]
        if len(rows) < LIMIT:
            estimate = None if r.estimate is None else float(r.estimate)
            rows.append(
                CompletionEvidence(
                    ledger_id=r.id,
                    event_id=r.event_id,
                    task_id=r.task_id,
                    task_title=r.title,
                    estimate=estimate,
                    xp=r.xp,
                    board_xp=r.board_xp,
                    occurred_at=r.occurred_at,
                )
            )
    findings: list[Finding] = []
    for user_id, o in sorted(outliers.items(), key=lambda kv: -abs(kv[1].z)):
        n, points, xp = eligible[user_id]
        what = "far more" if o.direction == "high" else "far less"
        findings.append(
            PointRateFinding(
                summary=f"Earns {o.rate:.1f} XP per completed point, {what} than the team's median of "
                f"{o.median:.1f} ({plural(n, 'estimated task')}, {plural(points, 'point')})",
                user=people.ref(user_id),
                direction=o.direction,
                completions=n,
                points=points,
                board_xp=xp,
                xp_per_point=round(o.rate, 3),
                median_xp_per_point=round(o.median, 3),
                robust_z=round(o.z, 2),
                evidence=evidence[user_id],
            )
        )
    return findings


async def _pairs(
    conn: AsyncConnection, ws: uuid.UUID, start: datetime, end: datetime, days: int, people: People
) -> list[Finding]:
    counts = {
        k: n for k, n in (await repository.interaction_counts(conn, ws, start, end)).items() if _is_uuid(k[1])
    }
    pairs = rules.reciprocal_pairs(counts, days)
    if not pairs:
        return []
    directed = [(a, b) for a, b, _, _ in pairs] + [(b, a) for a, b, _, _ in pairs]
    rows = await repository.interactions_between(conn, ws, start, end, directed, LIMIT)
    by_pair: dict[frozenset[str], list[InteractionEvidence]] = {}
    for r in rows:
        by_pair.setdefault(frozenset((r.giver, r.receiver)), []).append(
            InteractionEvidence(
                event_id=r.id,
                type=r.type,
                from_user_id=uuid.UUID(r.giver),
                to_user_id=uuid.UUID(r.receiver),
                created_at=r.created_at,
            )
        )
    return [
        PairFinding(
            summary=f"{plural(ab, 'reaction or mention', 'reactions and mentions')} one way and {ba} the other "
            f"in {plural(days, 'day')} (the threshold is {rules.pair_threshold(days)} each way)",
            users=[people.ref(a), people.ref(b)],
            a_to_b=ab,
            b_to_a=ba,
            evidence=by_pair.get(frozenset((a, b)), []),
        )
        for a, b, ab, ba in pairs
    ]


async def _inflation(
    conn: AsyncConnection, ws: uuid.UUID, start: datetime, end: datetime, people: People
) -> list[Finding]:
    changes = await repository.scoring_changes(conn, ws, start, end)
    if not changes:
        return []
    span = timedelta(days=rules.INFLATION_DAYS)
    completions = await repository.estimated_completions(
        conn, ws, changes[0].created_at - span, min(changes[-1].created_at + span, end)
    )
    findings: list[Finding] = []
    for change in changes:
        at = change.created_at
        before = [c for c in completions if at - span <= c.created_at < at]
        after = [c for c in completions if at <= c.created_at < min(at + span, end)]
        found = rules.estimate_inflation(
            [float(c.estimate) for c in before], [float(c.estimate) for c in after]
        )
        if found is None:
            continue
        evidence = [
            TaskEvidence(
                event_id=c.id,
                task_id=c.task_id,
                task_title=c.title,
                estimate=float(c.estimate),
                completed_at=c.created_at,
                completed_by=people.maybe(c.actor_id),
                side=side,
            )
            for side, group in (("before", before), ("after", after))
            for c in group[-LIMIT:]
        ]
        findings.append(
            InflationFinding(
                summary=f"Tasks completed in the {rules.INFLATION_DAYS} days after the scoring weights changed "
                f"averaged {found.after_mean:.1f} points, against {found.before_mean:.1f} before",
                change_event_id=change.id,
                changed_at=at,
                changed_by=people.maybe(change.actor_id),
                scoring_version=int(change.version) if change.version and change.version.isdigit() else None,
                before_tasks=len(before),
                after_tasks=len(after),
                before_mean=round(found.before_mean, 3),
                after_mean=round(found.after_mean, 3),
                ratio=None if found.ratio is None else round(found.ratio, 3),
                evidence=evidence,
            )
        )
    return findings


async def _near_instant(
    conn: AsyncConnection, ws: uuid.UUID, start: datetime, end: datetime, people: People
) -> list[Finding]:
    low, high = float(rules.INSTANT_SECONDS), float(rules.NEAR_INSTANT_SECONDS)
    speeds = await repository.completion_speeds(conn, ws, start, end, low, high)
    flagged = {u: v for u, v in speeds.items() if rules.near_instant_flagged(v[1], v[0])}
    if not flagged:
        return []
    evidence: dict[uuid.UUID, list[QuickCompletionEvidence]] = {u: [] for u in flagged}
    for r in await repository.quick_completions(conn, ws, start, end, list(flagged), low, high):
        if len(evidence[r.completer]) < LIMIT:
            evidence[r.completer].append(
                QuickCompletionEvidence(
                    event_id=r.id,
                    task_id=r.task_id,
                    task_title=r.title,
                    creator=people.maybe(r.creator),
                    completer=people.ref(r.completer),
                    seconds=round(float(r.seconds), 1),
                    completed_at=r.created_at,
                )
            )
    return [
        NearInstantFinding(
            summary=f"{near} of {plural(n, 'completion')} came {rules.INSTANT_SECONDS}-{rules.NEAR_INSTANT_SECONDS} s "
            "after the task was created: just past the cutoff under which a completion earns nothing",
            user=people.ref(user_id),
            count=near,
            completions=n,
            share=round(near / n, 3),
            evidence=evidence[user_id],
        )
        for user_id, (n, near) in sorted(flagged.items(), key=lambda kv: -kv[1][1])
    ]


def thresholds(days: int) -> Thresholds:
    return Thresholds(
        min_completions=rules.MIN_COMPLETIONS,
        min_members=rules.MIN_MEMBERS,
        outlier_z=rules.OUTLIER_Z,
        outlier_ratio=rules.OUTLIER_RATIO,
        pair_min_each_way=rules.pair_threshold(days),
        inflation_days=rules.INFLATION_DAYS,
        inflation_min_tasks=rules.INFLATION_MIN_TASKS,
        inflation_ratio=rules.INFLATION_RATIO,
        inflation_min_points=rules.INFLATION_MIN_POINTS,
        instant_seconds=rules.INSTANT_SECONDS,
        near_instant_seconds=rules.NEAR_INSTANT_SECONDS,
        near_instant_min=rules.NEAR_INSTANT_MIN,
        near_instant_share=rules.NEAR_INSTANT_SHARE,
        evidence_limit=rules.EVIDENCE_LIMIT,
    )


async def get_anomalies(
    session: AsyncSession,
    reads: ReadDatabase,
    user: User,
    workspace_id: uuid.UUID,
    days: int,
    now: datetime | None = None,
) -> AnomaliesOut:
    await check_can_view_analytics(session, user, workspace_id)
    # The window ends at the end of the current minute: the same answer for a minute (two reads a moment
    # apart agree, and it can be cached), and nothing recorded so far is left out.
    end = (now or utcnow()).replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(days=days)

    async def read(conn: AsyncConnection) -> list[Finding]:
        people = People()
        findings = [
            *await _point_rates(conn, workspace_id, start, end, people),
            *await _pairs(conn, workspace_id, start, end, days, people),
            *await _inflation(conn, workspace_id, start, end, people),
            *await _near_instant(conn, workspace_id, start, end, people),
        ]
        await people.name_all(conn)
        return findings

    return AnomaliesOut(
        workspace_id=workspace_id,
        days=days,
        start=start,
        end=end,
        thresholds=thresholds(days),
        findings=await reads.run(read),
    )
