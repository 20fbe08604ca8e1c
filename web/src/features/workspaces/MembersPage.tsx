import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Dialog } from "radix-ui";
import { Copy, Link2, Trash2, UserPlus, Users } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { toast } from "sonner";
import { api, errorMessage, unwrap, type Member } from "../../api/client";
import { qk, useMe, useMembers, useWorkspaces } from "../../api/queries";
import { FieldError, FormError, formValues, useFormErrors, type FormSpec } from "../../components/forms";
import { Avatar, relativeTime } from "../../components/ui";
import { useHeaderTitle } from "./AppLayout";
import { TeamsSection } from "./Teams";

const INVITE_SPEC: FormSpec<"email" | "role"> = {
  email: { required: "Enter their email address", email: true },
  role: {},
};

function InviteDialog({ ws, open, onOpenChange }: { ws: string; open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const [link, setLink] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (body: { email: string; role: "admin" | "member" }) => unwrap(api.POST("/api/v1/workspaces/{workspace_id}/invites", { params: { path: { workspace_id: ws } }, body })),
    onSuccess: (inv) => {
      setLink(`${location.origin}/invite/${inv.token}`);
      void qc.invalidateQueries({ queryKey: qk.invites(ws) });
    },
  });
  const form = useFormErrors(INVITE_SPEC);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const values = formValues(e.currentTarget, ["email", "role"] as const);
    if (!form.validate(values, e.currentTarget)) return;
    create.mutate({ email: values.email.trim(), role: values.role === "admin" ? "admin" : "member" }, { onError: form.fromError });
  };
  const copy = () => link && navigator.clipboard?.writeText(link).then(() => toast.success("Invite link copied"), () => undefined);
  return (
    <Dialog.Root open={open} onOpenChange={(o) => { onOpenChange(o); if (!o) { setLink(null); create.reset(); form.clear(); } }}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title asChild>
            <h2>Invite a teammate</h2>
          </Dialog.Title>
          <Dialog.Description className="muted">They get a link that's valid for 7 days. Only this email address can accept it.</Dialog.Description>
          {link ? (
            <div className="stack" style={{ marginTop: 16 }}>
              <label className="label" htmlFor="invite-link">Invite link</label>
              <div className="row">
                <input id="invite-link" className="input" readOnly value={link} onFocus={(e) => e.currentTarget.select()} data-testid="invite-link" />
                <button className="btn" onClick={copy} aria-label="Copy invite link">
                  <Copy size={15} />
                </button>
              </div>
              <p className="small muted">Send it over chat or email. You can revoke it from the members page.</p>
              <div className="dialog-actions">
                <button className="btn" onClick={() => { setLink(null); create.reset(); }}>
                  Invite another
                </button>
                <Dialog.Close asChild>
                  <button className="btn primary">Done</button>
                </Dialog.Close>
              </div>
            </div>
          ) : (
            <form className="stack" style={{ marginTop: 16 }} onSubmit={submit} noValidate>
              <FormError message={form.formError} />
              <div className="field">
                <label htmlFor="inv-email">Email</label>
                <input className="input" id="inv-email" type="email" autoFocus placeholder="teammate@company.com" {...form.fieldProps("email")} />
                <FieldError {...form.errorProps("email")} />
              </div>
              <div className="field">
                <label htmlFor="inv-role">Role</label>
                <select className="select" id="inv-role" defaultValue="member" {...form.fieldProps("role")}>
                  <option value="member">Member — works on tasks</option>
                  <option value="admin">Admin — also manages people and settings</option>
                </select>
              </div>
              <div className="dialog-actions">
                <Dialog.Close asChild>
                  <button className="btn" type="button">
                    Cancel
                  </button>
                </Dialog.Close>
                <button className="btn primary" type="submit" disabled={create.isPending}>
                  <Link2 size={15} /> Create invite link
                </button>
              </div>
            </form>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

export function MembersPage() {
  const { ws = "" } = useParams();
  const qc = useQueryClient();
  const me = useMe();
  const workspaces = useWorkspaces();
  const members = useMembers(ws);
  const current = workspaces.data?.find((w) => w.id === ws);
  const isAdmin = current?.role === "owner" || current?.role === "admin";
  const [inviting, setInviting] = useState(false);
  useHeaderTitle("Members");
  const invites = useQuery({
    queryKey: qk.invites(ws),
    queryFn: async () => (await unwrap(api.GET("/api/v1/workspaces/{workspace_id}/invites", { params: { path: { workspace_id: ws }, query: { limit: 100 } } }))).items,
    enabled: isAdmin,
  });
  const role = useMutation({
    mutationFn: ({ user_id, role }: { user_id: string; role: Member["role"] }) => unwrap(api.PATCH("/api/v1/workspaces/{workspace_id}/members/{user_id}", { params: { path: { workspace_id: ws, user_id } }, body: { role } })),
    onMutate: ({ user_id, role }) => {
      const prev = qc.getQueryData<Member[]>(qk.members(ws));
      qc.setQueryData<Member[]>(qk.members(ws), (old) => old?.map((m) => (m.user_id === user_id ? { ...m, role } : m)));
      return { prev };
    },
    onError: (e, _v, ctx) => {
      qc.setQueryData(qk.members(ws), ctx?.prev);
      toast.error(`Couldn't change the role: ${errorMessage(e)}`);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: qk.members(ws) }),
  });
  const remove = useMutation({
    mutationFn: (user_id: string) => unwrap(api.DELETE("/api/v1/workspaces/{workspace_id}/members/{user_id}", { params: { path: { workspace_id: ws, user_id } } })),
    onMutate: (user_id) => {
      const prev = qc.getQueryData<Member[]>(qk.members(ws));
      qc.setQueryData<Member[]>(qk.members(ws), (old) => old?.filter((m) => m.user_id !== user_id));
      return { prev };
    },
    onError: (e, _v, ctx) => {
      qc.setQueryData(qk.members(ws), ctx?.prev);
      toast.error(`Couldn't remove the member: ${errorMessage(e)}`);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: qk.members(ws) }),
  });
  const revoke = useMutation({
    mutationFn: (invite_id: string) => unwrap(api.DELETE("/api/v1/workspaces/{workspace_id}/invites/{invite_id}", { params: { path: { workspace_id: ws, invite_id } } })),
    onMutate: (invite_id) => {
      const prev = qc.getQueryData<{ id: string }[]>(qk.invites(ws));
      qc.setQueryData<{ id: string }[]>(qk.invites(ws), (old) => old?.filter((i) => i.id !== invite_id));
      return { prev };
    },
    onError: (e, _v, ctx) => {
      qc.setQueryData(qk.invites(ws), ctx?.prev);
      toast.error(`Couldn't revoke the invite: ${errorMessage(e)}`);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: qk.invites(ws) }),
  });

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Members</h1>
          <p>{members.data?.length ?? 0} people in {current?.name}</p>
        </div>
        <span className="spacer" />
        {isAdmin && (
          <button className="btn primary" onClick={() => setInviting(true)}>
            <UserPlus size={16} /> Invite
          </button>
        )}
      </div>
      <section className="panel" aria-label="Members">
        {(members.data ?? []).map((m) => (
          <div className="ledger-row" key={m.user_id}>
            <Avatar id={m.user_id} name={m.name} />
            <span style={{ flex: 1, minWidth: 0 }}>
              <Link to={`/w/${ws}/members/${m.user_id}`} title={`${m.name}'s XP history`}>
                <b>{m.name}</b>
              </Link>{" "}
              {m.user_id === me.data?.id && <span className="chip">you</span>}
              <span className="small muted" style={{ display: "block", overflow: "hidden", textOverflow: "ellipsis" }}>
                {m.email} · joined {relativeTime(m.joined_at)}
              </span>
            </span>
            {isAdmin && m.role !== "owner" && m.user_id !== me.data?.id ? (
              <>
                <select className="select" style={{ width: 120, height: 30 }} value={m.role} aria-label={`Role of ${m.name}`} onChange={(e) => role.mutate({ user_id: m.user_id, role: e.target.value as Member["role"] })}>
                  <option value="member">Member</option>
                  <option value="admin">Admin</option>
                </select>
                <button className="btn ghost icon sm" aria-label={`Remove ${m.name}`} onClick={() => confirm(`Remove ${m.name} from the workspace?`) && remove.mutate(m.user_id)}>
                  <Trash2 size={14} />
                </button>
              </>
            ) : (
              <span className="chip" style={{ textTransform: "capitalize" }}>
                {m.role}
              </span>
            )}
          </div>
        ))}
      </section>
      {isAdmin && (invites.data ?? []).length > 0 && (
        <section className="panel" style={{ marginTop: 20 }} aria-labelledby="inv-h">
          <div className="panel-head">
            <h2 id="inv-h">Pending invites</h2>
          </div>
          {invites.data!.map((i) => (
            <div className="ledger-row" key={i.id}>
              <Users size={18} className="muted" aria-hidden />
              <span style={{ flex: 1 }}>
                {i.email} <span className="small muted">· {i.role} · expires {new Date(i.expires_at).toLocaleDateString()}</span>
              </span>
              <button className="btn ghost sm" onClick={() => revoke.mutate(i.id)}>
                Revoke
              </button>
            </div>
          ))}
        </section>
      )}
      <TeamsSection ws={ws} members={members.data ?? []} canEdit={isAdmin} />
      <InviteDialog ws={ws} open={inviting} onOpenChange={setInviting} />
    </div>
  );
}
