import { QueryClient } from "@tanstack/react-query";
import { afterEach, describe, expect, it } from "vitest";
import { qk } from "../../api/queries";
import { stubFetch } from "../../test/utils";
import { prefetchProfile, rememberSignedInUser } from "./prefetch";

const me = { id: "u1", email: "ada@example.com", name: "Ada Lovelace", timezone: "UTC", skip_weekends: false, leaderboard_opt_out: false, created_at: "2026-01-01T00:00:00Z" };

describe("profile prefetch", () => {
  afterEach(() => localStorage.clear());

  it("remembers who /me says is signed in, and next time asks for their XP history without waiting for /me", async () => {
    const calls = stubFetch({
      "GET /api/v1/me": () => [200, me],
      "GET /api/v1/me/progress": () => [200, { xp: 10 }],
      "GET /api/v1/users/{id}/xp-history": () => [200, { items: [], next_cursor: null }],
    });
    const first = new QueryClient();
    rememberSignedInUser(first);
    await prefetchProfile(first);
    expect(localStorage.getItem("mt.user")).toBe("u1");
    expect(calls.map((c) => c.path)).toEqual(["/api/v1/me/progress", "/api/v1/me", "/api/v1/users/u1/xp-history"]);

    calls.length = 0;
    const next = new QueryClient();
    await prefetchProfile(next);
    // The history went out before /me (the remembered id), and once only.
    expect(calls.map((c) => c.path)).toEqual(["/api/v1/me/progress", "/api/v1/users/u1/xp-history", "/api/v1/me"]);
    expect(next.getQueryData(qk.xpHistory("u1"))).toEqual([]);
  });
});
