import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { RotateCcw, Save } from "lucide-react";
import { useEffect, useMemo, useState } from "react";
import { toast } from "sonner";
import { api, ApiError, errorMessage, unwrap, type Schemas, type ScoringWeights } from "../../api/client";
import { qk } from "../../api/queries";
import { FieldError } from "../../components/forms";
import { ALL_FIELDS, localErrors, PRIORITY_FIELDS, SECTIONS, serverErrors, valueOf, withValue, type FieldErrors, type FieldInfo } from "./weightsFields";

type Scoring = Schemas["ScoringOut"];
type Preview = Schemas["ScoringPreviewOut"];

function WeightField({ f, draft, errors, onChange }: { f: FieldInfo; draft: Partial<ScoringWeights>; errors: FieldErrors; onChange: (id: string, v: number | undefined) => void }) {
  const id = `w-${f.id.replace(".", "-")}`;
  const v = valueOf(draft, f.id);
  const error = errors[f.id];
  return (
    <div className="field weight-field">
      <label htmlFor={id}>{f.label}</label>
      <input
        className="input"
        id={id}
        type="number"
        inputMode="decimal"
        step={f.whole ? 1 : 0.05}
        value={v === undefined || Number.isNaN(v) ? "" : v}
        onChange={(e) => onChange(f.id, e.target.value === "" ? undefined : Number(e.target.value))}
        aria-invalid={!!error}
        aria-describedby={`${id}-help${error ? ` ${id}-error` : ""}`}
      />
      <span className="hint" id={`${id}-help`}>
        {f.help}
      </span>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

/** What typical actions earn with the saved weights and with the draft, from the server's scoring kernel. */
function PreviewTable({ preview, stale }: { preview?: Preview; stale: boolean }) {
  if (!preview) return <p className="muted small">Working out examples…</p>;
  return (
    <table className="weights-preview" data-testid="weights-preview" aria-busy={stale}>
      <caption className="sr-only">Board XP for typical actions, now and with your changes</caption>
      <thead>
        <tr>
          <th scope="col">Action</th>
          <th scope="col">Now</th>
          <th scope="col">With changes</th>
        </tr>
      </thead>
      <tbody>
        {preview.examples.map((e) => {
          const delta = e.draft_xp - e.current_xp;
          return (
            <tr key={e.key} data-example={e.key} className={delta ? "changed" : undefined}>
              <th scope="row">{e.label}</th>
              <td>{e.current_xp} XP</td>
              <td data-testid="draft-xp">
                <b>{e.draft_xp} XP</b>
                {delta !== 0 && <span className={`delta ${delta > 0 ? "up" : "down"}`}>{delta > 0 ? `+${delta}` : `−${-delta}`}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Whether the draft is exactly a preset (its version aside): the preset's button then shows as chosen. */
function sameWeights(a: Partial<ScoringWeights>, b: ScoringWeights): boolean {
  return ALL_FIELDS.every((f) => valueOf(a, f.id) === valueOf(b, f.id));
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function ScoringWeightsForm({ ws, scoring }: { ws: string; scoring: Scoring }) {
  const qc = useQueryClient();
  const [draft, setDraft] = useState<Partial<ScoringWeights>>(scoring.weights);
  const [saveErrors, setSaveErrors] = useState<FieldErrors>({});
  useEffect(() => setDraft(scoring.weights), [scoring.weights]);

  const local = useMemo(() => localErrors(draft), [draft]);
  const debounced = useDebounced(draft, 300);
  const preview = useQuery({
    queryKey: ["scoring-preview", ws, debounced],
    queryFn: () => unwrap(api.POST("/api/v1/workspaces/{workspace_id}/scoring/preview", { params: { path: { workspace_id: ws } }, body: debounced as ScoringWeights })),
    // Asked even while a field is empty (JSON leaves it out): the server then names every other bad field at
    // once; the table itself waits until nothing is wrong.
    placeholderData: (prev) => prev,
    retry: false,
    staleTime: 60_000,
  });
  const previewErrors = preview.error instanceof ApiError && preview.error.status === 422 ? serverErrors(preview.error.body) : {};
  const errors: FieldErrors = { ...saveErrors, ...previewErrors, ...local };
  const count = Object.keys(errors).length;

  const save = useMutation({
    mutationFn: (w: ScoringWeights) => unwrap(api.PUT("/api/v1/workspaces/{workspace_id}/scoring", { params: { path: { workspace_id: ws } }, body: w })),
    onSuccess: (out) => {
      qc.setQueryData(qk.scoring(ws), out);
      setSaveErrors({});
      toast.success(`Scoring saved (version ${out.version})`);
    },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 422) setSaveErrors(serverErrors(e.body));
      else toast.error(`Couldn't save the weights: ${errorMessage(e)}`);
    },
  });
  const change = (id: string, v: number | undefined) => {
    setDraft((d) => withValue(d, id, v));
    setSaveErrors((e) => {
      const { [id]: _gone, ...rest } = e;
      return rest;
    });
  };
  const fill = (w: ScoringWeights) => {
    setDraft({ ...w, version: scoring.weights.version });
    setSaveErrors({});
  };

  return (
    <form
      className="panel panel-pad stack-lg"
      aria-labelledby="weights-h"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (count === 0) save.mutate(draft as ScoringWeights);
      }}
    >
      <div className="row wrap">
        <div>
          <h2 id="weights-h">Scoring weights</h2>
          <p className="small muted">
            Version {scoring.version}. These weights shape this workspace's own board; everyone's profile XP follows the standard model, and the fair-play limits (daily caps, instant completions, repeats) are the same everywhere. Changes apply to new actions; past awards keep their explanation.
          </p>
        </div>
      </div>
      <div className="stack" role="group" aria-labelledby="presets-h">
        <h3 id="presets-h">Start from a preset</h3>
        <div className="preset-row">
          {(scoring.presets ?? []).map((p) => (
            <button key={p.key} type="button" className="btn preset" aria-pressed={sameWeights(draft, p.weights)} onClick={() => fill(p.weights)} data-testid={`preset-${p.key}`}>
              <b>{p.name}</b>
              <span className="small muted">{p.description}</span>
            </button>
          ))}
        </div>
        <p className="small muted">A preset fills the form below; nothing changes until you save.</p>
      </div>
      <div className="weights-layout">
        <div className="stack-lg">
          {SECTIONS.map((s) => (
            <section key={s.id} className="weights-section" aria-labelledby={`ws-${s.id}`}>
              <h3 id={`ws-${s.id}`}>{s.title}</h3>
              <p className="small muted">{s.intro}</p>
              <div className="weights-grid">
                {s.fields.map((f) => (
                  <WeightField key={f.id} f={f} draft={draft} errors={errors} onChange={change} />
                ))}
              </div>
              {s.priorities && (
                <fieldset className="weights-priorities" aria-describedby="prio-help">
                  <legend className="label">Priority boosts</legend>
                  <p className="hint small muted" id="prio-help">
                    A completion's XP is multiplied by its priority's factor. Keep them rising from no priority to urgent.
                  </p>
                  <FieldError id="prio-error" message={errors["priority"]} />
                  <div className="weights-grid narrow">
                    {PRIORITY_FIELDS.map((f) => (
                      <WeightField key={f.id} f={f} draft={draft} errors={errors} onChange={change} />
                    ))}
                  </div>
                </fieldset>
              )}
            </section>
          ))}
        </div>
        <aside className="weights-aside" aria-labelledby="preview-h">
          <h3 id="preview-h">What this earns</h3>
          <p className="small muted">Typical actions on this board, priced by the same scoring as real awards. Profile XP stays the same.</p>
          {count > 0 ? <p className="small error-note">Fix the {count === 1 ? "field" : `${count} fields`} marked in red to see the preview.</p> : <PreviewTable preview={preview.data} stale={preview.isFetching} />}
        </aside>
      </div>
      <div className="row weights-actions">
        <button type="button" className="btn sm" onClick={() => fill(scoring.defaults)}>
          <RotateCcw size={14} /> Standard weights
        </button>
        <button type="button" className="btn sm ghost" onClick={() => fill(scoring.weights)}>
          Discard changes
        </button>
        <span className="spacer" />
        <button type="submit" className="btn primary sm" disabled={save.isPending || count > 0}>
          <Save size={14} /> Save weights
        </button>
      </div>
    </form>
  );
}
