import { useMutation, useQueryClient } from "@tanstack/react-query";
import { MailOpen } from "lucide-react";
import { Link, useNavigate, useParams } from "react-router";
import { api, ApiError, errorMessage, unwrap } from "../../api/client";
import { qk, useMe } from "../../api/queries";
import { BrandMark, Spinner } from "../../components/ui";
import { expiresIn, inviteSentence, useInvitePreview } from "./invitePreview";

/** Why a link no longer works, from the preview's 404 or 410 (the only thing such a link reveals). */
function BrokenInvite({ error }: { error: unknown }) {
  const gone = error instanceof ApiError && error.status === 410;
  return (
    <div className="stack">
      <h1>{gone ? "This invitation no longer works" : "This invitation can't be found"}</h1>
      <p className="muted">
        {gone ? `${errorMessage(error)}.` : "The link may be mistyped, or the invite was revoked."} Ask your teammate for a new one.
      </p>
      <Link to="/">Go to MagicTask</Link>
    </div>
  );
}

export function AcceptInvitePage() {
  const { token = "" } = useParams();
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const preview = useInvitePreview(token);
  const accept = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/invites/{token}/accept", { params: { path: { token } } })),
    onSuccess: (out) => {
      void qc.invalidateQueries({ queryKey: qk.workspaces });
      navigate(`/w/${out.workspace.id}`);
    },
  });
  const invite = `invite=${encodeURIComponent(token)}`;
  const p = preview.data;
  const signedIn = !!me.data;
  const wrongUser = me.data && p && me.data.email.toLowerCase() !== p.email.toLowerCase();

  return (
    <div className="auth-main" style={{ minHeight: "100%" }}>
      <div className="auth-card panel panel-pad stack-lg" style={{ maxWidth: 460 }}>
        <span className="brand">
          <BrandMark /> MagicTask
        </span>
        {preview.isPending ? (
          <Spinner label="Opening your invitation" />
        ) : preview.isError || !p ? (
          <BrokenInvite error={preview.error} />
        ) : (
          <div className="stack-lg">
            <div className="row" style={{ alignItems: "flex-start", gap: 14 }}>
              <MailOpen size={34} color="var(--brand)" aria-hidden />
              <div>
                <h1>Join {p.workspace.name}</h1>
                <p className="muted">{inviteSentence(p)}</p>
                <p className="muted small">{expiresIn(p.expires_at)}.</p>
              </div>
            </div>
            {me.isPending ? null : signedIn ? (
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
                <Link className="btn primary block" to={`/signup?${invite}`}>
                  Create an account to join
                </Link>
                <Link className="btn block" to={`/login?${invite}&email=${encodeURIComponent(p.email)}`}>
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
