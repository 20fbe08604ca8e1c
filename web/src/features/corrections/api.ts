import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, unwrap, type LedgerItem, type Schemas } from "../../api/client";
import { qk } from "../../api/queries";

export type Correction = Schemas["CorrectionOut"];
export type Flag = Schemas["FlagOut"];
export type ReviewItem = Schemas["ReviewItem"];
export type FlagStatus = Flag["status"];
export type Anomalies = Schemas["AnomaliesOut"];
export type Finding = Anomalies["findings"][number];

export const reviewKeys = {
  queue: (ws: string, status: FlagStatus) => ["xp-flags", ws, status] as const,
  anomalies: (ws: string, days: number) => ["analytics", ws, "anomalies", days] as const,
};

/** Every XP history on screen (mine, a member's) and the review queues: after a correction or a flag. */
export function invalidateReviews(qc: QueryClient) {
  void qc.invalidateQueries({ queryKey: ["xp-history"] });
  void qc.invalidateQueries({ queryKey: ["xp-flags"] });
  void qc.invalidateQueries({ queryKey: qk.progress });
}

/** A user's XP history, newest first: up to `pages` pages of 200. */
export async function fetchXpHistory(userId: string, pages = 5): Promise<LedgerItem[]> {
  const all: LedgerItem[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < pages; i++) {
    const page = await unwrap(api.GET("/api/v1/users/{user_id}/xp-history", { params: { path: { user_id: userId }, query: { limit: 200, cursor } } }));
    all.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return all;
}

export function useXpHistory(userId: string | undefined) {
  return useQuery({ queryKey: qk.xpHistory(userId ?? ""), queryFn: () => fetchXpHistory(userId!), enabled: !!userId });
}

export function useFlagAward() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ ledgerId, reason }: { ledgerId: number; reason: string }) =>
      unwrap(api.POST("/api/v1/xp/awards/{ledger_id}/flags", { params: { path: { ledger_id: ledgerId } }, body: { reason } })),
    onSuccess: () => invalidateReviews(qc),
  });
}

export function useCorrectAward() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ ledgerId, xp, reason }: { ledgerId: number; xp: number; reason: string }) =>
      unwrap(api.POST("/api/v1/xp/awards/{ledger_id}/corrections", { params: { path: { ledger_id: ledgerId } }, body: { xp, reason } })),
    onSuccess: () => invalidateReviews(qc),
  });
}

export function useResolveFlag() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ flagId, action, xp, note }: { flagId: number; action: "dismiss" | "adjust"; xp?: number; note: string }) =>
      unwrap(api.POST("/api/v1/xp-flags/{flag_id}/resolve", { params: { path: { flag_id: flagId } }, body: { action, xp: action === "adjust" ? xp : undefined, note } })),
    onSuccess: () => invalidateReviews(qc),
  });
}

export function useReviewQueue(ws: string, status: FlagStatus, enabled = true) {
  return useQuery({
    queryKey: reviewKeys.queue(ws, status),
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/xp-flags", { params: { path: { workspace_id: ws }, query: { status, limit: 50 } } })),
    enabled: enabled && !!ws,
    retry: false,
  });
}

export function useAnomalies(ws: string, days: number) {
  return useQuery({
    queryKey: reviewKeys.anomalies(ws, days),
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/analytics/anomalies", { params: { path: { workspace_id: ws }, query: { days } } })),
    enabled: !!ws,
    retry: false,
    staleTime: 60_000,
  });
}
