import { describe, expect, it } from "vitest";
import type { Task } from "../../api/client";
import { dropTarget, groupByStatus, positionBetween } from "./positions";

const t = (id: string, status_id: string, position: number) => ({ id, status_id, position, number: 1 }) as Task;

describe("positions", () => {
  it("puts a card between, before, after or alone", () => {
    expect(positionBetween(1, 3)).toBe(2);
    expect(positionBetween(undefined, 100)).toBe(100 - 1024);
    expect(positionBetween(100, undefined)).toBe(100 + 1024);
    expect(positionBetween(undefined, undefined)).toBe(1024);
  });

  it("groups by column in position order and finds the drop position", () => {
    const tasks = [t("b", "s1", 20), t("a", "s1", 10), t("c", "s2", 5)];
    const items = groupByStatus(tasks, ["s1", "s2", "s3"]);
    expect(items).toEqual({ s1: ["a", "b"], s2: ["c"], s3: [] });
    const moved = { s1: ["a"], s2: ["b", "c"], s3: [] };
    const byId = new Map(tasks.map((x) => [x.id, x]));
    expect(dropTarget(moved, "b", byId)).toEqual({ statusId: "s2", position: 5 - 1024 });
    expect(dropTarget({ s1: ["a", "c", "b"] }, "c", byId)).toEqual({ statusId: "s1", position: 15 });
  });
});
