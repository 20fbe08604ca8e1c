import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { toast } from "sonner";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../api/client";
import { renderWithProviders, stubFetch } from "../../test/utils";
import { UserSettingsPage } from "./UserSettings";
import { describeUserAgent } from "./userAgent";

const me = { id: "u1", email: "ada@example.com", name: "Ada Lovelace", timezone: "UTC", skip_weekends: false, leaderboard_opt_out: false, created_at: "2026-01-01T00:00:00Z" };
const CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36";
const SAFARI_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";

function serve(routes: Parameters<typeof stubFetch>[0] = {}) {
  const sessions: Schemas["SessionOut"][] = [
    { id: "s1", name: CHROME_LINUX, ip: "10.0.0.5", created_at: "2026-01-01T00:00:00Z", last_used_at: new Date().toISOString(), expires_at: null, current: true },
    { id: "s2", name: SAFARI_IPHONE, ip: "198.51.100.7", created_at: "2026-01-01T00:00:00Z", last_used_at: null, expires_at: null, current: false },
  ];
  const calls = stubFetch({
    "GET /api/v1/me": () => [200, me],
    "GET /api/v1/me/tokens": () => [200, []],
    "GET /api/v1/me/sessions": () => [200, sessions],
    "DELETE /api/v1/me/sessions/{id}": (_b, url) => {
      sessions.splice(0, sessions.length, ...sessions.filter((s) => !url.pathname.endsWith(s.id)));
      return [204, null];
    },
    "DELETE /api/v1/me/sessions": () => [204, null],
    "POST /api/v1/me/password": () => [204, null],
    ...routes,
  });
  renderWithProviders(<UserSettingsPage />, { route: "/w/w1/account" });
  return calls;
}

const sessionsPanel = () => screen.getByRole("region", { name: "Where you're signed in" });
const sessionRows = () => within(sessionsPanel()).queryAllByTestId("session");

describe("Sessions in account settings", () => {
  afterEach(() => vi.restoreAllMocks());

  it("lists where you're signed in, marks this device, and signs another one out", async () => {
    const calls = serve();
    await waitFor(() => expect(sessionRows()).toHaveLength(2));
    const [here, phone] = sessionRows();
    expect(here).toHaveTextContent("Chrome on Linux");
    expect(here).toHaveTextContent("This device");
    expect(within(here).queryByRole("button", { name: /Sign out/ })).toBeNull(); // "Log out" does that
    expect(phone).toHaveTextContent("Safari on iOS");
    expect(phone).toHaveTextContent("198.51.100.7");
    fireEvent.click(within(phone).getByRole("button", { name: "Sign out Safari on iOS" }));
    await waitFor(() => expect(sessionRows()).toHaveLength(1));
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.path)).toEqual(["/api/v1/me/sessions/s2"]);
  });

  it("logs out everywhere only after confirming", async () => {
    const calls = serve();
    await waitFor(() => expect(sessionRows()).toHaveLength(2));
    fireEvent.click(within(sessionsPanel()).getByRole("button", { name: "Log out everywhere" }));
    const dialog = screen.getByRole("dialog", { name: "Log out everywhere?" });
    expect(dialog).toHaveTextContent("this one included");
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls.filter((c) => c.method === "DELETE")).toHaveLength(0);
    fireEvent.click(within(sessionsPanel()).getByRole("button", { name: "Log out everywhere" }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Log out everywhere" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "DELETE").map((c) => c.path)).toEqual(["/api/v1/me/sessions"]));
  });
});

describe("Changing the password", () => {
  afterEach(() => vi.restoreAllMocks());
  const form = () => screen.getByRole("form", { name: "Password" });
  const fill = (current: string, next: string, confirm = next) => {
    fireEvent.change(within(form()).getByLabelText("Current password"), { target: { value: current } });
    fireEvent.change(within(form()).getByLabelText("New password"), { target: { value: next } });
    fireEvent.change(within(form()).getByLabelText("Confirm new password"), { target: { value: confirm } });
    fireEvent.click(within(form()).getByRole("button", { name: "Change password" }));
  };

  it("sends the current and new password, then says the other sessions were signed out", async () => {
    const success = vi.spyOn(toast, "success").mockImplementation(() => "");
    const calls = serve();
    await screen.findByRole("form", { name: "Password" });
    fill("old password", "a new passphrase");
    await waitFor(() => expect(success).toHaveBeenCalledWith("Password changed. Every other session was signed out."));
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ current_password: "old password", new_password: "a new passphrase" });
    expect(within(form()).getByLabelText("Current password")).toHaveValue("");
  });

  it("catches a mistyped confirmation before asking the server", async () => {
    const calls = serve();
    await screen.findByRole("form", { name: "Password" });
    fill("old password", "a new passphrase", "a new passphrasf");
    expect(await within(form()).findByText("The two new passwords don't match")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });

  it("shows the server's refusal next to the field it names", async () => {
    serve({ "POST /api/v1/me/password": () => [422, { error: { code: "wrong_password", message: "Current password is incorrect", field: "current_password" } }] });
    await screen.findByRole("form", { name: "Password" });
    fill("wrong", "a new passphrase");
    const current = within(form()).getByLabelText("Current password");
    await waitFor(() => expect(current).toHaveAttribute("aria-invalid", "true"));
    expect(within(form()).getByText("Current password is incorrect")).toBeInTheDocument();
  });
});

describe("Token scope picker", () => {
  it("offers read only (the default) and read and write", async () => {
    const calls = serve({
      "POST /api/v1/me/tokens": (body) => [201, { id: "k", name: "x", prefix: "mtp_x", scope: (body as { scope: string }).scope, created_at: new Date().toISOString(), expires_at: null, token: "mtp_xyz" }],
    });
    const tokens = await screen.findByRole("region", { name: "API tokens" });
    const access = within(tokens).getByLabelText("Access");
    expect(access).toHaveValue("read");
    expect(tokens).toHaveTextContent("can look at everything you can, and change nothing");
    fireEvent.change(access, { target: { value: "write" } });
    fireEvent.change(within(tokens).getByLabelText("Token name"), { target: { value: "Deploy bot" } });
    fireEvent.click(within(tokens).getByRole("button", { name: "Create token" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toMatchObject({ name: "Deploy bot", scope: "write" }));
  });
});

describe("describeUserAgent", () => {
  it("names browser and system, or says it doesn't know", () => {
    expect(describeUserAgent(CHROME_LINUX)).toBe("Chrome on Linux");
    expect(describeUserAgent(SAFARI_IPHONE)).toBe("Safari on iOS");
    expect(describeUserAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0")).toBe("Firefox on Windows");
    expect(describeUserAgent("python-httpx/0.28")).toBe("python-httpx/0.28");
    expect(describeUserAgent("session")).toBe("Unknown device");
  });
});
