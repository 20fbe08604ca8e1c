import { useQueryClient } from "@tanstack/react-query";
import { Flame, Trophy, Sparkles } from "lucide-react";
import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, errorMessage, session, unwrap } from "../../api/client";
import { limits } from "../../api/limits";
import { qk } from "../../api/queries";
import { FieldError, FormError, formValues, useFormErrors, type FormSpec } from "../../components/forms";
import { BrandMark } from "../../components/ui";
import { inviteSentence, useInvitePreview } from "../workspaces/invitePreview";

function AuthFrame({ children }: { children: ReactNode }) {
  return (
    <div className="auth-page">
      <aside className="auth-hero" aria-hidden>
        <span className="brand">
          <BrandMark /> MagicTask
        </span>
        <div className="stack-lg">
          <h1>Ship the work. Earn the XP. Keep the streak.</h1>
          <p>Kanban boards your team already knows, with a reward engine that notices every finished task, helpful comment and shout-out.</p>
          <div className="hero-card stack">
            <div className="row">
              <Sparkles size={18} /> <b>+45 XP</b> <span style={{ opacity: 0.8 }}>· Urgent task done on time</span>
            </div>
            <div className="row">
              <Flame size={18} /> <b>12-day streak</b> <span style={{ opacity: 0.8 }}>· 1 freeze saved</span>
            </div>
            <div className="row">
              <Trophy size={18} /> <b>Closer</b> <span style={{ opacity: 0.8 }}>· 50 tasks completed</span>
            </div>
          </div>
        </div>
        <span style={{ opacity: 0.7, fontSize: 12 }}>Real work, real rewards.</span>
      </aside>
      <main className="auth-main">
        <div className="auth-card stack-lg">
          <span className="brand auth-brand">
            <BrandMark /> MagicTask
          </span>
          {children}
        </div>
      </main>
    </div>
  );
}

const LOGIN_SPEC: FormSpec<"email" | "password"> = {
  email: { required: "Enter your email address", email: true },
  password: { required: "Enter your password", keepSpaces: true, limits: { maxLength: limits.LoginIn.password.maxLength } },
};

const SIGNUP_SPEC: FormSpec<"name" | "email" | "password"> = {
  name: { required: "Enter your name", limits: limits.SignupIn.name },
  email: { required: "Enter your email address", email: true },
  password: { required: "Choose a password", keepSpaces: true, limits: limits.SignupIn.password },
};

/**
 * Sign in or up, then go on: with an invite (`?invite=<token>`) join its workspace at once and land in it,
 * else follow `?next=`. If joining fails (another email, the invite just expired), the invite page says why.
 */
