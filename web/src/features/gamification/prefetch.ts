import type { QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { qk } from "../../api/queries";
import { fetchXpHistory } from "../corrections/api";

/**
 * The profile's reads, started when the app opens on the profile (App.tsx) instead of after its chart code has
 * loaded: who I am (the same request as the app's own /me, shared), my progress, then my XP history. Same keys
 * and requests as the page's own queries (useMe, useProgress, useXpHistory), which then find them in flight.
 */
export async function prefetchProfile(qc: QueryClient) {
  void qc.prefetchQuery({ queryKey: qk.progress, queryFn: () => unwrap(api.GET("/api/v1/me/progress")), staleTime: 15_000 });
  try {
    const me = await qc.fetchQuery({ queryKey: qk.me, queryFn: () => unwrap(api.GET("/api/v1/me")), retry: false, staleTime: 60_000 });
    await qc.prefetchQuery({ queryKey: qk.xpHistory(me.id), queryFn: () => fetchXpHistory(me.id) });
  } catch {
    /* signed out or offline: the page's own queries say so */
  }
}
