import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, unwrap, type Workspace } from "../../api/client";
import { limits } from "../../api/limits";
import { qk, useWorkspaces } from "../../api/queries";
import { FieldError, FormError, formValues, useFormErrors, type FormSpec } from "../../components/forms";
import { BrandMark, Switch } from "../../components/ui";

export function useCreateWorkspace(onDone: (w: Workspace) => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; gamification_enabled: boolean }) =>
      unwrap(api.POST("/api/v1/workspaces", { body: { ...body, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" } })),
    onSuccess: (w) => {
      qc.setQueryData<Workspace[]>(qk.workspaces, (old) => [...(old ?? []), w]);
      onDone(w);
    },
  });
}

const WORKSPACE_SPEC: FormSpec<"name"> = {
  name: { required: "Enter a workspace name", limits: limits.WorkspaceCreate.name },
};

export function CreateWorkspaceForm({ onDone }: { onDone: (w: Workspace) => void }) {
  const [gamified, setGamified] = useState(true);
  const form = useFormErrors(WORKSPACE_SPEC);
  const create = useCreateWorkspace(onDone);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const values = formValues(e.currentTarget, ["name"] as const);
    // A name of only spaces is refused here, beside the field, as the server would (it strips names).
    if (form.validate(values, e.currentTarget)) create.mutate({ name: values.name.trim(), gamification_enabled: gamified }, { onError: form.fromError });
  };
  return (
    <form className="stack" onSubmit={onSubmit} noValidate>
      <FormError message={form.formError} />
      <div className="field">
        <label htmlFor="ws-name">Workspace name</label>
        <input className="input" id="ws-name" placeholder="Acme Inc." maxLength={limits.WorkspaceCreate.name.maxLength} autoFocus {...form.fieldProps("name", form.errors.name ? undefined : "ws-name-hint")} />
        <FieldError {...form.errorProps("name")} />
        {!form.errors.name && (
          <span className="hint" id="ws-name-hint">
            Usually your company or team name.
          </span>
        )}
      </div>
      <label className="row" htmlFor="ws-gamified" style={{ justifyContent: "space-between" }}>
        <span>
          <b>XP, levels and streaks</b>
          <br />
          <span className="muted small">Reward finished work. You can switch it off later.</span>
        </span>
        <Switch id="ws-gamified" checked={gamified} onChange={setGamified} label="Gamification" />
      </label>
      <button className="btn primary block" type="submit" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create workspace"}
      </button>
    </form>
  );
}

export function CreateWorkspacePage() {
  const navigate = useNavigate();
  const ws = useWorkspaces();
  return (
    <div className="auth-main" style={{ minHeight: "100%" }}>
      <div className="auth-card stack-lg panel panel-pad" style={{ maxWidth: 440 }}>
        <span className="brand">
          <BrandMark /> MagicTask
        </span>
        <div>
          <h1>Create a workspace</h1>
          <p className="muted">A workspace holds your team's projects, boards and leaderboard.</p>
        </div>
        <CreateWorkspaceForm onDone={(w) => navigate(`/w/${w.id}`)} />
        {(ws.data?.length ?? 0) > 0 && (
          <Link to="/" className="small">
            ← Back to my workspaces
          </Link>
        )}
      </div>
    </div>
  );
}
