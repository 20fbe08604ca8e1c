import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Dialog } from "radix-ui";
import { Flame, FolderKanban, Plus, Sparkles, Target } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap, type Member, type Project } from "../../api/client";
import { limits } from "../../api/limits";
import { FieldError, FormError, formValues, useFormErrors, type FormSpec } from "../../components/forms";
import { activityLine } from "./activitySentence";
import { noun, plural } from "../../lib/plural";
import { ActivitySentence } from "./ActivityLineView";
import { qk, useMe, useMembers, useProgress, useProjects, useWorkspaces } from "../../api/queries";
import { Avatar, colorFor, Empty, relativeTime, Spinner } from "../../components/ui";
import { useHeaderTitle } from "../workspaces/AppLayout";
import { levelPercent } from "../gamification/XpBar";

const PROJECT_SPEC: FormSpec<"name" | "key" | "description"> = {
  name: { required: "Enter a project name", limits: limits.ProjectCreate.name },
  key: { required: "Enter a key, like WEB", limits: limits.ProjectCreate.key, patternMessage: "Use 2 to 10 capital letters or digits, starting with a letter" },
  description: { limits: limits.ProjectCreate.description, keepSpaces: true },
};

function suggestKey(name: string): string {
  const words = name.toUpperCase().replace(/[^A-Z0-9 ]/g, "").split(/\s+/).filter(Boolean);
  const k = words.length > 1 ? words.map((w) => w[0]).join("") : (words[0] ?? "").slice(0, 4);
  return k.slice(0, 6) || "PRJ";
}

