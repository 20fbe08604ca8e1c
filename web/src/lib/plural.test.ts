import { describe, expect, it } from "vitest";
import { listInWords, noun, plural } from "./plural";

describe("plural", () => {
  it("agrees with the count", () => {
    expect(plural(1, "member")).toBe("1 member");
    expect(plural(0, "member")).toBe("0 members");
    expect(plural(2, "member")).toBe("2 members");
    expect(plural(1, "person", "people")).toBe("1 person");
    expect(plural(3, "person", "people")).toBe("3 people");
  });
  it("gives the noun alone", () => {
    expect(noun(1, "day")).toBe("day");
    expect(noun(5, "day")).toBe("days");
  });
  it("formats large counts", () => {
    expect(plural(1200, "task")).toBe((1200).toLocaleString() + " tasks");
  });
});

describe("listInWords", () => {
  it("joins names as a sentence does", () => {
    expect(listInWords([])).toBe("");
    expect(listInWords(["Dana"])).toBe("Dana");
    expect(listInWords(["Dana", "Bo"])).toBe("Dana and Bo");
    expect(listInWords(["Dana", "Bo", "Cy"])).toBe("Dana, Bo and Cy");
  });
});
