import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, errorMessage, unwrap, type Workspace } from "../../api/client";
import { qk, useWorkspaces } from "../../api/queries";
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

export function CreateWorkspaceForm({ onDone }: { onDone: (w: Workspace) => void }) {
  const [gamified, setGamified] = useState(true);
  const create = useCreateWorkspace(onDone);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget).get("name") ?? "").trim();
    if (name) create.mutate({ name, gamification_enabled: gamified });
  };
  return (
    <form className="stack" onSubmit={onSubmit}>
      {create.isError && <div className="form-error" role="alert">{errorMessage(create.error)}</div>}
      <div className="field">
        <label htmlFor="ws-name">Workspace name</label>
        <input className="input" id="ws-name" name="name" placeholder="Acme Inc." required maxLength={100} autoFocus />
        <span className="hint">Usually your company or team name.</span>
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
