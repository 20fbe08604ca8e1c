import { ShieldAlert } from "lucide-react";
import { useState, type ReactNode } from "react";
import { Link } from "react-router";
import { ApiError, errorMessage, type Schemas } from "../../api/client";
import { useAnomalies, type Finding } from "./api";
import { plural } from "../../lib/plural";

type UserRef = Schemas["UserRef"];

const KIND_TITLE: Record<Finding["kind"], string> = {
  xp_per_point_outlier: "XP per completed point out of line",
  reciprocal_pair: "Pair trading reactions and mentions",
  estimate_inflation: "Estimates inflated after a weights change",
  near_instant_completions: "Completions just past the instant cutoff",
};

const when = (iso: string) => new Date(iso).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

const GONE = <span className="muted">a deleted task</span>;

function Person({ ws, u }: { ws: string; u: UserRef | null | undefined }) {
  if (!u) return <span className="muted">—</span>;
  return <Link to={`/w/${ws}/members/${u.id}`}>{u.name}</Link>;
}

function Table({ head, rows }: { head: string[]; rows: ReactNode[][] }) {
  return (
    <div style={{ overflowX: "auto" }}>
      <table className="tasks" data-testid="evidence">
        <thead>
          <tr>{head.map((h) => <th key={h} scope="col">{h}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>{r.map((c, j) => <td key={j}>{c}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Evidence({ ws, f }: { ws: string; f: Finding }) {
  switch (f.kind) {
    case "xp_per_point_outlier":
      return <Table head={["Award", "Task", "Estimate (points)", "XP", "Board XP", "When"]} rows={f.evidence.map((e) => [`#${e.ledger_id}`, e.task_title ?? GONE, e.estimate ?? "—", e.xp, e.board_xp, when(e.occurred_at)])} />;
    case "reciprocal_pair": {
      const name = (id: string) => f.users.find((u) => u.id === id)?.name ?? "?";
      return <Table head={["Event", "Type", "From", "To", "When"]} rows={f.evidence.map((e) => [`#${e.event_id}`, e.type === "mention.created" ? "Mention" : "Reaction", name(e.from_user_id), name(e.to_user_id), when(e.created_at)])} />;
    }
    case "estimate_inflation":
      return <Table head={["Task", "Estimate (points)", "Completed", "By", "Scoring change"]} rows={f.evidence.map((e) => [e.task_title ?? GONE, e.estimate, when(e.completed_at), <Person ws={ws} u={e.completed_by} />, e.side === "before" ? "Before" : "After"])} />;
    case "near_instant_completions":
      return <Table head={["Task", "Created by", "Completed by", "Seconds after creation", "When"]} rows={f.evidence.map((e) => [e.task_title ?? GONE, <Person ws={ws} u={e.creator} />, <Person ws={ws} u={e.completer} />, e.seconds, when(e.completed_at)])} />;
  }
}

function Who({ ws, f }: { ws: string; f: Finding }) {
  if (f.kind === "reciprocal_pair")
    return (
      <>
        <Person ws={ws} u={f.users[0]} /> ⇄ <Person ws={ws} u={f.users[1]} />
      </>
    );
  if (f.kind === "estimate_inflation") return <>Scoring change by <Person ws={ws} u={f.changed_by} /> on {when(f.changed_at)}</>;
  return <Person ws={ws} u={f.user} />;
}

/** What makes a finding, in words (the thresholds the server used). */
function thresholdsText(t: Schemas["Thresholds"]): string {
  return (
    `How findings are chosen: XP per point far from the team's median (a robust z-score above ${t.outlier_z} and ${t.outlier_ratio}× off), ` +
    `among members with at least ${plural(t.min_completions, "estimated completion")}; pairs with at least ${plural(t.pair_min_each_way, "reaction or mention", "reactions and mentions")} each way; ` +
    `estimates up ${t.inflation_ratio}× within ${plural(t.inflation_days, "day")} of a scoring change; ` +
    `at least ${plural(t.near_instant_min, "completion")} (${Math.round(t.near_instant_share * 100)}% of a member's) ${t.instant_seconds}–${t.near_instant_seconds} seconds after the task was created.`
  );
}

/** The anomaly view: each finding with its evidence rows, for an admin to judge (and correct from the
 * member's XP history if needed). */
export function AnomaliesPanel({ ws }: { ws: string }) {
  const [days, setDays] = useState(30);
  const anomalies = useAnomalies(ws, days);
  const findings = anomalies.data?.findings ?? [];
  return (
    <section className="panel" aria-labelledby="anomalies-h" data-testid="anomalies">
      <div className="panel-head">
        <ShieldAlert size={16} aria-hidden />
        <h2 id="anomalies-h">Anomalies</h2>
        <span className="spacer" />
        <label className="sr-only" htmlFor="anomaly-days">
          Window
        </label>
        <select id="anomaly-days" className="select" style={{ width: 140, height: 30 }} value={days} onChange={(e) => setDays(Number(e.target.value))}>
          <option value={7}>Last 7 days</option>
          <option value={30}>Last 30 days</option>
          <option value={90}>Last 90 days</option>
        </select>
      </div>
      {anomalies.isPending ? (
        <p className="muted" style={{ padding: 16 }}>Loading…</p>
      ) : anomalies.isError ? (
        <p className="muted" style={{ padding: 16 }}>{anomalies.error instanceof ApiError && anomalies.error.status === 403 ? "Admins only." : errorMessage(anomalies.error)}</p>
      ) : findings.length === 0 ? (
        <p className="muted" style={{ padding: 16 }}>Nothing unusual in the last {days} days.</p>
      ) : (
        findings.map((f, i) => (
          <div key={i} className="ledger-row" style={{ display: "block" }} data-testid="finding" data-kind={f.kind}>
            <div className="row wrap" style={{ gap: 8 }}>
              <b>{KIND_TITLE[f.kind]}</b>
              <span className="small">
                <Who ws={ws} f={f} />
              </span>
            </div>
            <p className="small muted" style={{ margin: "4px 0" }}>
              {f.summary}
            </p>
            <details>
              <summary className="small">Evidence ({plural(f.evidence.length, "row")})</summary>
              <Evidence ws={ws} f={f} />
            </details>
          </div>
        ))
      )}
      {anomalies.data && (
        <p className="tiny muted" style={{ padding: "8px 16px" }}>
          {thresholdsText(anomalies.data.thresholds)}
        </p>
      )}
    </section>
  );
}
