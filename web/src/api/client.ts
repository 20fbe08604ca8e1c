import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Task = Schemas["TaskOut"];
export type Project = Schemas["ProjectOut"];
export type Status = Schemas["StatusOut"];
export type Workspace = Schemas["WorkspaceOut"];
export type Member = Schemas["MemberOut"];
export type User = Schemas["UserOut"];
export type Comment = Schemas["CommentOut"];
export type Progress = Schemas["ProgressOut"];
export type Achievement = Schemas["AchievementOut"];
export type LedgerItem = Schemas["LedgerItem"];
export type ActivityItem = Schemas["ActivityItem"];
export type Priority = Task["priority"];
export type TaskPatch = Schemas["TaskUpdate"];
export type ScoringWeights = Schemas["ScoringWeights"];
export type Explanation = Schemas["Explanation"];
export type XpPreview = Schemas["XpPreview"];
export type ApiToken = Schemas["TokenOut"];
export type ApiTokenCreated = Schemas["TokenCreated"];

const SIGNED_IN_HINT = "mt.signed-in";
const LEGACY_TOKEN_KEY = "mt.token"; // earlier versions kept a copy of the session token here

/**
 * The session lives only in the HttpOnly cookie (fetches and the socket send it), out of reach of any
 * script. The page keeps a hint that this browser was signed in, not a credential: with it, pages render
 * at once while /me confirms the session.
 */
export const session = {
  get hinted(): boolean {
    try {
      return localStorage.getItem(SIGNED_IN_HINT) === "1";
    } catch {
      return false;
    }
  },
  set() {
    try {
      localStorage.setItem(SIGNED_IN_HINT, "1");
    } catch {
      /* private mode: no optimistic render */
    }
  },
  clear() {
    try {
      localStorage.removeItem(SIGNED_IN_HINT);
    } catch {
      /* nothing stored */
    }
  },
};

try {
  localStorage.removeItem(LEGACY_TOKEN_KEY);
} catch {
  /* nothing stored */
}

/** Mutation ids this tab sent (X-Mutation-Id): the socket echo of our own change is dropped. */
const ownMutations = new Set<string>();
let mutationSeq = 0;
const tabId = Math.random().toString(36).slice(2, 8);

export function newMutationId(): string {
  mutationSeq += 1;
  const id = `web-${tabId}-${Date.now().toString(36)}-${mutationSeq}`;
  ownMutations.add(id);
  if (ownMutations.size > 500) {
    const first = ownMutations.values().next().value;
    if (first) ownMutations.delete(first);
  }
  return id;
}

export function isOwnMutation(id: string | null | undefined): boolean {
  return !!id && ownMutations.has(id);
}

const mutationIdMiddleware: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && !request.headers.has("X-Mutation-Id")) {
      request.headers.set("X-Mutation-Id", newMutationId());
    }
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: typeof location !== "undefined" ? location.origin : "http://localhost",
  credentials: "same-origin",
  // Late-bound so tests can replace globalThis.fetch.
  fetch: (req: Request) => globalThis.fetch(req),
});
api.use(mutationIdMiddleware);

/** One problem with one input field, as the API reports it in `error.fields` (type: pydantic's, e.g. "missing"). */
export interface FieldProblem {
  field: string;
  message: string;
  type: string | null;
}

/** An error response from the API: {"error": {"code","message","field","fields"}, ...extra}. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  /** Every field problem (a 422 lists them all); a business error naming one field gives that one. */
  readonly fields: FieldProblem[];
  /** Seconds to wait before trying again (429: Retry-After, else the body's `retry_after`), or null. */
  readonly retryAfter: number | null;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: unknown, retryAfterHeader?: string | null) {
    const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    const err = (b.error ?? {}) as { code?: string; message?: string; field?: string | null; fields?: unknown };
    super(err.message || `Request failed (${status})`);
    this.status = status;
    this.code = err.code || "http_error";
    this.field = err.field ?? null;
    const listed = Array.isArray(err.fields) ? (err.fields as Partial<FieldProblem>[]) : [];
    this.fields = listed
      .filter((f) => typeof f?.field === "string")
      .map((f) => ({ field: String(f.field), message: String(f.message ?? ""), type: f.type ?? null }));
    if (this.fields.length === 0 && this.field) this.fields = [{ field: this.field, message: this.message, type: this.code }];
    this.retryAfter = parseRetryAfter(retryAfterHeader) ?? (typeof b.retry_after === "number" ? b.retry_after : null);
    this.body = b;
  }
}

/** Retry-After is delta-seconds or an HTTP date; either becomes seconds from now. */
function parseRetryAfter(value: string | null | undefined): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

type FetchResult<T> = { data?: T; error?: unknown; response: Response };

/** Resolve an openapi-fetch call to its data or throw an ApiError. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (e) {
    throw new ApiError(0, { error: { code: "network", message: "Can't reach MagicTask. Check your connection." } });
  }
  if (result.error !== undefined || !result.response.ok) {
    if (result.response.status === 401) onUnauthorized?.();
    throw new ApiError(result.response.status, result.error, result.response.headers.get("Retry-After"));
  }
  return result.data as T;
}

let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return "Something went wrong";
}
