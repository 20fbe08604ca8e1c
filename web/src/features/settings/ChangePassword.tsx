import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { toast } from "sonner";
import { api, ApiError, unwrap } from "../../api/client";
import { qk } from "../../api/queries";

const MIN_LENGTH = 8; // the server's rule (accounts/schemas.py)

/** Account settings: change the password (the current one is required); other sessions are signed out. */
export function ChangePasswordSection() {
  const qc = useQueryClient();
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) => unwrap(api.POST("/api/v1/me/password", { body })),
    onSuccess: () => {
      toast.success("Password changed. Every other session was signed out.");
      void qc.invalidateQueries({ queryKey: qk.sessions });
    },
  });
  const error = change.error instanceof ApiError ? change.error : null;
  const fieldError = (name: string) => (error?.field === name ? error.message : null);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const next = String(f.get("new_password"));
    if (next !== String(f.get("confirm_password"))) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    change.mutate({ current_password: String(f.get("current_password")), new_password: next }, { onSuccess: () => form.reset() });
  };
  return (
    <form className="panel panel-pad stack" onSubmit={onSubmit} aria-labelledby="pw-h" data-testid="change-password" noValidate>
      <h2 id="pw-h">Password</h2>
      {error && !error.field && (
        <div className="form-error" role="alert">
          {error.message}
        </div>
      )}
      <div className="field">
        <label htmlFor="current-password">Current password</label>
        <input className="input" id="current-password" name="current_password" type="password" autoComplete="current-password" required aria-invalid={!!fieldError("current_password")} />
        {fieldError("current_password") && <span className="error" role="alert">{fieldError("current_password")}</span>}
      </div>
      <div className="field">
        <label htmlFor="new-password">New password</label>
        <input className="input" id="new-password" name="new_password" type="password" autoComplete="new-password" required minLength={MIN_LENGTH} aria-invalid={!!fieldError("new_password")} aria-describedby="new-pw-hint" />
        {fieldError("new_password") ? <span className="error" role="alert">{fieldError("new_password")}</span> : <span className="hint" id="new-pw-hint">At least {MIN_LENGTH} characters. Your other sessions will be signed out.</span>}
      </div>
      <div className="field">
        <label htmlFor="confirm-password">Confirm new password</label>
        <input className="input" id="confirm-password" name="confirm_password" type="password" autoComplete="new-password" required aria-invalid={mismatch} />
        {mismatch && <span className="error" role="alert">The two new passwords don't match</span>}
      </div>
      <div>
        <button className="btn primary" type="submit" disabled={change.isPending}>
          {change.isPending ? "Changing…" : "Change password"}
        </button>
      </div>
    </form>
  );
}
