import { Flame, Snowflake } from "lucide-react";
import { Link } from "react-router";
import type { Progress } from "../../api/client";
import { useProgress } from "../../api/queries";
import { plural } from "../../lib/plural";

export function levelPercent(p: Pick<Progress, "xp_into_level" | "xp_to_next">): number {
  const span = p.xp_into_level + p.xp_to_next;
  return span > 0 ? Math.max(0, Math.min(100, (p.xp_into_level / span) * 100)) : 100;
}

export function XpBarView({ p, href }: { p: Progress; href: string }) {
  const pct = levelPercent(p);
  const streak = p.streak.current;
  return (
    <Link to={href} className="xpbar" aria-label={`Level ${p.level}, ${p.xp_into_level} of ${p.xp_into_level + p.xp_to_next} XP to the next level, ${streak}-day streak`} data-testid="xp-bar">
      <span className="level-badge" data-testid="level">
        {p.level}
      </span>
      <span className="xpbar-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} aria-label="Progress to next level">
        <span className="xpbar-fill" style={{ width: `${pct}%`, display: "block" }} data-testid="xp-fill" />
      </span>
      <span className="xpbar-text hide-sm" data-testid="xp-text">
        {p.xp_into_level}/{p.xp_into_level + p.xp_to_next}
      </span>
      <span className={`streak-pill ${streak > 0 ? "" : "cold"}`} title={`${streak}-day streak · ${plural(p.freezes, "streak freeze")}`}>
        <Flame size={14} aria-hidden />
        {streak}
        {p.freezes > 0 && (
          <span className="hide-sm" style={{ color: "#38bdf8", display: "inline-flex", alignItems: "center", marginLeft: 4 }}>
            <Snowflake size={12} aria-hidden />
            {p.freezes}
          </span>
        )}
      </span>
    </Link>
  );
}

export function XpBar({ ws }: { ws: string }) {
  const progress = useProgress();
  if (!progress.data) return <span className="xpbar" style={{ width: 200, height: 38, visibility: "hidden" }} aria-hidden />;
  return <XpBarView p={progress.data} href={`/w/${ws}/profile`} />;
}
