import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";
import { toast } from "sonner";
import { api, ApiError, errorMessage, unwrap, type Workspace } from "../../api/client";
import { qk, useScoring, useWorkspaces } from "../../api/queries";
import { useHeaderTitle } from "../workspaces/AppLayout";
import { GamificationSwitch } from "./GamificationSwitch";
import { RenameWorkspaceForm } from "./RenameWorkspace";
import { ScoringWeightsForm } from "./ScoringWeightsForm";

export function WorkspaceSettingsPage() {
  const { ws = "" } = useParams();
  const qc = useQueryClient();
  const workspaces = useWorkspaces();
  const current = workspaces.data?.find((w) => w.id === ws);
  const scoring = useScoring(ws);
  useHeaderTitle("Settings");

  const patchWs = useMutation({
    mutationFn: (body: { name?: string; gamification_enabled?: boolean }) => unwrap(api.PATCH("/api/v1/workspaces/{workspace_id}", { params: { path: { workspace_id: ws } }, body })),
    onMutate: (body) => {
      const prev = qc.getQueryData<Workspace[]>(qk.workspaces);
      qc.setQueryData<Workspace[]>(qk.workspaces, (old) => old?.map((w) => (w.id === ws ? { ...w, ...body } : w)));
      return { prev };
    },
    onError: (e, _b, ctx) => {
      qc.setQueryData(qk.workspaces, ctx?.prev);
      if (!(e instanceof ApiError && e.fields.length > 0)) toast.error(`Couldn't save: ${errorMessage(e)}`); // field problems show beside the field
    },
    onSuccess: () => toast.success("Workspace saved"),
  });
  if (current && current.role === "member")
    return (
      <div className="page">
        <div className="empty">
          <h2>Only admins can change workspace settings</h2>
        </div>
      </div>
    );

  return (
    <div className="page" style={{ maxWidth: 1100 }}>
      <div className="page-head">
        <div>
          <h1>Workspace settings</h1>
          <p>Name, gamification and how XP is scored in {current?.name}.</p>
        </div>
      </div>
      <div className="stack-lg">
        <section className="panel panel-pad stack" aria-labelledby="gen-h">
          <h2 id="gen-h">General</h2>
          <RenameWorkspaceForm name={current?.name} onRename={(name, onError) => patchWs.mutate({ name }, { onError })} />
          <div className="row" style={{ justifyContent: "space-between", gap: 16 }}>
            <label htmlFor="gam-toggle">
              <b>Gamification</b>
              <span className="small muted" style={{ display: "block" }}>
                XP, levels, streaks, achievements and leaderboards for everyone in this workspace. Work keeps being recorded either way.
              </span>
            </label>
            <GamificationSwitch workspaceName={current?.name ?? "this workspace"} on={!!current?.gamification_enabled} onConfirm={(v) => patchWs.mutate({ gamification_enabled: v })} />
          </div>
        </section>
        {scoring.data ? (
          <ScoringWeightsForm ws={ws} scoring={scoring.data} />
        ) : (
          <section className="panel panel-pad">
            <p className="muted">{scoring.isError ? errorMessage(scoring.error) : "Loading…"}</p>
          </section>
        )}
      </div>
    </div>
  );
}
