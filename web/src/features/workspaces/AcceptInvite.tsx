import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { MailOpen } from "lucide-react";
import { Link, useNavigate, useParams } from "react-router";
import { api, ApiError, errorMessage, unwrap } from "../../api/client";
import { qk, useMe } from "../../api/queries";
import { BrandMark, Spinner } from "../../components/ui";

export function AcceptInvitePage() {
  const { token = "" } = useParams();
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const preview = useQuery({
    queryKey: ["invite", token],
    queryFn: () => unwrap(api.GET("/api/v1/invites/{token}", { params: { path: { token } } })),
    retry: false,
    enabled: !me.isPending,
  });
  const accept = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/invites/{token}/accept", { params: { path: { token } } })),
    onSuccess: (out) => {
      void qc.invalidateQueries({ queryKey: qk.workspaces });
      navigate(`/w/${out.workspace.id}`);
    },
  });
  const next = encodeURIComponent(`/invite/${token}`);
  const p = preview.data;
  const wrongUser = me.data && p && me.data.email.toLowerCase() !== p.email.toLowerCase();

  return (
    <div className="auth-main" style={{ minHeight: "100%" }}>
      <div className="auth-card panel panel-pad stack-lg" style={{ maxWidth: 460 }}>
        <span className="brand">
          <BrandMark /> MagicTask
        </span>
        {!me.data && !me.isPending && preview.error instanceof ApiError && preview.error.status === 401 ? (
          <div className="stack-lg">
            <div className="row" style={{ alignItems: "flex-start", gap: 14 }}>
              <MailOpen size={34} color="var(--brand)" aria-hidden />
              <div>
                <h1>You're invited to a workspace</h1>
                <p className="muted">Create an account (or log in) with the email address the invite was sent to, and you'll see who invited you and join in one click.</p>
              </div>
            </div>
            <div className="stack">
              <Link className="btn primary block" to={`/signup?next=${next}`}>
                Create an account to join
              </Link>
              <Link className="btn block" to={`/login?next=${next}`}>
                I already have an account
              </Link>
            </div>
          </div>
        ) : preview.isPending || me.isPending ? (
          <Spinner label="Opening your invitation" />
        ) : preview.isError || !p ? (
          <div className="stack">
            <h1>This invitation can't be found</h1>
            <p className="muted">The link may be mistyped, or the invite was revoked. Ask your teammate for a new one.</p>
            <Link to="/">Go to MagicTask</Link>
          </div>
        ) : (
          <div className="stack-lg">
            <div className="row" style={{ alignItems: "flex-start", gap: 14 }}>
              <MailOpen size={34} color="var(--brand)" aria-hidden />
              <div>
                <h1>Join {p.workspace.name}</h1>
                <p className="muted">
                  {p.inviter ? `${p.inviter.name} invited ` : "You were invited "}
                  <b>{p.email}</b> as {p.role === "admin" ? "an admin" : "a member"}.
                </p>
              </div>
            </div>
            {p.status !== "pending" ? (
              <div className="form-error" role="alert">
                This invitation is {p.status}.
              </div>
            ) : me.data ? (
              wrongUser ? (
                <div className="form-error" role="alert">
                  You're logged in as {me.data.email}, but this invite is for {p.email}. Log out and sign in with that address.
                </div>
              ) : (
                <div className="stack">
                  {accept.isError && <div className="form-error" role="alert">{errorMessage(accept.error)}</div>}
                  <button className="btn primary block" onClick={() => accept.mutate()} disabled={accept.isPending}>
                    {accept.isPending ? "Joining…" : `Join ${p.workspace.name}`}
                  </button>
                </div>
              )
            ) : (
              <div className="stack">
                <Link className="btn primary block" to={`/signup?next=${next}&email=${encodeURIComponent(p.email)}`}>
                  Create an account to join
                </Link>
                <Link className="btn block" to={`/login?next=${next}`}>
                  I already have an account
                </Link>
              </div>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
