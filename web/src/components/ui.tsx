import { Switch as RSwitch } from "radix-ui";
import { AlertTriangle, ArrowDown, ArrowUp, ChevronsUp, Minus, Equal } from "lucide-react";
import type { ReactNode } from "react";
import type { Priority } from "../api/client";

const PALETTE = ["#5b47e0", "#0369a1", "#047857", "#b45309", "#b91c1c", "#be185d", "#7c3aed", "#0f766e", "#c2410c", "#1d4ed8"];

export function colorFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "?";
  return ((parts[0][0] ?? "") + (parts.length > 1 ? (parts[parts.length - 1][0] ?? "") : "")).toUpperCase();
}

export function Avatar({ id, name, size }: { id: string; name: string; size?: "sm" | "lg" }) {
  return (
    <span className={`avatar ${size ?? ""}`} style={{ background: colorFor(id) }} title={name} aria-label={name} role="img">
      {initials(name)}
    </span>
  );
}

export function AvatarStack({ people, max = 3, size }: { people: { id: string; name: string }[]; max?: number; size?: "sm" }) {
  const shown = people.slice(0, max);
  return (
    <span className="avatar-stack">
      {shown.map((p) => (
        <Avatar key={p.id} id={p.id} name={p.name} size={size} />
      ))}
      {people.length > max && (
        <span className={`avatar ${size ?? ""}`} style={{ background: "var(--surface-3)", color: "var(--text-2)" }}>
          +{people.length - max}
        </span>
      )}
    </span>
  );
}

export const PRIORITIES: Priority[] = ["none", "low", "medium", "high", "urgent"];
export const PRIORITY_LABEL: Record<Priority, string> = { none: "No priority", low: "Low", medium: "Medium", high: "High", urgent: "Urgent" };

export function PriorityIcon({ p, withLabel }: { p: Priority; withLabel?: boolean }) {
  const Icon = { urgent: AlertTriangle, high: ChevronsUp, medium: Equal, low: ArrowDown, none: Minus }[p] ?? ArrowUp;
  if (p === "none" && !withLabel) return null;
  return (
    <span className={`prio prio-${p}`} title={PRIORITY_LABEL[p]}>
      <Icon size={13} aria-hidden strokeWidth={2.5} />
      {withLabel ? PRIORITY_LABEL[p] : <span className="sr-only">{PRIORITY_LABEL[p]}</span>}
    </span>
  );
}

export function Switch({ checked, onChange, label, id, disabled }: { checked: boolean; onChange: (v: boolean) => void; label: string; id?: string; disabled?: boolean }) {
  return (
    <RSwitch.Root className="switch" checked={checked} onCheckedChange={onChange} aria-label={label} id={id} disabled={disabled}>
      <RSwitch.Thumb className="switch-thumb" />
    </RSwitch.Root>
  );
}

export function Empty({ icon, title, children }: { icon?: ReactNode; title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      {icon}
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <div className="empty" role="status" aria-live="polite">
      <span className="muted">{label}…</span>
    </div>
  );
}

export function BrandMark({ size = 28 }: { size?: number }) {
  return (
    <span className="brand-mark" style={{ width: size, height: size }} aria-hidden>
      <svg width={size * 0.58} height={size * 0.58} viewBox="0 0 24 24" fill="none">
        <path d="M5 12.5l4.5 4.5L19 7.5" stroke="white" strokeWidth="3" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    </span>
  );
}

export function relativeTime(iso: string, now = Date.now()): string {
  const t = new Date(iso).getTime();
  const s = Math.round((now - t) / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h}h ago`;
  const d = Math.round(h / 24);
  if (d < 7) return `${d}d ago`;
  return new Date(iso).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

export function formatDue(date: string): { text: string; overdue: boolean } {
  const today = new Date().toISOString().slice(0, 10);
  const d = new Date(date + "T00:00:00");
  return { text: d.toLocaleDateString(undefined, { month: "short", day: "numeric" }), overdue: date < today };
}
