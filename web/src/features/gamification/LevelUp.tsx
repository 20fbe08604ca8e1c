import { useEffect, useMemo } from "react";
import { celebration } from "./rewards";

const COLORS = ["#f59e0b", "#f97316", "#8b7cff", "#10b981", "#ec4899", "#0ea5e9"];

export function LevelUpCelebration() {
  const c = celebration.use();
  useEffect(() => {
    if (!c) return;
    const t = setTimeout(() => celebration.set(null), 6000);
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && celebration.set(null);
    window.addEventListener("keydown", onKey);
    return () => {
      clearTimeout(t);
      window.removeEventListener("keydown", onKey);
    };
  }, [c]);
  const bits = useMemo(
    () => Array.from({ length: 36 }, (_, i) => ({ left: `${(i * 97) % 100}%`, delay: `${(i % 9) * 0.07}s`, color: COLORS[i % COLORS.length], rot: (i * 47) % 360 })),
    [],
  );
  if (!c) return null;
  return (
    <div className="celebrate-overlay" onClick={() => celebration.set(null)} data-testid="level-up">
      <div className="celebrate-card" role="alertdialog" aria-modal="true" aria-labelledby="lvl-title" onClick={(e) => e.stopPropagation()}>
        {bits.map((b, i) => (
          <span key={i} className="confetti" style={{ left: b.left, animationDelay: b.delay, background: b.color, transform: `rotate(${b.rot}deg)` }} />
        ))}
        <span className="eyebrow">Level up</span>
        <div className="celebrate-level">{c.level}</div>
        <h2 id="lvl-title">You reached level {c.level}!</h2>
        <p className="muted" style={{ marginTop: 6 }}>
          Real work, real progress. Keep the streak going.
        </p>
        <button className="btn primary" style={{ marginTop: 18 }} onClick={() => celebration.set(null)} autoFocus>
          Keep going
        </button>
      </div>
    </div>
  );
}
