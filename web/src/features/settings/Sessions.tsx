import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Dialog } from "radix-ui";
import { LogOut, MonitorSmartphone } from "lucide-react";
import { useState } from "react";
import { useNavigate } from "react-router";
import { toast } from "sonner";
import { api, errorMessage, session, unwrap, type Schemas } from "../../api/client";
import { qk } from "../../api/queries";
import { relativeTime, Spinner } from "../../components/ui";
import { describeUserAgent } from "./userAgent";

type SessionRow = Schemas["SessionOut"];

function LogOutEverywhereDialog({ onConfirm, onClose, busy }: { onConfirm: () => void; onClose: () => void; busy: boolean }) {
  return (
    <Dialog.Root open onOpenChange={(o) => !o && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog" data-testid="logout-everywhere-dialog">
          <Dialog.Title asChild>
            <h2>Log out everywhere?</h2>
          </Dialog.Title>
          <Dialog.Description className="muted">
            Every browser and app signed in to your account is signed out at once, this one included. Personal API tokens keep working; revoke them below if you need to.
          </Dialog.Description>
          <div className="dialog-actions">
            <Dialog.Close asChild>
              <button className="btn">Cancel</button>
            </Dialog.Close>
            <button className="btn primary danger-fill" onClick={onConfirm} disabled={busy}>
              Log out everywhere
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/** Account settings: where you're signed in; sign one session out, or all of them. */
export function SessionsSection() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const sessions = useQuery({ queryKey: qk.sessions, queryFn: () => unwrap(api.GET("/api/v1/me/sessions")) });
  const revoke = useMutation({
    mutationFn: (s: SessionRow) => unwrap(api.DELETE("/api/v1/me/sessions/{session_id}", { params: { path: { session_id: s.id } } })),
    onMutate: async (s) => {
      await qc.cancelQueries({ queryKey: qk.sessions });
      const prev = qc.getQueryData<SessionRow[]>(qk.sessions);
      qc.setQueryData<SessionRow[]>(qk.sessions, (old) => old?.filter((x) => x.id !== s.id));
      return { prev };
    },
    onSuccess: (_r, s) => toast.success(`Signed out ${describeUserAgent(s.name)}`),
    onError: (e, s, ctx) => {
      qc.setQueryData(qk.sessions, ctx?.prev);
      toast.error(`Couldn't sign out ${describeUserAgent(s.name)}: ${errorMessage(e)}`);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: qk.sessions }),
  });
  const everywhere = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/me/sessions")),
    onSuccess: () => {
      session.clear();
      qc.clear();
      navigate("/login", { replace: true });
    },
    onError: (e) => toast.error(`Couldn't log out everywhere: ${errorMessage(e)}`),
  });
  // This device first, then the server's order (most recently active first).
  const list = [...(sessions.data ?? [])].sort((a, b) => Number(b.current) - Number(a.current));
  return (
    <section className="panel panel-pad stack" aria-labelledby="sess-h" data-testid="sessions">
      <div className="row" style={{ justifyContent: "space-between", gap: 12, flexWrap: "wrap" }}>
        <div>
          <h2 id="sess-h">Where you're signed in</h2>
          <p className="small muted" style={{ marginTop: 4 }}>
            Sign out a browser you no longer use, or everywhere at once if you think someone else has access.
          </p>
        </div>
        <button className="btn danger" onClick={() => setConfirming(true)} disabled={everywhere.isPending}>
          <LogOut size={15} aria-hidden /> Log out everywhere
        </button>
      </div>
      {sessions.isPending ? (
        <Spinner label="Loading sessions" />
      ) : sessions.isError ? (
        <div className="form-error" role="alert">
          Couldn't load your sessions: {errorMessage(sessions.error)}{" "}
          <button className="btn ghost sm" onClick={() => void sessions.refetch()}>
            Retry
          </button>
        </div>
      ) : (
        <ul className="token-list" aria-label="Your sessions">
          {list.map((s) => {
            const device = describeUserAgent(s.name);
            return (
              <li key={s.id} className="token-row" data-testid="session">
                <MonitorSmartphone size={17} className="muted" aria-hidden />
                <div className="token-info">
                  <div className="token-title">
                    <b title={s.name}>{device}</b> {s.current && <span className="chip">This device</span>}
                  </div>
                  <div className="small muted token-meta">
                    {s.ip ? `${s.ip} · ` : ""}signed in {relativeTime(s.created_at)}
                    {s.last_used_at ? ` · active ${relativeTime(s.last_used_at)}` : ""}
                  </div>
                </div>
                {!s.current && (
                  <button className="btn sm danger" onClick={() => revoke.mutate(s)} aria-label={`Sign out ${device}`} disabled={revoke.isPending && revoke.variables?.id === s.id}>
                    Sign out
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {confirming && (
        <LogOutEverywhereDialog
          busy={everywhere.isPending}
          onConfirm={() => {
            everywhere.mutate();
            setConfirming(false);
          }}
          onClose={() => setConfirming(false)}
        />
      )}
    </section>
  );
}
