import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { toast } from "sonner";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApiToken } from "../../api/client";
import { renderWithProviders, stubFetch } from "../../test/utils";
import { UserSettingsPage } from "./UserSettings";

const me = { id: "u1", email: "ada@example.com", name: "Ada Lovelace", timezone: "UTC", skip_weekends: false, leaderboard_opt_out: false, created_at: "2026-01-01T00:00:00Z" };
const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
const SECRET = "mtp_s3cr3t-only-shown-once-0123456789abcdefghijk";

/** A token store behind the three endpoints, as the server keeps it. */
function serve(over: Partial<Record<"POST" | "DELETE", (body: unknown) => [number, unknown]>> = {}) {
  const tokens: ApiToken[] = [
    { id: "k1", name: "CI deploy", prefix: "mtp_AbCdEfGh", scope: "write", created_at: "2026-01-01T00:00:00Z", last_used_at: hourAgo, expires_at: null },
    { id: "k2", name: "Old laptop script", prefix: "mtp_ZyXwVuTs", scope: "read", created_at: "2026-01-01T00:00:00Z", last_used_at: null, expires_at: "2026-02-01T00:00:00Z" },
  ];
  const calls = stubFetch({
    "GET /api/v1/me": () => [200, me],
    "GET /api/v1/me/tokens": () => [200, tokens],
    "GET /api/v1/me/sessions": () => [200, []],
    "POST /api/v1/me/tokens": (body) => {
      if (over.POST) return over.POST(body);
      const { name, expires_in_days: days, scope } = body as { name: string; expires_in_days: number | null; scope: "read" | "write" };
      const expires_at = days ? new Date(Date.now() + days * 86_400_000).toISOString() : null;
      const t = { id: "k3", name, prefix: SECRET.slice(0, 12), scope, created_at: new Date().toISOString(), expires_at };
      tokens.unshift({ ...t, last_used_at: null });
      return [201, { ...t, token: SECRET }];
    },
    "DELETE /api/v1/me/tokens/{id}": (body) => {
      if (over.DELETE) return over.DELETE(body);
      tokens.splice(0, tokens.length, ...tokens.filter((t) => t.id !== "k1"));
      return [204, null];
    },
  });
  renderWithProviders(<UserSettingsPage />);
  return calls;
}

const section = () => screen.getByRole("region", { name: "API tokens" });
const rows = () => within(section()).queryAllByTestId("api-token");

