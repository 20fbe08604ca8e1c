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

/** "Expires in 7 days" / "Expires today". */
export function expiresIn(iso: string, now = Date.now()): string {
  const days = Math.floor((new Date(iso).getTime() - now) / 86_400_000);
  if (days <= 0) return "Expires today";
  return days === 1 ? "Expires tomorrow" : `Expires in ${days} days`;
}
