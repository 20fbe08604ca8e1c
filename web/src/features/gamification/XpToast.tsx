import { Sparkles, Trophy } from "lucide-react";
import type { Explanation } from "../../api/client";
import { plural } from "../../lib/plural";

export type { Explanation };

const EVENT_LABEL: Record<string, string> = {
  "task.completed": "Task completed",
  "task.created": "Task created",
  "task.updated": "Task edited",
  "task.moved": "Task moved",
  "task.reopened": "Task reopened",
  "comment.created": "Comment",
  "mention.created": "Mention",
  "reaction.added": "Reaction",
  "user.login": "Daily login",
  "invite.accepted": "Joined a workspace",
  "xp.adjusted": "Corrected by an admin",
};

export function humanize(name: string): string {
  const s = name.replace(/[._]/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function eventLabel(type?: string, role?: string): string {
  if (!type) return "XP";
  const base = EVENT_LABEL[type] ?? humanize(type);
  if (role === "assignee") return type === "task.completed" ? "Your task, completed" : `${base} (yours)`;
  return role === "receiver" ? `${base} (received)` : base;
}

/** The worker's explanation of an award, as a readable breakdown. */
export function ExplanationView({ e }: { e: Explanation }) {
  return (
    <div className="explanation">
      {e.summary && <p className="explanation-summary">{e.summary}</p>}
      <ul>
        {e.base && (
          <li>
            <span>{humanize(e.base.name)}</span>
            <b>{e.base.xp} XP</b>
          </li>
        )}
        {e.multipliers?.map((m) => (
          <li key={m.name}>
            <span>
              {humanize(m.name)}
              {m.note ? <em> · {m.note}</em> : null}
            </span>
            <b>×{+m.value.toFixed(3)}</b>
          </li>
        ))}
        {e.bonuses?.map((b) => (
          <li key={b.name}>
            <span>
              {humanize(b.name)}
              {b.note ? <em> · {b.note}</em> : null}
            </span>
            <b>+{b.xp}</b>
          </li>
        ))}
      </ul>
      {e.reasons && e.reasons.length > 0 && <p className="muted small">{e.reasons.join(" · ")}</p>}
      {e.formula && <code className="formula">{e.formula}</code>}
      {e.board_xp !== undefined && e.board_xp !== e.xp && <p className="small muted">This workspace's board counts it as {e.board_xp} XP (its own weights).</p>}
      {e.streak && e.streak.days > 0 && (
        <p className="small">
          🔥 {e.streak.days}-day streak{e.streak.freezes_used ? ` · ${plural(e.streak.freezes_used, "freeze")} used` : ""}
          {e.streak.freeze_earned ? " · freeze earned" : ""}
        </p>
      )}
    </div>
  );
}

export function XpToast({ xp, title, estimate, explanation, compact }: { xp: number | null; title?: string; estimate?: boolean; explanation?: Explanation; compact?: boolean }) {
  return (
    <div className={`xp-toast ${estimate ? "is-estimate" : "is-final"}`} role="status" data-testid="xp-toast">
      <div className="xp-toast-head">
        <span className="xp-toast-badge">
          <Sparkles size={16} aria-hidden />
          <span data-testid="xp-toast-amount">{xp === null ? "XP" : `${xp >= 0 ? "+" : ""}${xp} XP`}</span>
        </span>
        <span className="xp-toast-title">
          {estimate ? "Estimating…" : eventLabel(explanation?.event_type, explanation?.role)}
          {title ? <span className="muted"> · {title}</span> : null}
        </span>
      </div>
      {!compact && explanation && <ExplanationView e={explanation} />}
    </div>
  );
}

export function AchievementToast({ name, description, tier }: { name: string; description: string; tier: string | null }) {
  return (
    <div className="xp-toast achievement-toast" role="status" data-testid="achievement-toast">
      <div className="xp-toast-head">
        <span className={`medal tier-${tier ?? "none"}`}>
          <Trophy size={18} aria-hidden />
        </span>
        <span>
          <span className="eyebrow">Achievement unlocked</span>
          <b>{name}</b>
        </span>
      </div>
      <p className="small muted">{description}</p>
    </div>
  );
}
