import { useMutation, useQueryClient } from "@tanstack/react-query";
import { RotateCcw, Save } from "lucide-react";
import { useEffect, useState } from "react";
import { useParams } from "react-router";
import { toast } from "sonner";
import { api, ApiError, errorMessage, unwrap, type ScoringWeights, type Workspace } from "../../api/client";
import { RenameWorkspaceForm } from "./RenameWorkspace";
import { qk, useScoring, useWorkspaces } from "../../api/queries";
import { Switch } from "../../components/ui";
import { humanize } from "../gamification/XpToast";
import { useHeaderTitle } from "../workspaces/AppLayout";

// Only the board's shape is tunable: the fair-play limits (caps, decays, instant completion, settle time) are
// platform rules, and everyone's profile XP is priced by the standard model whatever is set here.
const GROUPS: { title: string; hint: string; keys: (keyof ScoringWeights)[] }[] = [
  { title: "Base XP per action", hint: "What each action is worth on this workspace's board before multipliers.", keys: ["task_completed", "task_closed_for_others", "task_created", "task_updated", "task_moved", "comment_created", "mention_given", "mention_received", "reaction_given", "reaction_received", "invite_accepted", "first_action_bonus"] },
  { title: "Completion multipliers", hint: "How estimates and due dates change a completion's board XP.", keys: ["estimate_step", "estimate_cap", "on_time_multiplier"] },
  { title: "Streaks", hint: "The daily streak multiplier on this board.", keys: ["streak_step", "streak_cap"] },
];
const PRIORITY_KEYS = ["none", "low", "medium", "high", "urgent"] as const;

export function WorkspaceSettingsPage() {
  const { ws = "" } = useParams();
  const qc = useQueryClient();
  const workspaces = useWorkspaces();
  const current = workspaces.data?.find((w) => w.id === ws);
  const scoring = useScoring(ws);
  const [weights, setWeights] = useState<ScoringWeights | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  useHeaderTitle("Settings");
  useEffect(() => {
    if (scoring.data) setWeights(scoring.data.weights);
  }, [scoring.data]);

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
  const saveWeights = useMutation({
    mutationFn: (w: ScoringWeights) => unwrap(api.PUT("/api/v1/workspaces/{workspace_id}/scoring", { params: { path: { workspace_id: ws } }, body: w })),
    onSuccess: (out) => {
      qc.setQueryData(qk.scoring(ws), out);
      setFieldError(null);
      toast.success(`Scoring saved (version ${out.version})`);
    },
    onError: (e) => {
      setFieldError(e instanceof ApiError ? e.field : null);
      toast.error(`Couldn't save the weights: ${errorMessage(e)}`);
    },
  });

  if (current && current.role === "member")
    return (
      <div className="page">
        <div className="empty">
          <h2>Only admins can change workspace settings</h2>
        </div>
      </div>
    );
  const num = (k: keyof ScoringWeights) => (weights?.[k] as number | undefined) ?? "";
  const setNum = (k: keyof ScoringWeights, v: string) => setWeights((w) => ({ ...(w ?? {}), [k]: v === "" ? undefined : Number(v) }));

  return (
    <div className="page" style={{ maxWidth: 860 }}>
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
            <Switch id="gam-toggle" checked={!!current?.gamification_enabled} onChange={(v) => patchWs.mutate({ gamification_enabled: v })} label="Gamification" />
          </div>
        </section>
        <form
          className="panel panel-pad stack-lg"
          aria-labelledby="weights-h"
          onSubmit={(e) => {
            e.preventDefault();
            if (weights) saveWeights.mutate(weights);
          }}
        >
          <div className="row wrap">
            <div>
              <h2 id="weights-h">Scoring weights</h2>
              <p className="small muted">Version {scoring.data?.version ?? "—"}. These weights shape this workspace's own board; everyone's profile XP follows the standard model, and the fair-play limits (daily caps, instant completions, repeats) are the same everywhere. Changes apply to new actions; past awards keep their explanation.</p>
            </div>
            <span className="spacer" />
            <button type="button" className="btn sm" onClick={() => scoring.data && setWeights({ ...scoring.data.defaults, version: scoring.data.weights.version })}>
              <RotateCcw size={14} /> Defaults
            </button>
            <button type="submit" className="btn primary sm" disabled={!weights || saveWeights.isPending}>
              <Save size={14} /> Save weights
            </button>
          </div>
          {!weights ? (
            <p className="muted">{scoring.isError ? errorMessage(scoring.error) : "Loading…"}</p>
          ) : (
            <>
              {GROUPS.map((g) => (
                <fieldset key={g.title} style={{ border: 0, padding: 0, margin: 0 }}>
                  <legend className="label" style={{ marginBottom: 2 }}>
                    {g.title}
                  </legend>
                  <p className="small muted" style={{ marginBottom: 10 }}>
                    {g.hint}
                  </p>
                  <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(180px, 1fr))", gap: 10 }}>
                    {g.keys.map((k) => (
                      <div className="field" key={k}>
                        <label htmlFor={`w-${k}`} className="small">
                          {humanize(k)}
                        </label>
                        <input className="input" id={`w-${k}`} type="number" step="any" value={num(k)} onChange={(e) => setNum(k, e.target.value)} aria-invalid={fieldError === k} />
                        {fieldError === k && <span className="error">Out of range</span>}
                      </div>
                    ))}
                  </div>
                </fieldset>
              ))}
              <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
                <legend className="label">Priority multipliers</legend>
                <p className="small muted" style={{ marginBottom: 10 }}>
                  Completion XP × this factor. Must not decrease from none to urgent.
                </p>
                <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(120px, 1fr))", gap: 10 }}>
                  {PRIORITY_KEYS.map((p) => (
                    <div className="field" key={p}>
                      <label htmlFor={`wp-${p}`} className="small">
                        {humanize(p)}
                      </label>
                      <input className="input" id={`wp-${p}`} type="number" step="0.05" value={weights.priority?.[p] ?? ""} onChange={(e) => setWeights((w) => ({ ...(w ?? {}), priority: { ...(w?.priority ?? {}), [p]: Number(e.target.value) } }))} aria-invalid={fieldError === `priority.${p}`} />
                    </div>
                  ))}
                </div>
              </fieldset>
            </>
          )}
        </form>
      </div>
    </div>
  );
}
