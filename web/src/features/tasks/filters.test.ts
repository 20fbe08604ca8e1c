import { describe, expect, it } from "vitest";
import type { Task } from "../../api/client";
import { filterFromParams, isFiltering, matchesFilter, searchForView, serverQuery, weekOf, withFilter, withoutFilters } from "./filters";

const task = (over: Partial<Task> = {}) =>
  ({
    title: "Fix the signup bug",
    description: "Emails with a plus sign fail",
    key: "WEB-7",
    status_id: "s-todo",
    status_category: "todo",
    assignee_ids: [],
    priority: "none",
    labels: [],
    due_date: null,
    ...over,
  }) as Task;

// Wednesday 2 December 2026: its week runs Monday 30 November to Sunday 6 December.
const ctx = { me: "u-me", today: new Date(2026, 11, 2, 15, 0) };
const f = (query: string) => filterFromParams(new URLSearchParams(query));

describe("filters in the URL", () => {
  it("reads every filter and drops values the app can't use", () => {
    expect(f("q=%20plus%20&assignee=me&priority=high&priority=bogus&label=bug&due=week&status=s1&task=t1&sort=-priority")).toEqual({
      q: "plus",
      status: ["s1"],
      assignee: ["me"],
      priority: ["high"],
      label: ["bug"],
      due: "week",
    });
    expect(f("due=tomorrow&q=")).toEqual({ q: "", status: [], assignee: [], priority: [], label: [], due: null });
    expect(isFiltering(f("sort=-priority&task=t1"))).toBe(false);
    expect(isFiltering(f("due=none"))).toBe(true);
  });

  it("writes one filter, clears them all, and keeps the other parameters", () => {
    const p = new URLSearchParams("task=t1&sort=number&priority=low");
    expect(withFilter(p, "priority", "urgent").toString()).toBe("task=t1&sort=number&priority=urgent");
    expect(withFilter(p, "q", "  ").toString()).toBe("task=t1&sort=number&priority=low");
    expect(withFilter(p, "priority", null).toString()).toBe("task=t1&sort=number");
    expect(withFilter(p, "q", "x".repeat(300)).get("q")).toHaveLength(200);
    expect(withoutFilters(new URLSearchParams("q=a&assignee=me&due=none&label=b&priority=high&status=s&task=t1&sort=number")).toString()).toBe("task=t1&sort=number");
    expect(p.toString()).toBe("task=t1&sort=number&priority=low"); // never mutated
  });

  it("round-trips through the URL", () => {
    const p = ["q", "assignee", "priority", "label", "due"].reduce(
      (acc, k, i) => withFilter(acc, k as "q", ["needle", "none", "urgent", "ui", "overdue"][i]),
      new URLSearchParams(),
    );
    expect(f(p.toString())).toEqual({ q: "needle", status: [], assignee: ["none"], priority: ["urgent"], label: ["ui"], due: "overdue" });
  });

  it("carries filters between the views, without the open task", () => {
    expect(searchForView(new URLSearchParams("q=a&task=t1&due=week"))).toBe("?q=a&due=week");
    expect(searchForView(new URLSearchParams("task=t1"))).toBe("");
  });

  it("asks the server for what it can filter, not for unassigned or due", () => {
    expect(serverQuery(f("q=a&assignee=me&priority=high&label=bug&status=s1&due=week"))).toEqual({
      q: "a",
      assignee_id: ["me"],
      priority: ["high"],
      label: ["bug"],
      status_id: ["s1"],
    });
    expect(serverQuery(f("assignee=none")).assignee_id).toBeUndefined();
  });
});

describe("matching a task", () => {
  it("finds text in the title, description or key, in any case", () => {
    expect(matchesFilter(task(), f("q=SIGNUP"), ctx)).toBe(true);
    expect(matchesFilter(task(), f("q=plus sign"), ctx)).toBe(true);
    expect(matchesFilter(task(), f("q=web-7"), ctx)).toBe(true);
    expect(matchesFilter(task(), f("q=pricing"), ctx)).toBe(false);
  });

  it("matches assignees: me, a person, or nobody", () => {
    const mine = task({ assignee_ids: ["u-me", "u-ann"] });
    expect(matchesFilter(mine, f("assignee=me"), ctx)).toBe(true);
    expect(matchesFilter(mine, f("assignee=u-ann"), ctx)).toBe(true);
    expect(matchesFilter(mine, f("assignee=none"), ctx)).toBe(false);
    expect(matchesFilter(task(), f("assignee=none"), ctx)).toBe(true);
    expect(matchesFilter(task(), f("assignee=me"), ctx)).toBe(false);
    expect(matchesFilter(mine, f("assignee=me"), { ...ctx, me: undefined })).toBe(false);
  });

  it("matches any of the priorities and all of the labels", () => {
    const t = task({ priority: "high", labels: ["bug", "ui"] });
    expect(matchesFilter(t, f("priority=high&priority=urgent"), ctx)).toBe(true);
    expect(matchesFilter(t, f("priority=low"), ctx)).toBe(false);
    expect(matchesFilter(t, f("label=bug&label=ui"), ctx)).toBe(true);
    expect(matchesFilter(t, f("label=bug&label=api"), ctx)).toBe(false);
  });

  it("sorts due dates into overdue, this week and none", () => {
    expect(weekOf(ctx.today)).toEqual({ start: "2026-11-30", end: "2026-12-06" });
    const yesterday = task({ due_date: "2026-12-01" });
    expect(matchesFilter(yesterday, f("due=overdue"), ctx)).toBe(true);
    expect(matchesFilter({ ...yesterday, status_category: "done" }, f("due=overdue"), ctx)).toBe(false);
    expect(matchesFilter(task({ due_date: "2026-12-02" }), f("due=overdue"), ctx)).toBe(false); // due today is not late yet
    expect(matchesFilter(yesterday, f("due=week"), ctx)).toBe(true);
    expect(matchesFilter(task({ due_date: "2026-12-06" }), f("due=week"), ctx)).toBe(true);
    expect(matchesFilter(task({ due_date: "2026-12-07" }), f("due=week"), ctx)).toBe(false);
    expect(matchesFilter(task(), f("due=week"), ctx)).toBe(false);
    expect(matchesFilter(task(), f("due=none"), ctx)).toBe(true);
    expect(matchesFilter(yesterday, f("due=none"), ctx)).toBe(false);
  });

  it("needs every filter to match", () => {
    const t = task({ priority: "urgent", assignee_ids: ["u-me"], due_date: "2026-11-20" });
    expect(matchesFilter(t, f("q=signup&assignee=me&priority=urgent&due=overdue"), ctx)).toBe(true);
    expect(matchesFilter(t, f("q=signup&assignee=me&priority=urgent&due=none"), ctx)).toBe(false);
  });
});
