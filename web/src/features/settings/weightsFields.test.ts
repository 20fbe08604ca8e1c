import { describe, expect, it } from "vitest";
import { ALL_FIELDS, localErrors, plainMessage, serverErrors, valueOf, withValue } from "./weightsFields";

describe("scoring weights form", () => {
  it("covers every tunable weight once, each with help", () => {
    const ids = ALL_FIELDS.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(22); // 12 base XP, 5 priorities, 3 completion factors, 2 streak factors
    for (const f of ALL_FIELDS) expect(f.help.length).toBeGreaterThan(10);
  });

  it("reads and writes nested priority fields", () => {
    const w = withValue({ priority: { none: 1, low: 1.1, medium: 1.2, high: 1.5, urgent: 2 } }, "priority.urgent", 3);
    expect(valueOf(w, "priority.urgent")).toBe(3);
    expect(valueOf(w, "priority.low")).toBe(1.1);
  });

  it("flags empty fields and fractional XP before asking the server", () => {
    const errors = localErrors({ task_completed: 30.5 });
    expect(errors.task_completed).toBe("Use a whole number of XP");
    expect(errors.comment_created).toBe("Enter a number");
  });

  it("turns the server's 422 into one plain message per field", () => {
    const body = { error: { code: "validation_error", message: "…", field: "task_completed", fields: [
      { field: "task_completed", message: "Input should be greater than or equal to 0", type: "greater_than_equal" },
      { field: "comment_created", message: "Input should be less than or equal to 1000", type: "less_than_equal" },
      { field: "priority", message: "Value error, priority multipliers must not decrease from none to urgent", type: "value_error" },
    ] } };
    expect(serverErrors(body)).toEqual({
      task_completed: "Use 0 or more",
      comment_created: "Use 1000 or less",
      priority: "Each priority must be worth at least as much as the one below it",
    });
    expect(plainMessage("Input should be a valid integer", "int_type")).toBe("Use a whole number of XP");
  });
});
