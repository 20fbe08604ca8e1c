import { Flag as FlagIcon, PencilLine, Sparkles, Undo2 } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";
import type { LedgerItem } from "../../api/client";
import { useMe, useWorkspaces } from "../../api/queries";
import { relativeTime } from "../../components/ui";
import { eventLabel, ExplanationView, type Explanation } from "../gamification/XpToast";
import { taskHref } from "../projects/ActivityLineView";
import type { Correction, Flag } from "./api";
import { CorrectDialog, FlagDialog } from "./dialogs";

const signed = (n: number) => `${n > 0 ? "+" : ""}${n}`;

const FLAG_LABEL: Record<Flag["status"], string> = { open: "Flagged for review", dismissed: "Flag dismissed", adjusted: "Adjusted after review" };

/** What the viewer may do with an award: flag it (a member of its workspace), correct it (an admin there). */
export interface Abilities {
  canFlag: (it: LedgerItem) => boolean;
  canCorrect: (it: LedgerItem) => boolean;
}

export function useAbilities(): Abilities {
  const me = useMe();
  const workspaces = useWorkspaces();
  const role = (ws: string | null) => workspaces.data?.find((w) => w.id === ws)?.role;
  const reviewable = (it: LedgerItem) => !!it.workspace_id && it.corrects_id == null && it.event_type !== "xp.adjusted";
  return {
    canFlag: (it) => reviewable(it) && !!role(it.workspace_id) && !it.flags.some((f) => f.status === "open" && f.flagged_by?.id === me.data?.id),
    canCorrect: (it) => reviewable(it) && it.xp > 0 && (role(it.workspace_id) === "admin" || role(it.workspace_id) === "owner"),
  };
}

function CorrectionLine({ c }: { c: Correction }) {
  return (
    <li data-testid="correction">
      <span>
        <b>
          {c.previous_xp} → {c.xp} XP
        </b>{" "}
        by {c.created_by?.name ?? "a former admin"} · {relativeTime(c.created_at)}
        <span className="small muted" style={{ display: "block" }}>
          “{c.reason}”
        </span>
      </span>
    </li>
  );
}

function FlagLine({ f }: { f: Flag }) {
  return (
    <li data-testid="flag">
      <span>
        <b>{FLAG_LABEL[f.status]}</b> · {f.flagged_by?.name ?? "a former member"} · {relativeTime(f.created_at)}
        <span className="small muted" style={{ display: "block" }}>
          “{f.reason}”{f.resolution ? <> — {f.resolved_by?.name ?? "an admin"}: “{f.resolution}”</> : null}
        </span>
      </span>
    </li>
  );
}

/** ": WEB-12 Fix login", linked to the task; said plainly when the task is gone or out of the viewer's reach. */
function TaskName({ it }: { it: LedgerItem }) {
  if (it.task && it.workspace_id) {
    return (
      <>
        {": "}
        <Link to={taskHref(it.workspace_id, it.task.project_id, it.task.id)} className="activity-task" data-testid="xp-task">
          {it.task.key} {it.task.title}
        </Link>
      </>
    );
  }
  return it.task_id ? <span className="muted">: a task that is no longer available</span> : null;
}

/** One award: amount (struck through when corrected), review chips, and when opened the explanation, the
 * corrections and flags, and the actions the viewer may take. */
