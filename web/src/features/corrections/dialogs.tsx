import { Dialog } from "radix-ui";
import { useState, type FormEvent, type ReactNode } from "react";
import { toast } from "sonner";
import { mapApiError, type FormSpec } from "../../components/forms";
import { useCorrectAward, useFlagAward, useResolveFlag } from "./api";

/** An API error split into the field it names (shown beside that field) and anything else (shown on top). */
export function splitError(e: unknown, fields: string[]): { field: Record<string, string>; form: string | null } {
  if (!e) return { field: {}, form: null };
  const mapped = mapApiError(e, Object.fromEntries(fields.map((f) => [f, {}])) as FormSpec<string>);
  return { field: mapped.fields as Record<string, string>, form: mapped.form };
}

/** A whole number from an input, or an error message. */
export function parseXp(raw: string): number | string {
  const v = raw.trim();
  if (!/^\d+$/.test(v)) return "Enter a whole number of XP, 0 or more";
  return Number(v);
}

function Shell({ open, onOpenChange, title, description, children, testId }: { open: boolean; onOpenChange: (o: boolean) => void; title: string; description: ReactNode; children: ReactNode; testId: string }) {
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog" data-testid={testId}>
          <Dialog.Title asChild>
            <h2>{title}</h2>
          </Dialog.Title>
          <Dialog.Description className="muted">{description}</Dialog.Description>
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

export function TextField({ id, label, name, error, placeholder, autoFocus }: { id: string; label: string; name: string; error?: string; placeholder?: string; autoFocus?: boolean }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea className="textarea" id={id} name={name} rows={3} maxLength={500} placeholder={placeholder} autoFocus={autoFocus} aria-invalid={!!error} aria-describedby={error ? `${id}-error` : undefined} />
      {error && (
        <span className="error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

export function XpField({ id, label, error, defaultValue, hint }: { id: string; label: string; error?: string; defaultValue?: number; hint?: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input className="input" id={id} name="xp" inputMode="numeric" defaultValue={defaultValue} aria-invalid={!!error} aria-describedby={error ? `${id}-error` : `${id}-hint`} />
      {error ? (
        <span className="error" id={`${id}-error`} role="alert">
          {error}
        </span>
      ) : (
        hint && (
          <span className="hint" id={`${id}-hint`}>
            {hint}
          </span>
        )
      )}
    </div>
  );
}

function Actions({ busy, submit }: { busy: boolean; submit: string }) {
  return (
    <div className="dialog-actions">
      <Dialog.Close asChild>
        <button className="btn" type="button">
          Cancel
        </button>
      </Dialog.Close>
      <button className="btn primary" type="submit" disabled={busy}>
        {submit}
      </button>
    </div>
  );
}

/** A member asks the workspace's admins to review an award. */
export function FlagDialog({ ledgerId, label, open, onOpenChange }: { ledgerId: number; label: string; open: boolean; onOpenChange: (o: boolean) => void }) {
  const flag = useFlagAward();
  const [local, setLocal] = useState<string | null>(null);
  const errors = splitError(flag.error, ["reason"]);
  const close = (o: boolean) => {
    onOpenChange(o);
    if (!o) {
      flag.reset();
      setLocal(null);
    }
  };
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const reason = String(new FormData(e.currentTarget).get("reason") ?? "").trim();
    if (!reason) return setLocal("Say what looks wrong");
    setLocal(null);
    flag.mutate({ ledgerId, reason }, { onSuccess: () => { toast.success("Flagged: an admin will review it"); close(false); } });
  };
  return (
    <Shell open={open} onOpenChange={close} title="Flag for review" description={<>Ask the workspace's admins to look at <b>{label}</b>. They can dismiss the flag or correct the award.</>} testId="flag-dialog">
      <form className="stack" style={{ marginTop: 16 }} onSubmit={submit} noValidate>
        {errors.form && <div className="form-error" role="alert">{errors.form}</div>}
        <TextField id="flag-reason" name="reason" label="Reason" placeholder="e.g. the same work was completed twice" error={local ?? errors.field.reason} autoFocus />
        <Actions busy={flag.isPending} submit="Send flag" />
      </form>
    </Shell>
  );
}

/** An admin sets an award's value: 0 to what it originally gave. */
export function CorrectDialog({ ledgerId, label, original, current, open, onOpenChange }: { ledgerId: number; label: string; original: number; current: number; open: boolean; onOpenChange: (o: boolean) => void }) {
  const correct = useCorrectAward();
  const [local, setLocal] = useState<Record<string, string>>({});
  const errors = splitError(correct.error, ["xp", "reason"]);
  const close = (o: boolean) => {
    onOpenChange(o);
    if (!o) {
      correct.reset();
      setLocal({});
    }
  };
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const xp = parseXp(String(f.get("xp") ?? ""));
    const reason = String(f.get("reason") ?? "").trim();
    const problems: Record<string, string> = {};
    if (typeof xp === "string") problems.xp = xp;
    if (!reason) problems.reason = "Say why: the person sees it in their history";
    setLocal(problems);
    correct.reset();
    if (typeof xp === "string" || !reason) return;
    correct.mutate({ ledgerId, xp, reason }, { onSuccess: (c) => { toast.success(`Corrected: ${c.previous_xp} → ${c.xp} XP`); close(false); } });
  };
  return (
    <Shell open={open} onOpenChange={close} title="Correct this award" description={<><b>{label}</b> gave {original} XP{current !== original ? `, now ${current} after corrections` : ""}. Set what it should be worth: from 0 up to {original}, never more.</>} testId="correct-dialog">
      <form className="stack" style={{ marginTop: 16 }} onSubmit={submit} noValidate>
        {errors.form && <div className="form-error" role="alert">{errors.form}</div>}
        <XpField id="correct-xp" label="New value (XP)" error={local.xp ?? errors.field.xp} defaultValue={current} hint={`0 reverses it; ${original} restores it`} />
        <TextField id="correct-reason" name="reason" label="Reason" placeholder="e.g. the estimate was padded after the fact" error={local.reason ?? errors.field.reason} />
        <Actions busy={correct.isPending} submit="Save correction" />
      </form>
    </Shell>
  );
}

/** An admin answers a flag: dismiss it, or correct the award through it. */
export function ResolveDialog({ flagId, label, original, current, initial, open, onOpenChange }: { flagId: number; label: string; original: number; current: number; initial: "dismiss" | "adjust"; open: boolean; onOpenChange: (o: boolean) => void }) {
  const resolve = useResolveFlag();
  const [action, setAction] = useState(initial);
  const [local, setLocal] = useState<Record<string, string>>({});
  const errors = splitError(resolve.error, ["xp", "note"]);
  const close = (o: boolean) => {
    onOpenChange(o);
    if (!o) {
      resolve.reset();
      setLocal({});
      setAction(initial);
    }
  };
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const note = String(f.get("note") ?? "").trim();
    const xp = action === "adjust" ? parseXp(String(f.get("xp") ?? "")) : undefined;
    const problems: Record<string, string> = {};
    if (typeof xp === "string") problems.xp = xp;
    if (!note) problems.note = "Leave a note for the person who flagged it";
    setLocal(problems);
    resolve.reset();
    if (typeof xp === "string" || !note) return;
    resolve.mutate({ flagId, action, xp, note }, { onSuccess: (r) => { toast.success(r.correction ? `Corrected: ${r.correction.previous_xp} → ${r.correction.xp} XP` : "Flag dismissed"); close(false); } });
  };
  return (
    <Shell open={open} onOpenChange={close} title="Resolve flag" description={<><b>{label}</b> gave {original} XP{current !== original ? `, now ${current}` : ""}.</>} testId="resolve-dialog">
      <form className="stack" style={{ marginTop: 16 }} onSubmit={submit} noValidate>
        {errors.form && <div className="form-error" role="alert">{errors.form}</div>}
        <fieldset className="row" style={{ border: 0, padding: 0, margin: 0, gap: 16 }}>
          <legend className="label">Decision</legend>
          <label className="row" style={{ gap: 6 }}>
            <input type="radio" name="action" value="dismiss" checked={action === "dismiss"} onChange={() => setAction("dismiss")} /> Dismiss: the award stands
          </label>
          <label className="row" style={{ gap: 6 }}>
            <input type="radio" name="action" value="adjust" checked={action === "adjust"} onChange={() => setAction("adjust")} /> Adjust the award
          </label>
        </fieldset>
        {action === "adjust" && <XpField id="resolve-xp" label="New value (XP)" error={local.xp ?? errors.field.xp} defaultValue={current} hint={`From 0 up to ${original}`} />}
        <TextField id="resolve-note" name="note" label="Note" placeholder="What you decided and why" error={local.note ?? errors.field.note} />
        <Actions busy={resolve.isPending} submit={action === "adjust" ? "Correct and resolve" : "Dismiss flag"} />
      </form>
    </Shell>
  );
}
