import type { QueryClient } from "@tanstack/react-query";
import { api, unwrap, type User } from "../../api/client";
import { qk } from "../../api/queries";
import { fetchXpHistory } from "../corrections/api";

/** Who was signed in here last (an id, no credential): the profile's XP history can be asked for before /me
 * answers. A wrong guess (another account since) costs one request the page never uses (keys are per user). */
const LAST_USER = "mt.user";

function lastUser(): string | null {
  try {
    return localStorage.getItem(LAST_USER);
  } catch {
    return null;
  }
}

/** Keep the id of whoever /me says is signed in, whenever it answers. */
export function rememberSignedInUser(qc: QueryClient) {
  qc.getQueryCache().subscribe((event) => {
    if (event.type !== "updated" || event.query.queryKey[0] !== qk.me[0]) return;
    const me = event.query.state.data as User | undefined;
    try {
      if (me?.id && localStorage.getItem(LAST_USER) !== me.id) localStorage.setItem(LAST_USER, me.id);
    } catch {
      /* private mode: no head start */
    }
  });
}

const xpHistory = (qc: QueryClient, uid: string) => qc.prefetchQuery({ queryKey: qk.xpHistory(uid), queryFn: () => fetchXpHistory(uid) });

/**
 * The profile's reads, started when the app opens on the profile (App.tsx) instead of after its chart code has
 * loaded: my progress, who I am (the same request as the app's own /me, shared), and my XP history, at once
 * for the user last signed in here, else once /me answers. Same keys and requests as the page's own queries
 * (useMe, useProgress, useXpHistory), which then find them in flight or done.
 */
export async function prefetchProfile(qc: QueryClient) {
  void qc.prefetchQuery({ queryKey: qk.progress, queryFn: () => unwrap(api.GET("/api/v1/me/progress")), staleTime: 15_000 });
  const guess = lastUser();
  if (guess) void xpHistory(qc, guess);
  try {
    const me = await qc.fetchQuery({ queryKey: qk.me, queryFn: () => unwrap(api.GET("/api/v1/me")), retry: false, staleTime: 60_000 });
    if (me.id !== guess) await xpHistory(qc, me.id);
  } catch {
    /* signed out or offline: the page's own queries say so */
  }
}