export function XpRow({ it, open, onToggle, abilities }: { it: LedgerItem; open: boolean; onToggle: () => void; abilities: Abilities }) {
  const [dialog, setDialog] = useState<"flag" | "correct" | null>(null);
  const isCorrection = it.corrects_id != null;
  const label = isCorrection ? `Correction of award #${it.corrects_id}` : eventLabel(it.event_type, it.role);
  const corrected = it.corrected_xp;
  const openFlags = it.flags.filter((f) => f.status === "open").length;
  return (
    <div data-testid="xp-row" data-ledger-id={it.id}>
      {/* The label is the toggle; the task's name beside it is a link of its own (no link inside a button).
          A click anywhere else on the row toggles too, for the mouse. */}
      <div className="ledger-row toggles" onClick={(e) => { if (!(e.target as HTMLElement).closest("a, button")) onToggle(); }}>
        {isCorrection ? <Undo2 size={16} color="var(--muted)" aria-hidden /> : <Sparkles size={16} color="var(--xp)" aria-hidden />}
        <span style={{ flex: 1, minWidth: 0 }}>
          <button className="ledger-toggle" onClick={onToggle} aria-expanded={open}>
            {label}
          </button>
          {!isCorrection && <TaskName it={it} />}
          <span className="small muted" style={{ display: "block" }}>
            {new Date(it.occurred_at).toLocaleString()}
            {corrected != null && <span className="chip" style={{ marginLeft: 8 }} data-testid="review-chip">Corrected</span>}
            {openFlags > 0 && <span className="chip" style={{ marginLeft: 8 }} data-testid="review-chip">Flagged for review</span>}
          </span>
        </span>
        <span className={`xp-amount ${(corrected ?? it.xp) < 0 ? "neg" : ""}`} data-testid="xp-amount">
          {corrected != null && (
            <s className="muted" style={{ marginRight: 6, fontWeight: 500 }} aria-label={`originally ${it.xp} XP`}>
              {signed(it.xp)}
            </s>
          )}
          {signed(corrected ?? it.xp)} XP
        </span>
      </div>
      {open && (
        <div style={{ padding: "0 16px 12px 42px" }} className="stack">
          <ExplanationView e={it.explanation as Explanation} />
          {it.workspace_id && it.board_xp !== it.xp && <p className="small muted">On this workspace's board: {signed(it.board_xp)} XP</p>}
          {it.corrections.length > 0 && (
            <section aria-label="Corrections" className="explanation">
              <ul>{it.corrections.map((c) => <CorrectionLine key={c.id} c={c} />)}</ul>
            </section>
          )}
          {it.flags.length > 0 && (
            <section aria-label="Flags" className="explanation">
              <ul>{it.flags.map((f) => <FlagLine key={f.id} f={f} />)}</ul>
            </section>
          )}
          {(abilities.canFlag(it) || abilities.canCorrect(it)) && (
            <div className="row">
              {abilities.canFlag(it) && (
                <button className="btn sm" onClick={() => setDialog("flag")}>
                  <FlagIcon size={14} /> Flag for review
                </button>
              )}
              {abilities.canCorrect(it) && (
                <button className="btn sm" onClick={() => setDialog("correct")}>
                  <PencilLine size={14} /> Correct
                </button>
              )}
            </div>
          )}
          <FlagDialog ledgerId={it.id} label={label} open={dialog === "flag"} onOpenChange={(o) => setDialog(o ? "flag" : null)} />
          <CorrectDialog ledgerId={it.id} label={label} original={it.xp} current={corrected ?? it.xp} open={dialog === "correct"} onOpenChange={(o) => setDialog(o ? "correct" : null)} />
        </div>
      )}
    </div>
  );
}

/** Events recorded for the activity log that never earn anything: a ledger row of theirs (0 XP) is noise.
 * `xp.adjusted` earns its admin nothing either: only the recipient's row (with `corrects_id`) counts. */
const NEVER_SCORED = new Set(["xp.flagged", "xp.flag_resolved", "xp.adjusted"]);

/** "Where the XP came from": a person's awards, newest first, with their corrections and flags. */
export function XpHistoryList({ items, limit = 50, empty = "No XP yet." }: { items: LedgerItem[]; limit?: number; empty?: string }) {
  const [openRow, setOpenRow] = useState<number | null>(null);
  const abilities = useAbilities();
  const shown = items.filter((it) => !(NEVER_SCORED.has(it.event_type) && it.xp === 0 && it.corrects_id == null));
  return (
    <>
      {shown.slice(0, limit).map((it) => (
        <XpRow key={it.id} it={it} open={openRow === it.id} onToggle={() => setOpenRow(openRow === it.id ? null : it.id)} abilities={abilities} />
      ))}
      {shown.length === 0 && (
        <p className="muted" style={{ padding: 16 }}>
          {empty}
        </p>
      )}
    </>
  );
}
