import { useQuery } from "@tanstack/react-query";
import { BarChart3 } from "lucide-react";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useParams } from "react-router";
import { ApiError, type Schemas } from "../../api/client";
import { plural } from "../../lib/plural";
import { shortDate } from "../projects/activitySentence";
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

type Activity = Schemas["ActivityOut"];

/** An average head count: one decimal, but never "0.0" for a few people active now and then. */
export function averageCount(v: number): string {
  if (v === 0) return "0";
  return v < 0.1 ? "< 0.1" : v.toFixed(1);
}

/** The head figures, all over the same days, saying what they measure (they once read "Avg daily active 0.0"
 * beside "Stickiness 100%": both averaged over days before the workspace existed). */
function ActivityFigures({ a }: { a: Activity }) {
  const over = a.measured_days === 0 ? "no days yet" : a.measured_from === a.start ? `the last ${plural(a.measured_days, "day")}` : `${plural(a.measured_days, "day")} since ${shortDate(a.measured_from)}`;
  return (
    <div className="stat-grid" data-testid="activity-figures">
      <div className="panel stat">
        <span className="eyebrow">Members</span>
        <span className="value" data-testid="figure-members">{a.members}</span>
        <span className="small muted stat-note">in the workspace now</span>
      </div>
      <div className="panel stat">
        <span className="eyebrow">Active on an average day</span>
        <span className="value" data-testid="figure-daily">{averageCount(a.average_daily_active)}</span>
        <span className="small muted stat-note">members, over {over}</span>
      </div>
      <div className="panel stat">
        <span className="eyebrow">Active in an average week</span>
        <span className="value" data-testid="figure-weekly">{averageCount(a.average_weekly_active)}</span>
        <span className="small muted stat-note">members active in the 7 days up to each of those days</span>
      </div>
      <div className="panel stat">
        <span className="eyebrow">Stickiness</span>
        <span className="value" data-testid="figure-stickiness">{pct(a.stickiness)}</span>
        <span className="small muted stat-note">{a.stickiness == null ? "nobody active yet" : "of a week's active members act on a given day (day ÷ week)"}</span>
      </div>
    </div>
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
        {a && <ActivityFigures a={a} />}
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
                <ComposedChart data={a!.daily.map((d) => ({ ...d, day: shortDate(d.date) }))} margin={{ left: 12, right: 12, top: 8, bottom: 20 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
                  <XAxis dataKey="day" tick={{ fill: "var(--muted)", fontSize: 12 }} tickLine={false} axisLine={false} minTickGap={16} label={{ value: `Date (${a!.timezone})`, position: "insideBottom", offset: -14, className: "chart-axis-label" }} />
                  <YAxis yAxisId="l" tick={{ fill: "var(--muted)", fontSize: 12 }} tickLine={false} axisLine={false} allowDecimals={false} label={{ value: "Active members", angle: -90, position: "insideLeft", offset: -4, className: "chart-axis-label" }} />
                  <YAxis yAxisId="r" orientation="right" tick={{ fill: "var(--muted)", fontSize: 12 }} tickLine={false} axisLine={false} allowDecimals={false} label={{ value: "Actions", angle: 90, position: "insideRight", offset: -4, className: "chart-axis-label" }} />
                  <Tooltip contentStyle={tooltipStyle} />
                  <Legend verticalAlign="top" height={32} />
                  <Bar yAxisId="r" dataKey="actions" name="Actions that day" fill="#8b7cff" radius={[4, 4, 0, 0]} opacity={0.55} />
                  <Line yAxisId="l" type="monotone" dataKey="active_members" name="Active that day (members)" stroke="#f97316" strokeWidth={2.5} dot={false} />
                  <Line yAxisId="l" type="monotone" dataKey="weekly_active_members" name="Active in the 7 days to then (members)" stroke="#10b981" strokeWidth={2} dot={false} />
                </ComposedChart>
              </ResponsiveContainer>
            </div>
          )}
        </section>
        <section className="panel panel-pad" aria-labelledby="ret-h">
          <h2 id="ret-h">Retention by joining week</h2>
          <p className="small muted" style={{ marginBottom: 12 }}>
            Of the members who joined each week, the share active in their joining week and in each week after it.
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
                        {i === 0 ? "Joining week" : `${plural(i, "week")} later`}
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
                  {g!.on.retention.map((on, i) => {
                    const off = g!.off.retention[i];
                    const cell = (r: typeof on | undefined) => (r && r.eligible > 0 ? `${pct(r.share)} of ${plural(r.eligible, "member")}` : "—");
                    return (
                      <tr key={on.week}>
                        <td>Still active {plural(on.week, "week")} after joining</td>
                        <td>{cell(on)}</td>
                        <td>{cell(off)}</td>
                        <td>—</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </>
          )}
        </section>
      </div>
    </div>
  );
}