export function NewProjectDialog({ ws, open, onOpenChange }: { ws: string; open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [key, setKey] = useState("");
  const [keyTouched, setKeyTouched] = useState(false);
  const create = useMutation({
    mutationFn: (body: { name: string; key: string; description: string }) =>
      unwrap(api.POST("/api/v1/workspaces/{workspace_id}/projects", { params: { path: { workspace_id: ws } }, body })),
    onSuccess: (p) => {
      qc.setQueryData<Project[]>(qk.projects(ws), (old) => [...(old ?? []), p]);
      onOpenChange(false);
      setName("");
      setKey("");
      setKeyTouched(false);
      navigate(`/w/${ws}/p/${p.id}/board`);
    },
  });
  const form = useFormErrors(PROJECT_SPEC);
  const shownKey = keyTouched ? key : suggestKey(name);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const values = formValues(e.currentTarget, ["name", "key", "description"] as const);
    if (!form.validate(values, e.currentTarget)) return;
    create.mutate({ name: values.name.trim(), key: values.key.trim(), description: values.description }, { onError: form.fromError });
  };
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title asChild>
            <h2>New project</h2>
          </Dialog.Title>
          <Dialog.Description className="muted">A project gets its own board with To do, In progress and Done columns.</Dialog.Description>
          <form className="stack" style={{ marginTop: 16 }} onSubmit={onSubmit} noValidate>
            <FormError message={form.formError} />
            <div className="field">
              <label htmlFor="p-name">Name</label>
              <input className="input" id="p-name" value={name} onChange={(e) => setName(e.target.value)} autoFocus placeholder="Website relaunch" maxLength={limits.ProjectCreate.name.maxLength} {...form.fieldProps("name")} />
              <FieldError {...form.errorProps("name")} />
            </div>
            <div className="field">
              <label htmlFor="p-key">Key</label>
              <input className="input" id="p-key" value={shownKey} onChange={(e) => { setKeyTouched(true); setKey(e.target.value.toUpperCase()); }} maxLength={10} {...form.fieldProps("key", "p-key-hint")} />
              <FieldError {...form.errorProps("key")} />
              <span className="hint" id="p-key-hint">Prefix for task ids, like {shownKey || "WEB"}-12.</span>
            </div>
            <div className="field">
              <label htmlFor="p-desc">Description</label>
              <textarea className="textarea" id="p-desc" placeholder="What is this project about? (optional)" {...form.fieldProps("description")} />
              <FieldError {...form.errorProps("description")} />
            </div>
            <div className="dialog-actions">
              <Dialog.Close asChild>
                <button className="btn" type="button">
                  Cancel
                </button>
              </Dialog.Close>
              <button className="btn primary" type="submit" disabled={create.isPending}>
                {create.isPending ? "Creating…" : "Create project"}
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function ActivityFeed({ ws, members }: { ws: string; members: Member[] }) {
  const feed = useQuery({
    queryKey: qk.activity(ws),
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/activity", { params: { path: { workspace_id: ws }, query: { limit: 15 } } })),
    refetchInterval: 30_000,
  });
  const items = feed.data?.items ?? [];
  return (
    <section className="panel" aria-labelledby="feed-h">
      <div className="panel-head">
        <h2 id="feed-h">Team activity</h2>
      </div>
      <div style={{ padding: "6px 16px 12px" }}>
        {items.length === 0 && <p className="muted small" style={{ padding: "10px 0" }}>Nothing yet today. Finished work shows up here.</p>}
        {items.map((a) => {
          const nameOf = (id: string) => members.find((m) => m.user_id === id)?.name;
          const who = a.actor ? (nameOf(a.actor.id) ?? a.actor.name) : "Someone";
          return (
            <div key={a.id} className="activity-item">
              {a.actor ? <Avatar id={a.actor.id} name={who} size="sm" /> : <span className="dot" />}
              <span style={{ flex: 1, minWidth: 0 }}>
                <ActivitySentence who={who} line={activityLine(a, nameOf)} ws={ws} />
                <span className="tiny muted" style={{ display: "block" }}>
                  {relativeTime(a.created_at)}
                </span>
              </span>
            </div>
          );
        })}
      </div>
    </section>
  );
}

function greeting(): string {
  const h = new Date().getHours();
  return h < 12 ? "Good morning" : h < 18 ? "Good afternoon" : "Good evening";
}

export function ProjectsPage() {
  const { ws = "" } = useParams();
  const me = useMe();
  const workspaces = useWorkspaces();
  const projects = useProjects(ws);
  const members = useMembers(ws);
  const current = workspaces.data?.find((w) => w.id === ws);
  const progress = useProgress(!!current?.gamification_enabled);
  const [open, setOpen] = useState(false);
  useHeaderTitle("Projects");
  const p = progress.data;

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>
            {greeting()}, {me.data?.name.split(" ")[0]}
          </h1>
          <p>Here's what's happening in {current?.name}.</p>
        </div>
        <span className="spacer" />
        <button className="btn primary" onClick={() => setOpen(true)}>
          <Plus size={16} /> New project
        </button>
      </div>
      {current?.gamification_enabled && p && (
        <div className="stat-grid" style={{ marginBottom: 20 }}>
          <div className="panel stat">
            <span className="eyebrow">Level</span>
            <div className="row">
              <span className="value">{p.level}</span>
              <div className="progress-thin" style={{ flex: 1 }}>
                <div style={{ width: `${levelPercent(p)}%`, background: "linear-gradient(90deg, var(--xp), var(--xp-2))" }} />
              </div>
            </div>
            <span className="small muted">{p.xp_to_next} XP to level {p.level + 1}</span>
          </div>
          <div className="panel stat">
            <span className="eyebrow">Streak</span>
            <div className="row">
              <Flame size={20} color="var(--xp-2)" aria-hidden />
              <span className="value">{p.streak.current}</span>
              <span className="muted">{noun(p.streak.current, "day")}</span>
            </div>
            <span className="small muted">Best {plural(p.streak.longest, "day")} · {plural(p.freezes, "streak freeze")}</span>
          </div>
          <div className="panel stat">
            <span className="eyebrow">Total XP</span>
            <div className="row">
              <Sparkles size={20} color="var(--xp)" aria-hidden />
              <span className="value">{p.xp.toLocaleString()}</span>
            </div>
            <Link to={`/w/${ws}/profile`} className="small">
              See where it came from →
            </Link>
          </div>
        </div>
      )}
      <div style={{ display: "grid", gridTemplateColumns: "minmax(0, 1fr)", gap: 20 }} className="home-grid">
        <section aria-labelledby="projects-h">
          <h2 id="projects-h" style={{ marginBottom: 12 }}>
            Projects
          </h2>
          {projects.isPending ? (
            <Spinner />
          ) : (projects.data ?? []).length === 0 ? (
            <div className="panel">
              <Empty icon={<FolderKanban size={36} />} title="Start your first project">
                <p>Projects hold a kanban board and a list of tasks. Everyone in the workspace can see them.</p>
                <button className="btn primary" onClick={() => setOpen(true)}>
                  <Plus size={16} /> New project
                </button>
              </Empty>
            </div>
          ) : (
            <div className="grid-cards">
              {projects.data!.map((pr) => (
                <Link key={pr.id} to={`/w/${ws}/p/${pr.id}/board`} className="panel project-card" data-testid="project-card">
                  <div className="row">
                    <span className="project-key" style={{ background: colorFor(pr.id) }}>
                      {pr.key}
                    </span>
                    <span style={{ minWidth: 0 }}>
                      <h3 style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>{pr.name}</h3>
                      <span className="small muted">{plural(pr.statuses.length, "column")}</span>
                    </span>
                  </div>
                  <p className="small muted" style={{ minHeight: 36, display: "-webkit-box", WebkitLineClamp: 2, WebkitBoxOrient: "vertical", overflow: "hidden" }}>
                    {pr.description || "No description yet."}
                  </p>
                  <div className="row small muted">
                    <Target size={14} aria-hidden /> Updated {relativeTime(pr.updated_at)}
                  </div>
                </Link>
              ))}
            </div>
          )}
        </section>
        <ActivityFeed ws={ws} members={members.data ?? []} />
      </div>
      <NewProjectDialog ws={ws} open={open} onOpenChange={setOpen} />
    </div>
  );
}
