import { queryOptions, type QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

// The analytics page's reads, shared with the prefetch that starts them when the app opens on that page
// (App.tsx), so that they run while the page's chart code loads instead of after it.
const path = (ws: string) => ({ path: { workspace_id: ws } });

export const activityQuery = (ws: string) =>
  queryOptions({ queryKey: ["analytics", ws, "activity"], queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/analytics/activity", { params: path(ws) })), retry: false });
export const retentionQuery = (ws: string) =>
  queryOptions({ queryKey: ["analytics", ws, "retention"], queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/analytics/retention", { params: path(ws) })), retry: false });
export const gamificationQuery = (ws: string) =>
  queryOptions({ queryKey: ["analytics", ws, "gamification"], queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/analytics/gamification", { params: path(ws) })), retry: false });

export function prefetchAnalytics(qc: QueryClient, ws: string) {
  void qc.prefetchQuery(activityQuery(ws));
  void qc.prefetchQuery(retentionQuery(ws));
  void qc.prefetchQuery(gamificationQuery(ws));
}
