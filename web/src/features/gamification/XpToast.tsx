import { Sparkles, Trophy, X } from "lucide-react";
import { useState } from "react";
import type { Explanation } from "../../api/client";
import { fmtXp, plural, rewardBreakdown, rewardSentence } from "./rewardCopy";

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

/** The kernel's explanation of an award, line by line in plain words (named factors, rounded sensibly). */
export function ExplanationView({ e, withSentence = true }: { e: Explanation; withSentence?: boolean }) {
  return (
    <div className="explanation" data-testid="reward-breakdown">
      {withSentence && <p className="explanation-summary">{rewardSentence(e)}</p>}
      <ul>
        {rewardBreakdown(e).map((l, i, all) => (
          <li key={i} className={i === all.length - 1 ? "explanation-total" : undefined}>
            <span>{l.label}</span>
            <b>{l.value}</b>
          </li>
        ))}
      </ul>
      {e.board_xp !== undefined && e.board_xp !== e.xp && <p className="small muted">This workspace's board counts it as {plural(e.board_xp, "XP", "XP")} (its own weights).</p>}
      {e.streak && e.streak.freezes_used > 0 && <p className="small muted">A streak freeze covered a missed day.</p>}
      {e.streak?.freeze_earned && <p className="small muted">You earned a streak freeze.</p>}
    </div>
  );
}

/** The one reward toast: "+54 XP  Urgent task done a week early", the breakdown one click away. While the
 * completion is being scored it shows the server's preview of it, marked as an estimate; the confirmed award
 * replaces it in place. */
export function XpToast({ xp, title, estimate, explanation, onDismiss }: { xp: number | null; title?: string; estimate?: boolean; explanation?: Explanation; onDismiss?: () => void }) {
  const [open, setOpen] = useState(false);
  const sentence = explanation ? rewardSentence(explanation) : "Counting your XP…";
  return (
    <div className={`xp-toast ${estimate ? "is-estimate" : "is-final"}`} role="status" data-testid="xp-toast">
      <div className="xp-toast-head">
        <span className="xp-toast-badge">
          <Sparkles size={16} aria-hidden />
          <span data-testid="xp-toast-amount">{xp === null ? "XP" : fmtXp(xp)}</span>
        </span>
        <span className="xp-toast-text">
          <span className="xp-toast-sentence" data-testid="xp-toast-sentence">
            <span className="sr-only">— </span>
            {sentence}
          </span>
          {title ? <span className="xp-toast-task muted small">{title}{estimate ? " · confirming…" : ""}</span> : estimate ? <span className="muted small">confirming…</span> : null}
          {explanation && !estimate && (
            <button type="button" className="link-button small" aria-expanded={open} onClick={() => setOpen((o) => !o)} data-testid="xp-toast-why">
              <span className="why-long">{open ? "Hide breakdown" : "Why this much?"}</span>
              <span className="why-short">{open ? "Hide" : "Why?"}</span>
            </button>
          )}
        </span>
        {onDismiss && (
          <button type="button" className="btn ghost icon sm xp-toast-close" aria-label="Dismiss" onClick={onDismiss}>
            <X size={14} />
          </button>
        )}
      </div>
      {open && explanation && <ExplanationView e={explanation} withSentence={false} />}
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
