import { X } from "lucide-react";

const COLORS = ["#f59e0b", "#f97316", "#8b7cff", "#10b981", "#ec4899", "#0ea5e9"];
const BITS = Array.from({ length: 14 }, (_, i) => ({ left: `${(i * 37) % 100}%`, delay: `${(i % 7) * 0.08}s`, color: COLORS[i % COLORS.length] }));

/** The level-up celebration: a card in the rewards corner, not a modal. Nothing behind it is blocked (the task
 * drawer stays usable), it leaves by itself after a few seconds, and "Dismiss" closes it at once. */
export function LevelUpToast({ level, onDismiss }: { level: number; onDismiss: () => void }) {
  return (
    <div className="xp-toast level-up-toast" role="status" aria-labelledby="lvl-title" data-testid="level-up">
      {BITS.map((b, i) => (
        <span key={i} className="confetti" style={{ left: b.left, animationDelay: b.delay, background: b.color }} aria-hidden />
      ))}
      <div className="xp-toast-head">
        <span className="celebrate-level" aria-hidden>
          {level}
        </span>
        <span className="xp-toast-text">
          <span className="eyebrow">Level up</span>
          <b id="lvl-title">You reached level {level}!</b>
          <span className="small muted">Real work, real progress. Keep the streak going.</span>
        </span>
        <button type="button" className="btn ghost icon sm xp-toast-close" aria-label="Dismiss" onClick={onDismiss}>
          <X size={14} />
        </button>
      </div>
    </div>
  );
}
