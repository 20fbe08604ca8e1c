import { useQuery } from "@tanstack/react-query";
import { Flame, Snowflake, Trophy } from "lucide-react";
import { useMemo } from "react";
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap, type LedgerItem } from "../../api/client";
import { qk, useMe, useProgress } from "../../api/queries";
import { Avatar, Spinner } from "../../components/ui";
import { useHeaderTitle } from "../workspaces/AppLayout";
import { useAchievements, AchievementCard } from "./AchievementsPage";
import { XpHistoryList } from "../corrections/XpHistory";
import { type Explanation } from "./XpToast";
import { levelPercent } from "./XpBar";
import { formatDay, timeAxis } from "../../lib/timeAxis";
import { noun } from "../../lib/plural";

async function fetchLedger(userId: string): Promise<LedgerItem[]> {
  const all: LedgerItem[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 5; i++) {
    const page = await unwrap(api.GET("/api/v1/users/{user_id}/xp-history", { params: { path: { user_id: userId }, query: { limit: 200, cursor } } }));
    all.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return all;
}

const dayKey = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

/** XP per local day, and the days a freeze kept the streak alive. */
export function dailyXp(items: LedgerItem[]): { xp: Map<string, number>; freezes: Set<string> } {
  const xp = new Map<string, number>();
  const freezes = new Set<string>();
  for (const it of items) {
    const d = new Date(it.occurred_at);
    const k = dayKey(d);
    xp.set(k, (xp.get(k) ?? 0) + it.xp);
    const s = (it.explanation as Explanation).streak;
    if (s?.freezes_used) {
      for (let i = 1; i <= s.freezes_used; i++) freezes.add(dayKey(new Date(d.getTime() - i * 86_400_000)));
    }
  }
  return { xp, freezes };
}

export function StreakHeatmap({ items, weeks = 20 }: { items: LedgerItem[]; weeks?: number }) {
  const { xp, freezes } = useMemo(() => dailyXp(items), [items]);
  const today = new Date();
  const start = new Date(today);
  start.setDate(today.getDate() - (weeks - 1) * 7 - today.getDay()); // a Sunday; today is in the last column
  const cells: { key: string; xp: number; freeze: boolean; future: boolean }[] = [];
  for (let d = new Date(start); cells.length < weeks * 7; d.setDate(d.getDate() + 1)) {
    const k = dayKey(d);
    cells.push({ key: k, xp: xp.get(k) ?? 0, freeze: freezes.has(k), future: d > today });
  }
  const level = (v: number) => (v <= 0 ? "" : v < 20 ? "l1" : v < 60 ? "l2" : v < 120 ? "l3" : "l4");
  return (
    <div>
      <div className="heatmap" role="img" aria-label={`Activity over the last ${weeks} weeks`}>
        {cells.map((c) => (
          <span key={c.key} className={`heat ${c.freeze && !c.xp ? "freeze" : level(c.xp)}`} style={c.future ? { visibility: "hidden" } : undefined} title={`${c.key}: ${c.xp} XP${c.freeze ? " · freeze used" : ""}`} />
        ))}
      </div>
      <div className="row tiny muted" style={{ marginTop: 8 }}>
        Less <span className="heat" /> <span className="heat l1" /> <span className="heat l2" /> <span className="heat l3" /> <span className="heat l4" /> More
        <span style={{ width: 12 }} />
        <span className="heat freeze" /> Freeze
      </div>
    </div>
  );
}

export function ProfilePage() {
  const me = useMe();
  const progress = useProgress();
  const uid = me.data?.id;
  const ledger = useQuery({ queryKey: qk.xpHistory(uid ?? ""), queryFn: () => fetchLedger(uid!), enabled: !!uid });
  const achievements = useAchievements(uid);
  useHeaderTitle("Profile");
  const items = ledger.data ?? [];
  const series = useMemo(() => {
    // Cumulative XP: by day when the history spans days, else award by award through the day. `t` is a
    // time (ms) so the axis spaces points truly and labels distinct hours or dates (see timeAxis).
    const byDay = [...dailyXp(items).xp.entries()].sort(([a], [b]) => a.localeCompare(b));
    let total = 0;
    if (byDay.length > 1) return byDay.map(([day, xp]) => ({ t: new Date(`${day}T00:00:00`).getTime(), xp, total: (total += xp) }));
    return [...items]
      .sort((a, b) => a.occurred_at.localeCompare(b.occurred_at))
      .map((it) => ({ t: new Date(it.occurred_at).getTime(), xp: it.xp, total: (total += it.xp) }));
  }, [items]);
  const axis = useMemo(() => timeAxis(series.map((d) => d.t)), [series]);
  const multiDay = axis.label === "Date";
  // Within one day the total steps up at each award: from 0 at the axis's start, held until now (or the
  // axis's end), so a burst of awards in one minute still reads as a visible step, not a hairline.
  const plotted = useMemo(() => {
    if (multiDay || series.length === 0) return series;
    const last = series[series.length - 1];
    const until = Math.min(axis.domain[1], Math.max(Date.now(), last.t));
    return [{ t: axis.domain[0], xp: 0, total: 0 }, ...series, ...(until > last.t ? [{ ...last, t: until, xp: 0 }] : [])];
  }, [series, axis, multiDay]);
  const p = progress.data;
  if (!me.data || !p) return <Spinner />;
  const recentUnlocked = (achievements.data ?? []).filter((a) => a.unlocked).slice(0, 3);

  return (
    <div className="page">
      <div className="page-head">
        <div className="row" style={{ gap: 14 }}>
          <Avatar id={me.data.id} name={me.data.name} size="lg" />
          <div>
            <h1>{me.data.name}</h1>
            <p>
              Level {p.level} · {p.xp.toLocaleString()} XP total
            </p>
          </div>
        </div>
      </div>
      <div className="stat-grid" style={{ marginBottom: 20 }}>
        <div className="panel stat">
          <span className="eyebrow">Level {p.level}</span>
          <div className="progress-thin" style={{ margin: "10px 0 6px", height: 8 }}>
            <div style={{ width: `${levelPercent(p)}%`, background: "linear-gradient(90deg, var(--xp), var(--xp-2))" }} />
          </div>
          <span className="small muted">
            {p.xp_into_level} / {p.xp_into_level + p.xp_to_next} XP
          </span>
        </div>
        <div className="panel stat">
          <span className="eyebrow">Current streak</span>
          <div className="row">
            <Flame size={20} color="var(--xp-2)" aria-hidden /> <span className="value">{p.streak.current}</span> <span className="muted">{noun(p.streak.current, "day")}</span>
          </div>
        </div>
        <div className="panel stat">
          <span className="eyebrow">Longest streak</span>
          <div className="row">
            <Trophy size={20} color="var(--xp)" aria-hidden /> <span className="value">{p.streak.longest}</span> <span className="muted">{noun(p.streak.longest, "day")}</span>
          </div>
        </div>
        <div className="panel stat">
          <span className="eyebrow">Streak freezes</span>
          <div className="row">
            <Snowflake size={20} color="#38bdf8" aria-hidden /> <span className="value">{p.freezes}</span>
          </div>
        </div>
      </div>
      <div className="stack-lg">
        <section className="panel panel-pad" aria-labelledby="hist-h">
          <div className="row" style={{ marginBottom: 12 }}>
            <h2 id="hist-h">XP over time</h2>
          </div>
          {series.length === 0 ? (
            <p className="muted">Complete a task to start your history.</p>
          ) : (
            <div className="chart-box" data-testid="xp-chart">
              <ResponsiveContainer width="100%" height="100%">
                <AreaChart data={plotted} margin={{ left: 12, right: 12, top: 8, bottom: 20 }}>
                  <defs>
                    <linearGradient id="xpFill" x1="0" y1="0" x2="0" y2="1">
                      <stop offset="0%" stopColor="#f59e0b" stopOpacity={0.45} />
                      <stop offset="100%" stopColor="#f59e0b" stopOpacity={0} />
                    </linearGradient>
                  </defs>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
                  <XAxis dataKey="t" type="number" scale="time" domain={axis.domain} ticks={axis.ticks} tickFormatter={axis.format} tick={{ fill: "var(--muted)", fontSize: 12, className: "xp-chart-time" }} tickLine={false} axisLine={false} label={{ value: axis.label, position: "insideBottom", offset: -14, className: "chart-axis-label" }} />
                  <YAxis tick={{ fill: "var(--muted)", fontSize: 12 }} tickLine={false} axisLine={false} allowDecimals={false} label={{ value: "Total XP", angle: -90, position: "insideLeft", offset: -4, className: "chart-axis-label" }} />
                  <Tooltip
                    contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 10, color: "var(--text)" }}
                    labelFormatter={(t) => (multiDay ? formatDay(Number(t)) : new Date(Number(t)).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }))}
                    formatter={(v) => [`${Number(v).toLocaleString()} XP`, "Total"]}
                  />
                  <Area type={multiDay ? "monotone" : "stepAfter"} dataKey="total" name="Total XP" stroke="#f97316" strokeWidth={2.5} fill="url(#xpFill)" />
                </AreaChart>
              </ResponsiveContainer>
            </div>
          )}
        </section>
        <section className="panel panel-pad" aria-labelledby="streak-h">
          <h2 id="streak-h" style={{ marginBottom: 12 }}>
            Streak calendar
          </h2>
          <StreakHeatmap items={items} />
        </section>
        {recentUnlocked.length > 0 && (
          <section aria-labelledby="ach-h">
            <h2 id="ach-h" style={{ marginBottom: 12 }}>
              Latest achievements
            </h2>
            <div className="grid-cards">
              {recentUnlocked.map((a) => (
                <AchievementCard key={a.key} a={a} />
              ))}
            </div>
          </section>
        )}
        <section className="panel" aria-labelledby="ledger-h">
          <div className="panel-head">
            <h2 id="ledger-h">Where your XP came from</h2>
          </div>
          <XpHistoryList items={items} />
        </section>
      </div>
    </div>
  );
}
