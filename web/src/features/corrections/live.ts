import type { QueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import type { RealtimeEvent } from "../../realtime/socket";
import { invalidateReviews } from "./api";

/** The `notification` kinds the server sends about XP reviews (realtime/routing.py). */
export const REVIEW_KINDS = ["xp_adjusted", "xp_flagged", "xp_flag_resolved"] as const;

export function isReviewKind(kind: string | undefined): boolean {
  return !!kind && (REVIEW_KINDS as readonly string[]).includes(kind);
}

/** One line for a review notification: the bell and the toast say the same. */
export function reviewText(kind: string, data: Record<string, unknown>, me?: string): string {
  const mine = data.award_user_id === me || data.user_id === me;
  switch (kind) {
    case "xp_adjusted":
      return `corrected your award: ${data.previous_xp} → ${data.xp} XP`;
    case "xp_flagged":
      return "flagged one of your awards for review";
    default:
      return `${data.status === "adjusted" ? "adjusted" : "dismissed"} the flag on ${mine ? "your award" : "the award you flagged"}`;
  }
}

/** A review notification arrived: every XP history and review queue on screen refetches, and a toast says
 * what happened. Returns false for other kinds. */
export function onReviewNotification(qc: QueryClient, ev: RealtimeEvent, me?: string): boolean {
  if (!isReviewKind(ev.kind)) return false;
  invalidateReviews(qc);
  const d = ev.data ?? {};
  const why = typeof d.reason === "string" ? d.reason : typeof d.note === "string" ? d.note : "";
  const who = ev.kind === "xp_flagged" ? "A teammate" : "An admin";
  toast(`${who} ${reviewText(ev.kind!, d, me)}`, { description: why || undefined });
  return true;
}
