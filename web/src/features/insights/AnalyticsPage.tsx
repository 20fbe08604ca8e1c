import { useQuery } from "@tanstack/react-query";
import { BarChart3 } from "lucide-react";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useParams } from "react-router";
import { ApiError } from "../../api/client";
import { Empty, Spinner } from "../../components/ui";
import { useHeaderTitle } from "../workspaces/AppLayout";
import { AnomaliesPanel } from "../corrections/Anomalies";
import { ReviewQueue } from "../corrections/ReviewQueue";
import { activityQuery, gamificationQuery, retentionQuery } from "./queries";

const pct = (v: number | null | undefined) => (v == null ? "—" : `${Math.round(v * 100)}%`);
const tooltipStyle = { background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 10, color: "var(--text)" };

function Unavailable({ error }: { error: unknown }) {
  const e = error instanceof ApiError ? error : null;
  return (
    <Empty icon={<BarChart3 size={32} />} title={e?.status === 404 ? "Not available on this server yet" : e?.status === 403 ? "Admins only" : "Couldn't load"}>
      <p>{e?.message}</p>
    </Empty>
  );
}

export function AnalyticsPage() {
  const { ws = "" } = useParams();
  useHeaderTitle("Analytics");
  const activity = useQuery(activityQuery(ws));
  const retention = useQuery(retentionQuery(ws));
  const gam = useQuery(gamificationQuery(ws));
  const a = activity.data;
  const r = retention.data;
  const g = gam.data;

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Analytics</h1>
          <p>How your team engages — and whether gamification helps.</p>
        </div>
      </div>
      <div className="stack-lg">
        {a && (
          <div className="stat-grid">
            <div className="panel stat">
              <span className="eyebrow">Members</span>
              <span className="value">{a.members}</span>
            </div>
            <div className="panel stat">
              <span className="eyebrow">Avg daily active</span>
              <span className="value">{a.average_daily_active.toFixed(1)}</span>
            </div>
            <div className="panel stat">
              <span className="eyebrow">Stickiness (DAU/WAU)</span>
              <span className="value">{pct(a.stickiness)}</span>
            </div>
          </div>
        )}
        <ReviewQueue ws={ws} />
        <AnomaliesPanel ws={ws} />
        <section className="panel panel-pad" aria-labelledby="act-h">
          <h2 id="act-h" style={{ marginBottom: 12 }}>
            Activity
          </h2>
          {activity.isPending ? (
            <Spinner />
          ) : activity.isError ? (
            <Unavailable error={activity.error} />
          ) : (
            <div className="chart-box" data-testid="activity-chart">
              <ResponsiveContainer width="100%" height="100%">
                <ComposedChart data={a!.daily.map((d) => ({ ...d, day: d.date.slice(5) }))} margin={{ left: -12, right: 8, top: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
                  <XAxis dataKey="day" tick={{ fill: "var(--muted)", fontSize: 12 }} tickLine={false} axisLine={false} />
                  <YAxis yAxisId="l" tick={{ fill: "var(--muted)", fontSize: 12 }} tickLine={false} axisLine={false} allowDecimals={false} />
                  <YAxis yAxisId="r" orientation="right" tick={{ fill: "var(--muted)", fontSize: 12 }} tickLine={false} axisLine={false} allowDecimals={false} />
                  <Tooltip contentStyle={tooltipStyle} />
                  <Legend />
                  <Bar yAxisId="r" dataKey="actions" name="Actions" fill="#8b7cff" radius={[4, 4, 0, 0]} opacity={0.55} />
                  <Line yAxisId="l" type="monotone" dataKey="active_members" name="Daily active" stroke="#f97316" strokeWidth={2.5} dot={false} />
                  <Line yAxisId="l" type="monotone" dataKey="weekly_active_members" name="Weekly active" stroke="#10b981" strokeWidth={2} dot={false} />
                </ComposedChart>
              </ResponsiveContainer>
            </div>
          )}
        </section>
        <section className="panel panel-pad" aria-labelledby="ret-h">
          <h2 id="ret-h">Retention by joining week</h2>
          <p className="small muted" style={{ marginBottom: 12 }}>
            Share of each week's new members who were active N weeks later.
          </p>
          {retention.isPending ? (
            <Spinner />
          ) : retention.isError ? (
            <Unavailable error={retention.error} />
          ) : r!.cohorts.every((c) => c.members === 0) ? (
            <p className="muted">No cohorts yet.</p>
          ) : (
            <div style={{ overflowX: "auto" }}>
              <table className="cohort" style={{ borderCollapse: "separate", borderSpacing: 3 }}>
                <thead>
                  <tr>
                    <th scope="col" className="small muted" style={{ textAlign: "left" }}>
                      Week of
                    </th>
                    <th scope="col" className="small muted">
                      People
                    </th>
                    {Array.from({ length: r!.weeks + 1 }, (_, i) => (
                      <th scope="col" key={i} className="small muted">
                        W{i}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {r!.cohorts.filter((c) => c.members > 0).map((c) => (
                    <tr key={c.week_start}>
                      <th scope="row" className="small" style={{ textAlign: "left", whiteSpace: "nowrap" }}>
                        {c.week_start}
                      </th>
                      <td>{c.members}</td>
                      {c.retention.map((v, i) => (
                        <td key={i} style={{ background: v == null ? "transparent" : `color-mix(in srgb, var(--brand) ${Math.round(v * 85) + 8}%, var(--surface-2))`, color: v != null && v > 0.5 ? "white" : "var(--text)", borderRadius: 5, minWidth: 44 }}>
                          {v == null ? "" : pct(v)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <section className="panel panel-pad" aria-labelledby="gam-h">
          <h2 id="gam-h">Gamification on vs off</h2>
          {gam.isPending ? (
            <Spinner />
          ) : gam.isError ? (
            <Unavailable error={gam.error} />
          ) : (
            <>
              <p className="small muted" style={{ margin: "4px 0 12px" }}>
                {g!.note}
              </p>
              <table className="tasks">
                <thead>
                  <tr>
                    <th scope="col">Measure</th>
                    <th scope="col">On</th>
                    <th scope="col">Off</th>
                    <th scope="col">Lift</th>
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <td>Days measured</td>
                    <td>{g!.on.days}</td>
                    <td>{g!.off.days}</td>
                    <td>—</td>
                  </tr>
                  <tr>
                    <td>Members active on an average day</td>
                    <td>{pct(g!.on.daily_active_share)}</td>
                    <td>{pct(g!.off.daily_active_share)}</td>
                    <td>{g!.lift.daily_active_share != null ? `×${g!.lift.daily_active_share.toFixed(2)}` : "—"}</td>
                  </tr>
                  <tr>
                    <td>Actions per member-day</td>
                    <td>{g!.on.actions_per_member_day?.toFixed(2) ?? "—"}</td>
                    <td>{g!.off.actions_per_member_day?.toFixed(2) ?? "—"}</td>
                    <td>{g!.lift.actions_per_member_day != null ? `×${g!.lift.actions_per_member_day.toFixed(2)}` : "—"}</td>
                  </tr>
                  <tr>
                    <td>Members who joined</td>
                    <td>{g!.on.joined}</td>
                    <td>{g!.off.joined}</td>
                    <td>—</td>
                  </tr>
                </tbody>
              </table>
            </>
          )}
        </section>
      </div>
    </div>
  );
}
