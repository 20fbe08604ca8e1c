import { useQueryClient } from "@tanstack/react-query";
import { Flame, Trophy, Sparkles } from "lucide-react";
import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, ApiError, errorMessage, session, unwrap } from "../../api/client";
import { qk } from "../../api/queries";
import { BrandMark } from "../../components/ui";

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

function useAuthSubmit(kind: "login" | "signup") {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (body: { email: string; password: string; name?: string }) => {
    setBusy(true);
    setError(null);
    try {
      const out =
        kind === "login"
          ? await unwrap(api.POST("/api/v1/auth/login", { body: { email: body.email, password: body.password } }))
          : await unwrap(api.POST("/api/v1/auth/signup", { body: { email: body.email, password: body.password, name: body.name ?? "" } }));
      session.set(); // the token itself stays in the HttpOnly cookie the response set
      qc.clear();
      qc.setQueryData(qk.me, out.user);
      const next = params.get("next");
      navigate(next && next.startsWith("/") ? next : "/", { replace: true });
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { error: { message: errorMessage(e) } }));
    } finally {
      setBusy(false);
    }
  };
  return { submit, error, busy, next: params.get("next") };
}

export function LoginPage() {
  const { submit, error, busy, next } = useAuthSubmit("login");
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    void submit({ email: String(f.get("email")), password: String(f.get("password")) });
  };
  return (
    <AuthFrame>
      <div>
        <h1>Welcome back</h1>
        <p className="muted">Log in to pick up where your team left off.</p>
      </div>
      <form className="stack" onSubmit={onSubmit} noValidate>
        {error && <div className="form-error" role="alert">{error.message}</div>}
        <div className="field">
          <label htmlFor="email">Email</label>
          <input className="input" id="email" name="email" type="email" autoComplete="email" required autoFocus />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input className="input" id="password" name="password" type="password" autoComplete="current-password" required />
        </div>
        <button className="btn primary block" type="submit" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
      <p className="muted">
        New here? <Link to={`/signup${next ? `?next=${encodeURIComponent(next)}` : ""}`}>Create an account</Link>
      </p>
    </AuthFrame>
  );
}

export function SignupPage() {
  const { submit, error, busy, next } = useAuthSubmit("signup");
  const [params] = useSearchParams();
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    void submit({ name: String(f.get("name")), email: String(f.get("email")), password: String(f.get("password")) });
  };
  const fieldError = (name: string) => (error?.field === name ? error.message : null);
  return (
    <AuthFrame>
      <div>
        <h1>Create your account</h1>
        <p className="muted">Free for your whole team. Takes ten seconds.</p>
      </div>
      <form className="stack" onSubmit={onSubmit} noValidate>
        {error && !error.field && <div className="form-error" role="alert">{error.message}</div>}
        <div className="field">
          <label htmlFor="name">Your name</label>
          <input className="input" id="name" name="name" autoComplete="name" required autoFocus aria-invalid={!!fieldError("name")} />
          {fieldError("name") && <span className="error">{fieldError("name")}</span>}
        </div>
        <div className="field">
          <label htmlFor="email">Work email</label>
          <input className="input" id="email" name="email" type="email" autoComplete="email" required defaultValue={params.get("email") ?? ""} aria-invalid={!!fieldError("email")} />
          {fieldError("email") && <span className="error">{fieldError("email")}</span>}
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input className="input" id="password" name="password" type="password" autoComplete="new-password" required minLength={8} aria-invalid={!!fieldError("password")} aria-describedby="pw-hint" />
          {fieldError("password") ? <span className="error">{fieldError("password")}</span> : <span className="hint" id="pw-hint">At least 8 characters.</span>}
        </div>
        <button className="btn primary block" type="submit" disabled={busy}>
          {busy ? "Creating account…" : "Create account"}
        </button>
      </form>
      <p className="muted">
        Already have an account? <Link to={`/login${next ? `?next=${encodeURIComponent(next)}` : ""}`}>Log in</Link>
      </p>
    </AuthFrame>
  );
}
