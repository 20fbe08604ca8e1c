import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";

export type InvitePreview = Schemas["InvitePreview"];

/** The public preview of an invite link (workspace, inviter, invited email, expiry); no account needed. */
export function useInvitePreview(token: string | null) {
  return useQuery({
    queryKey: ["invite", token],
    queryFn: () => unwrap(api.GET("/api/v1/invites/{token}", { params: { path: { token: token ?? "" } } })),
    enabled: !!token,
    retry: false,
    staleTime: 60_000,
  });
}

/** "Olivia invited ada@example.com as a member." */
export function inviteSentence(p: InvitePreview): string {
  const role = p.role === "admin" ? "an admin" : p.role === "guest" ? "a guest" : "a member";
  return p.inviter ? `${p.inviter.name} invited ${p.email} as ${role}.` : `This invite is for ${p.email}, as ${role}.`;
}

/** "Expires in 7 days" / "Expires in 5 hours", rounded to what a person would say. */
export function expiresIn(iso: string, now = Date.now()): string {
  const hours = (new Date(iso).getTime() - now) / 3_600_000;
  if (hours < 1) return "Expires in less than an hour";
  if (hours < 23.5) return `Expires in ${Math.round(hours)} hour${Math.round(hours) === 1 ? "" : "s"}`;
  const days = Math.max(1, Math.round(hours / 24));
  return `Expires in ${days} day${days === 1 ? "" : "s"}`;
}
