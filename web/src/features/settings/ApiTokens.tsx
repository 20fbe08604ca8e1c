import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Dialog } from "radix-ui";
import { Check, Copy, KeyRound, Plus, TriangleAlert } from "lucide-react";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { toast } from "sonner";
import { api, errorMessage, unwrap, type ApiToken, type ApiTokenCreated } from "../../api/client";
import { limits } from "../../api/limits";
import { FieldError, FormError, useFormErrors, type FormSpec } from "../../components/forms";
import { qk } from "../../api/queries";
import { relativeTime, Spinner } from "../../components/ui";

/** The server keeps at most this many personal tokens per account (accounts/service.py). */
export const MAX_TOKENS = 50;
const TOKEN_SPEC: FormSpec<"name"> = { name: { required: "Name the token", limits: limits.TokenCreate.name } };

function When({ iso, prefix }: { iso: string; prefix: string }) {
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {prefix} {relativeTime(iso)}
    </time>
  );
}

function expiry(t: ApiToken, now = Date.now()): string {
  if (!t.expires_at) return "Never expires";
  const d = new Date(t.expires_at);
  const day = d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  return d.getTime() <= now ? `Expired ${day}` : `Expires ${day}`;
}

/** Copy to the clipboard; where the Clipboard API is missing (plain http), select the field and use execCommand. */
async function copyText(text: string, field: HTMLInputElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* denied: fall back below */
  }
  field?.focus();
  field?.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

