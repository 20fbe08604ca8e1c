import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Popover } from "radix-ui";
import { Check, Plus, Trash2, UsersRound } from "lucide-react";
import { type FormEvent } from "react";
import { toast } from "sonner";
import { api, errorMessage, unwrap, type Member, type Schemas } from "../../api/client";
import { limits } from "../../api/limits";
import { FieldError, FormError, formValues, useFormErrors, type FormSpec } from "../../components/forms";
import { qk } from "../../api/queries";
import { AvatarStack } from "../../components/ui";
import { plural } from "../../lib/plural";

type Team = Schemas["TeamOut"];

function TeamRow({ team, members, canEdit }: { team: Team; members: Member[]; canEdit: boolean }) {
  const qc = useQueryClient();
  const key = ["team-members", team.id];
  const people = useQuery({
    queryKey: key,
    queryFn: async () => (await unwrap(api.GET("/api/v1/teams/{team_id}/members", { params: { path: { team_id: team.id }, query: { limit: 200 } } }))).items,
  });
  const ids = new Set((people.data ?? []).map((p) => p.user_id));
  const toggle = useMutation({
    mutationFn: ({ user_id, on }: { user_id: string; on: boolean }) =>
      on
        ? unwrap(api.PUT("/api/v1/teams/{team_id}/members/{user_id}", { params: { path: { team_id: team.id, user_id } } }))
        : unwrap(api.DELETE("/api/v1/teams/{team_id}/members/{user_id}", { params: { path: { team_id: team.id, user_id } } })),
    onSettled: () => void qc.invalidateQueries({ queryKey: key }),
    onError: (e) => toast.error(errorMessage(e)),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/teams/{team_id}", { params: { path: { team_id: team.id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: qk.teams(team.workspace_id) }),
    onError: (e) => toast.error(errorMessage(e)),
  });
  return (
    <div className="ledger-row">
      <UsersRound size={18} className="muted" aria-hidden />
      <span style={{ flex: 1, minWidth: 0 }}>
        <b>{team.name}</b>
        <span className="small muted" style={{ display: "block" }}>
          {plural((people.data ?? []).length, "member")}
        </span>
      </span>
      <AvatarStack people={(people.data ?? []).map((p) => ({ id: p.user_id, name: p.name }))} max={4} size="sm" />
      {canEdit && (
        <>
          <Popover.Root>
            <Popover.Trigger asChild>
              <button className="btn sm">Edit members</button>
            </Popover.Trigger>
            <Popover.Portal>
              <Popover.Content className="popover" style={{ width: 260, padding: 5 }} align="end" sideOffset={4} aria-label={`Members of ${team.name}`}>
                {members.map((m) => (
                  <button key={m.user_id} className="menu-item" style={{ width: "100%", border: 0, background: "none", font: "inherit" }} aria-pressed={ids.has(m.user_id)} onClick={() => toggle.mutate({ user_id: m.user_id, on: !ids.has(m.user_id) })}>
                    <span style={{ flex: 1, textAlign: "left" }}>{m.name}</span>
                    {ids.has(m.user_id) && <Check size={15} />}
                  </button>
                ))}
              </Popover.Content>
            </Popover.Portal>
          </Popover.Root>
          <button className="btn ghost icon sm" aria-label={`Delete team ${team.name}`} onClick={() => confirm(`Delete the team ${team.name}?`) && remove.mutate()}>
            <Trash2 size={14} />
          </button>
        </>
      )}
    </div>
  );
}

/** Teams: groups of members, for team leaderboards. */
const TEAM_SPEC: FormSpec<"name"> = { name: { required: "Enter a team name", limits: limits.TeamCreate.name } };

export function TeamsSection({ ws, members, canEdit }: { ws: string; members: Member[]; canEdit: boolean }) {
  const qc = useQueryClient();
  const teams = useQuery({
    queryKey: qk.teams(ws),
    queryFn: async () => (await unwrap(api.GET("/api/v1/workspaces/{workspace_id}/teams", { params: { path: { workspace_id: ws }, query: { limit: 100 } } }))).items,
  });
  const create = useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/v1/workspaces/{workspace_id}/teams", { params: { path: { workspace_id: ws } }, body: { name } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: qk.teams(ws) }),
  });
  const form = useFormErrors(TEAM_SPEC);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const el = e.currentTarget;
    const values = formValues(el, ["name"] as const);
    if (!form.validate(values, el)) return;
    create.mutate(values.name.trim(), { onSuccess: () => el.reset(), onError: form.fromError });
  };
  return (
    <section className="panel" style={{ marginTop: 20 }} aria-labelledby="teams-h">
      <div className="panel-head">
        <h2 id="teams-h">Teams</h2>
        <span className="small muted hide-sm">Compare teams on the leaderboard.</span>
        <span className="spacer" />
        {canEdit && (
          <form onSubmit={submit} className="stack" noValidate>
            <div className="row">
              <input className="input" placeholder="New team name" aria-label="New team name" style={{ height: 30, width: 170 }} maxLength={limits.TeamCreate.name.maxLength} {...form.fieldProps("name")} />
              <button className="btn sm" type="submit" aria-label="Create team" disabled={create.isPending}>
                <Plus size={14} />
              </button>
            </div>
            <FieldError {...form.errorProps("name")} />
            <FormError message={form.formError} />
          </form>
        )}
      </div>
      {(teams.data ?? []).map((t) => (
        <TeamRow key={t.id} team={t} members={members} canEdit={canEdit} />
      ))}
      {teams.data?.length === 0 && <p className="muted small" style={{ padding: 16 }}>No teams yet.</p>}
    </section>
  );
}