function useAuthSubmit(kind: "login" | "signup", onError: (e: unknown) => void) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const invite = params.get("invite");
  const [busy, setBusy] = useState(false);
  const submit = async (body: { email: string; password: string; name?: string }) => {
    setBusy(true);
    try {
      const out =
        kind === "login"
          ? await unwrap(api.POST("/api/v1/auth/login", { body: { email: body.email, password: body.password } }))
          : await unwrap(api.POST("/api/v1/auth/signup", { body: { email: body.email, password: body.password, name: body.name ?? "" } }));
      session.set(); // the token itself stays in the HttpOnly cookie the response set
      qc.clear();
      qc.setQueryData(qk.me, out.user);
      if (invite) {
        try {
          const joined = await unwrap(api.POST("/api/v1/invites/{token}/accept", { params: { path: { token: invite } } }));
          navigate(`/w/${joined.workspace.id}`, { replace: true });
        } catch {
          navigate(`/invite/${encodeURIComponent(invite)}`, { replace: true });
        }
        return;
      }
      const next = params.get("next");
      navigate(next && next.startsWith("/") ? next : "/", { replace: true });
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  const carry = invite ? `?invite=${encodeURIComponent(invite)}` : params.get("next") ? `?next=${encodeURIComponent(params.get("next") ?? "")}` : "";
  return { submit, busy, invite, carry };
}

export function LoginPage() {
  const form = useFormErrors(LOGIN_SPEC);
  const { submit, busy, invite, carry } = useAuthSubmit("login", form.fromError);
  const [params] = useSearchParams();
  const preview = useInvitePreview(invite);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const values = formValues(e.currentTarget, ["email", "password"] as const);
    if (form.validate(values, e.currentTarget)) void submit(values);
  };
  return (
    <AuthFrame>
      <div>
        <h1>{preview.data ? `Log in to join ${preview.data.workspace.name}` : "Welcome back"}</h1>
        <p className="muted">{preview.data ? inviteSentence(preview.data) : "Log in to pick up where your team left off."}</p>
      </div>
      <form className="stack" onSubmit={onSubmit} noValidate>
        <FormError message={form.formError} />
        <div className="field">
          <label htmlFor="email">Email</label>
          <input className="input" id="email" type="email" autoComplete="email" autoFocus defaultValue={params.get("email") ?? preview.data?.email ?? ""} key={preview.data?.email ?? "email"} {...form.fieldProps("email")} />
          <FieldError {...form.errorProps("email")} />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input className="input" id="password" type="password" autoComplete="current-password" {...form.fieldProps("password")} />
          <FieldError {...form.errorProps("password")} />
        </div>
        <button className="btn primary block" type="submit" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
      <p className="muted">
        New here? <Link to={`/signup${carry}`}>Create an account</Link>
      </p>
    </AuthFrame>
  );
}

export function SignupPage() {
  const form = useFormErrors(SIGNUP_SPEC);
  const { submit, busy, invite, carry } = useAuthSubmit("signup", form.fromError);
  const [params] = useSearchParams();
  const preview = useInvitePreview(invite);
  const invited = preview.data;
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const values = formValues(e.currentTarget, ["name", "email", "password"] as const);
    if (form.validate(values, e.currentTarget)) void submit(values);
  };
  return (
    <AuthFrame>
      <div>
        <h1>{invited ? `Join ${invited.workspace.name}` : "Create your account"}</h1>
        <p className="muted">{invited ? `${inviteSentence(invited)} Create your account to join.` : "Free for your whole team. Takes ten seconds."}</p>
      </div>
      {invite && preview.isError && (
        <FormError message={`${errorMessage(preview.error)}. You can still create an account.`} />
      )}
      <form className="stack" onSubmit={onSubmit} noValidate>
        <FormError message={form.formError} />
        <div className="field">
          <label htmlFor="name">Your name</label>
          <input className="input" id="name" autoComplete="name" autoFocus {...form.fieldProps("name")} />
          <FieldError {...form.errorProps("name")} />
        </div>
        <div className="field">
          <label htmlFor="email">Work email</label>
          {invited ? (
            // The invite is for this address only: joining needs the account to have it.
            <input className="input" id="email" type="email" value={invited.email} readOnly {...form.fieldProps("email", "email-invite-hint")} />
          ) : (
            <input className="input" id="email" type="email" autoComplete="email" defaultValue={params.get("email") ?? ""} {...form.fieldProps("email")} />
          )}
          <FieldError {...form.errorProps("email")} />
          {invited && (
            <span className="hint" id="email-invite-hint">
              The invite to {invited.workspace.name} is for this address.
            </span>
          )}
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input className="input" id="password" type="password" autoComplete="new-password" {...form.fieldProps("password", form.errors.password ? undefined : "pw-hint")} />
          <FieldError {...form.errorProps("password")} />
          {!form.errors.password && (
            <span className="hint" id="pw-hint">
              At least {limits.SignupIn.password.minLength} characters.
            </span>
          )}
        </div>
        <button className="btn primary block" type="submit" disabled={busy || (!!invite && preview.isPending)}>
          {busy ? "Creating account…" : invited ? `Create account and join` : "Create account"}
        </button>
      </form>
      <p className="muted">
        Already have an account? <Link to={`/login${carry}`}>Log in</Link>
      </p>
    </AuthFrame>
  );
}