describe("API tokens in account settings", () => {
  afterEach(() => vi.restoreAllMocks());

  it("lists your tokens with what the server knows about them, never a secret", async () => {
    serve();
    await waitFor(() => expect(rows()).toHaveLength(2));
    const [ci, old] = rows();
    expect(ci).toHaveTextContent("CI deploy");
    expect(ci).toHaveTextContent("mtp_AbCdEfGh…");
    expect(ci).toHaveTextContent(/Created .* · last used 1h ago · Never expires/);
    expect(ci).toHaveTextContent("Read and write");
    expect(old).toHaveTextContent("Read only");
    expect(old).toHaveTextContent("never used");
    expect(old).toHaveTextContent(/Expired/);
    expect(within(section()).getByRole("list", { name: "Your API tokens" })).toBeInTheDocument();
    expect(within(ci).getByRole("button", { name: "Revoke token CI deploy" })).toBeInTheDocument();
  });

  it("creates a token and shows its secret exactly once, with Copy", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const calls = serve();
    await waitFor(() => expect(rows()).toHaveLength(2));
    const create = within(section()).getByRole("button", { name: "Create token" });
    expect(create).toBeDisabled(); // no name yet
    fireEvent.change(within(section()).getByLabelText("Token name"), { target: { value: "  Zapier  " } });
    expect(create).toBeEnabled();
    fireEvent.click(create);

    const shown = await screen.findByRole("region", { name: /Token “Zapier” created/ });
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ name: "Zapier", expires_in_days: 90, scope: "read" }); // the defaults
    const value = within(shown).getByLabelText("Your new API token");
    expect(value).toHaveValue(SECRET);
    expect(value).toHaveAttribute("readonly");
    expect(value).toHaveFocus();
    expect(shown).toHaveTextContent("you won't see it again");
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows()[0]).toHaveTextContent("Zapier");
    expect(within(section()).getByLabelText("Token name")).toHaveValue("");

    await act(async () => {
      fireEvent.click(within(shown).getByRole("button", { name: "Copy token" }));
    });
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(within(shown).getByRole("button", { name: "Copy token" })).toHaveTextContent("Copied");

    fireEvent.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByRole("region", { name: /created/ })).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
    await waitFor(() => expect(within(section()).getByLabelText("Token name")).toHaveFocus());
  });

  it("asks for the expiry chosen, or none", async () => {
    const calls = serve();
    await waitFor(() => expect(rows()).toHaveLength(2));
    const name = within(section()).getByLabelText("Token name");
    const expires = within(section()).getByLabelText("Expires");
    fireEvent.change(name, { target: { value: "Weekly report" } });
    fireEvent.change(expires, { target: { value: "7" } });
    fireEvent.click(within(section()).getByRole("button", { name: "Create token" }));
    await screen.findByRole("region", { name: /Token “Weekly report” created/ });
    fireEvent.click(screen.getByRole("button", { name: "Done" }));
    fireEvent.change(name, { target: { value: "Forever bot" } });
    fireEvent.change(expires, { target: { value: "never" } });
    fireEvent.click(within(section()).getByRole("button", { name: "Create token" }));
    await screen.findByRole("region", { name: /Token “Forever bot” created/ });
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { name: "Weekly report", expires_in_days: 7, scope: "read" },
      { name: "Forever bot", expires_in_days: null, scope: "read" },
    ]);
  });

  it("shows the server's refusal (the 50-token limit) next to the form", async () => {
    const calls = serve({ POST: () => [409, { error: { code: "token_limit_reached", message: "At most 50 personal tokens; revoke one first" } }] });
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.change(within(section()).getByLabelText("Token name"), { target: { value: "One more" } });
    fireEvent.click(within(section()).getByRole("button", { name: "Create token" }));
    expect(await within(section()).findByRole("alert")).toHaveTextContent("At most 50 personal tokens; revoke one first");
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(1);
    expect(screen.queryByRole("region", { name: /created/ })).toBeNull();
  });

  it("revokes only after confirming, and the row goes at once", async () => {
    const calls = serve();
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.click(within(rows()[0]).getByRole("button", { name: "Revoke token CI deploy" }));
    let dialog = screen.getByRole("dialog", { name: "Revoke “CI deploy”?" });
    expect(dialog).toHaveTextContent("stops working immediately");
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(calls.filter((c) => c.method === "DELETE")).toHaveLength(0);

    fireEvent.click(within(rows()[0]).getByRole("button", { name: "Revoke token CI deploy" }));
    dialog = screen.getByRole("dialog", { name: "Revoke “CI deploy”?" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Revoke token" }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0]).toHaveTextContent("Old laptop script");
    await waitFor(() => expect(calls.filter((c) => c.method === "DELETE").map((c) => c.path)).toEqual(["/api/v1/me/tokens/k1"]));
  });

  it("a failed revoke puts the token back and says why", async () => {
    const error = vi.spyOn(toast, "error").mockImplementation(() => "");
    serve({ DELETE: () => [500, { error: { code: "internal", message: "Database unavailable" } }] });
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.click(within(rows()[0]).getByRole("button", { name: "Revoke token CI deploy" }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Revoke token" }));
    await waitFor(() => expect(error).toHaveBeenCalledWith("Couldn't revoke “CI deploy”: Database unavailable"));
    expect(rows()).toHaveLength(2);
    expect(rows()[0]).toHaveTextContent("CI deploy");
  });
});