function NewTokenSecret({ token, onDone }: { token: ApiTokenCreated; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, [token.id]);
  const copy = async () => {
    if (await copyText(token.token, field.current)) {
      setCopied(true);
      toast.success("Token copied");
    } else {
      field.current?.select();
      toast.error("Couldn't copy automatically. The token is selected: press Ctrl+C (⌘C on a Mac).");
    }
  };
  return (
    <div className="token-secret" role="region" aria-labelledby="new-tok-h" data-testid="new-token">
      <h3 id="new-tok-h">
        <Check size={16} aria-hidden /> Token “{token.name}” created
      </h3>
      <p className="small" id="new-tok-note">
        <TriangleAlert size={14} aria-hidden className="token-warn-icon" /> <b>Copy it now: you won't see it again.</b> MagicTask keeps only a fingerprint of it; if you lose it, revoke it and create another.
      </p>
      <div className="row wrap">
        <label className="sr-only" htmlFor="new-token-value">
          Your new API token
        </label>
        <input
          ref={field}
          id="new-token-value"
          className="input token-value"
          readOnly
          value={token.token}
          onFocus={(e) => e.currentTarget.select()}
          aria-describedby="new-tok-note"
          spellCheck={false}
          autoComplete="off"
          data-testid="new-token-value"
        />
        <button type="button" className="btn" onClick={() => void copy()} aria-label="Copy token">
          {copied ? <Check size={15} aria-hidden /> : <Copy size={15} aria-hidden />} {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <p className="tiny muted">
        Send it as <code>Authorization: Bearer {token.prefix}…</code> It acts as you, in every workspace you belong to{token.scope === "read" ? ", and can only read" : ""}.
      </p>
      <div>
        <button type="button" className="btn sm" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function RevokeDialog({ token, onConfirm, onClose }: { token: ApiToken; onConfirm: () => void; onClose: () => void }) {
  return (
    <Dialog.Root open onOpenChange={(o) => !o && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog" data-testid="revoke-token-dialog">
          <Dialog.Title asChild>
            <h2>Revoke “{token.name}”?</h2>
          </Dialog.Title>
          <Dialog.Description className="muted">Anything using this token stops working immediately. This can't be undone.</Dialog.Description>
          <div className="dialog-actions">
            <Dialog.Close asChild>
              <button className="btn">Cancel</button>
            </Dialog.Close>
            <button className="btn primary danger-fill" onClick={onConfirm}>
              Revoke token
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

type Scope = ApiToken["scope"];
const SCOPE_LABEL: Record<Scope, string> = { read: "Read only", write: "Read and write" };

/** Expiry choices for a new token (days; the API accepts 1-366 or none). */
const EXPIRY_CHOICES: [string, string][] = [
  ["7", "7 days"],
  ["30", "30 days"],
  ["90", "90 days"],
  ["365", "1 year"],
  ["never", "No expiry"],
];

/** Account settings: personal API tokens: list, create (the secret shown once), revoke. */
export function ApiTokensSection() {
  const qc = useQueryClient();
  const nameField = useRef<HTMLInputElement>(null);
  const [name, setName] = useState("");
  const [expiresIn, setExpiresIn] = useState<string>("90");
  const [scope, setScope] = useState<Scope>("read"); // least privilege unless the person asks for more
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const tokens = useQuery({ queryKey: qk.tokens, queryFn: () => unwrap(api.GET("/api/v1/me/tokens")) });
  const create = useMutation({
    mutationFn: ({ tokenName, days, access }: { tokenName: string; days: number | null; access: Scope }) =>
      unwrap(api.POST("/api/v1/me/tokens", { body: { name: tokenName, expires_in_days: days, scope: access } })),
    onSuccess: (t) => {
      setCreated(t);
      setName("");
      const row: ApiToken = { id: t.id, name: t.name, prefix: t.prefix, scope: t.scope, created_at: t.created_at, last_used_at: null, expires_at: t.expires_at ?? null };
      qc.setQueryData<ApiToken[]>(qk.tokens, (old) => [row, ...(old ?? []).filter((x) => x.id !== t.id)]);
      void qc.invalidateQueries({ queryKey: qk.tokens });
    },
  });
  const revoke = useMutation({
    mutationFn: (t: ApiToken) => unwrap(api.DELETE("/api/v1/me/tokens/{token_id}", { params: { path: { token_id: t.id } } })),
    onMutate: async (t) => {
      await qc.cancelQueries({ queryKey: qk.tokens });
      const prev = qc.getQueryData<ApiToken[]>(qk.tokens);
      qc.setQueryData<ApiToken[]>(qk.tokens, (old) => old?.filter((x) => x.id !== t.id));
      if (created?.id === t.id) setCreated(null);
      return { prev };
    },
    onSuccess: (_r, t) => toast.success(`Revoked “${t.name}”`),
    onError: (e, t, ctx) => {
      qc.setQueryData(qk.tokens, ctx?.prev);
      toast.error(`Couldn't revoke “${t.name}”: ${errorMessage(e)}`);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: qk.tokens }),
  });
  const form = useFormErrors(TOKEN_SPEC);
  const list = tokens.data ?? [];
  const full = list.length >= MAX_TOKENS;
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!form.validate({ name }, e.currentTarget) || create.isPending) return;
    create.mutate({ tokenName: name.trim(), days: expiresIn === "never" ? null : Number(expiresIn), access: scope }, { onError: form.fromError });
  };
  return (
    <section className="panel panel-pad stack" aria-labelledby="tok-h" data-testid="api-tokens">
      <div>
        <h2 id="tok-h">API tokens</h2>
        <p className="small muted" style={{ marginTop: 4 }}>
          Personal tokens let scripts and integrations use the MagicTask API as you. Treat them like passwords.
        </p>
      </div>
      <form className="stack" onSubmit={onSubmit} aria-label="Create an API token">
        <FormError message={form.formError} />
        <div className="field">
          <label htmlFor="token-name">Token name</label>
          <div className="row wrap">
            <input
              ref={nameField}
              className="input token-name"
              id="token-name"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                if (create.isError) create.reset();
              }}
              maxLength={limits.TokenCreate.name.maxLength}
              placeholder="e.g. CI deploy script"
              {...form.fieldProps("name", "token-name-hint")}
              autoComplete="off"
              disabled={full}
            />
            <select className="select token-scope" value={scope} onChange={(e) => setScope(e.target.value as Scope)} aria-label="Access" aria-describedby="token-scope-hint" disabled={full}>
              {(Object.keys(SCOPE_LABEL) as Scope[]).map((value) => (
                <option key={value} value={value}>
                  {SCOPE_LABEL[value]}
                </option>
              ))}
            </select>
            <select className="select token-expiry" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)} aria-label="Expires" disabled={full}>
              {EXPIRY_CHOICES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
            <button className="btn primary" type="submit" disabled={!name.trim() || create.isPending || full}>
              <Plus size={15} aria-hidden /> {create.isPending ? "Creating…" : "Create token"}
            </button>
          </div>
          <FieldError {...form.errorProps("name")} />
          <span className="hint" id="token-scope-hint">
            {scope === "read" ? "Read only: it can look at everything you can, and change nothing." : "Read and write: it can change anything you can (never manage tokens or your password)."}
          </span>
          <span className="hint" id="token-name-hint">
            {full ? `You have ${MAX_TOKENS} tokens, the most allowed. Revoke one to create another.` : "A name that says where it's used, so you know what to revoke later. A token stops working when it expires; revoke it sooner when you're done."}
          </span>
        </div>
      </form>
      {created && (
        <NewTokenSecret
          token={created}
          onDone={() => {
            setCreated(null);
            requestAnimationFrame(() => nameField.current?.focus());
          }}
        />
      )}
      {tokens.isPending ? (
        <Spinner label="Loading tokens" />
      ) : tokens.isError ? (
        <div className="form-error" role="alert">
          Couldn't load your tokens: {errorMessage(tokens.error)}{" "}
          <button className="btn ghost sm" onClick={() => void tokens.refetch()}>
            Retry
          </button>
        </div>
      ) : list.length === 0 ? (
        <p className="small muted" data-testid="no-tokens">
          No tokens yet.
        </p>
      ) : (
        <ul className="token-list" aria-label="Your API tokens">
          {list.map((t) => (
            <li key={t.id} className="token-row" data-testid="api-token">
              <KeyRound size={17} className="muted" aria-hidden />
              <div className="token-info">
                <div className="token-title">
                  <b>{t.name}</b> <code className="token-prefix">{t.prefix}…</code> <span className="chip">{SCOPE_LABEL[t.scope]}</span>
                </div>
                <div className="small muted token-meta">
                  <When iso={t.created_at} prefix="Created" /> · {t.last_used_at ? <When iso={t.last_used_at} prefix="last used" /> : "never used"} · {expiry(t)}
                </div>
              </div>
              <button className="btn sm danger" onClick={() => setRevoking(t)} aria-label={`Revoke token ${t.name}`} disabled={revoke.isPending && revoke.variables?.id === t.id}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      {list.length > 0 && (
        <p className="tiny muted">
          {list.length} of {MAX_TOKENS} tokens
        </p>
      )}
      {revoking && (
        <RevokeDialog
          token={revoking}
          onConfirm={() => {
            revoke.mutate(revoking);
            setRevoking(null);
            // Its row is gone: put focus somewhere that still exists.
            requestAnimationFrame(() => nameField.current?.focus());
          }}
          onClose={() => setRevoking(null)}
        />
      )}
    </section>
  );
}
