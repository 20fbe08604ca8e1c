import { describe, expect, it } from "vitest";
import { timeAxis } from "./timeAxis";

const at = (y: number, m: number, d: number, h = 0, min = 0) => new Date(y, m - 1, d, h, min).getTime();
const labels = (times: number[]) => {
  const axis = timeAxis(times);
  return { axis, shown: axis.ticks.map(axis.format) };
};

describe("timeAxis", () => {
  it("gives distinct hours when every point is in the same minute", () => {
    const times = Array.from({ length: 10 }, (_, i) => at(2026, 12, 2, 4, 58) + i * 1000);
    const { axis, shown } = labels(times);
    expect(shown.length).toBeGreaterThanOrEqual(2);
    expect(new Set(shown).size).toBe(shown.length);
    expect(axis.domain[0]).toBeLessThanOrEqual(Math.min(...times));
    expect(axis.domain[1]).toBeGreaterThanOrEqual(Math.max(...times));
    expect(axis.label).toMatch(/^Time on /);
  });

  it("gives at most 7 distinct hours over a working day", () => {
    const { shown } = labels([at(2026, 12, 2, 8, 10), at(2026, 12, 2, 17, 45)]);
    expect(shown.length).toBeLessThanOrEqual(7);
    expect(new Set(shown).size).toBe(shown.length);
  });

  it("gives dates, not times, for several days", () => {
    const { axis, shown } = labels([at(2026, 11, 1, 9), at(2026, 11, 20, 18), at(2026, 12, 2, 4, 58)]);
    expect(axis.label).toBe("Date");
    expect(shown.length).toBeLessThanOrEqual(7);
    expect(new Set(shown).size).toBe(shown.length);
    expect(shown[0]).toBe(new Date(2026, 10, 1).toLocaleDateString(undefined, { month: "short", day: "numeric" }));
    expect(axis.domain[1]).toBeGreaterThanOrEqual(new Date(2026, 11, 2).getTime());
  });

  it("labels every day of a two-day history", () => {
    const { shown } = labels([at(2026, 12, 1, 23), at(2026, 12, 2, 1)]);
    expect(shown).toHaveLength(2);
  });
});
