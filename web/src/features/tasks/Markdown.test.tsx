import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { isEmbeddableImage, Markdown, resolveMention } from "./Markdown";

const PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==";

describe("Markdown images", () => {
  it("never loads an image from another host: it becomes a link the reader may open", () => {
    const { container } = render(<Markdown text="![tracking pixel](https://evil.example/p.png?who=you)" />);
    expect(container.querySelector("img")).toBeNull();
    const link = screen.getByRole("link", { name: /tracking pixel/ });
    expect(link).toHaveAttribute("href", "https://evil.example/p.png?who=you");
    expect(link).toHaveAttribute("rel", expect.stringContaining("noreferrer"));
  });

  it("embeds images from this site and inline data: images", () => {
    const { container } = render(<Markdown text={`![chart](/assets/chart.png) ![dot](${PIXEL})`} />);
    const srcs = [...container.querySelectorAll("img")].map((i) => i.getAttribute("src"));
    expect(srcs).toEqual(["/assets/chart.png", PIXEL]);
  });

  it("refuses protocol-relative and script URLs", () => {
    const { container } = render(<Markdown text="![a](//evil.example/x.png) ![b](javascript:alert(1))" />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.innerHTML).not.toContain("javascript:");
  });

  it("decides by origin, not by how the URL is written", () => {
    const origin = "https://app.example";
    expect(isEmbeddableImage("/x.png", origin)).toBe(true);
    expect(isEmbeddableImage("https://app.example/x.png", origin)).toBe(true);
    expect(isEmbeddableImage("https://app.example.evil.example/x.png", origin)).toBe(false);
    expect(isEmbeddableImage("http://app.example/x.png", origin)).toBe(false);
    expect(isEmbeddableImage("data:text/html,<b>x</b>", origin)).toBe(false);
    expect(isEmbeddableImage(undefined, origin)).toBe(false);
  });
});

describe("Markdown mentions", () => {
  const people = [{ name: "Dana Scully", email: "dana@example.com" }, { name: "Bo Li" }];

  it("highlights only the @tokens that name someone", () => {
    const { container } = render(<Markdown text="Thanks @Da and @DanaScully, cc @bo. Not `@BoLi` in code." mentions={people} />);
    const shown = [...container.querySelectorAll(".mention")].map((m) => m.textContent);
    expect(shown).toEqual(["@DanaScully", "@bo"]);
    expect(container.textContent).toContain("Thanks @Da and");
  });

  it("resolves a token as the server does: whole, then cut before inner punctuation; ambiguous names nobody", () => {
    expect(resolveMention("dana", people)?.name).toBe("Dana Scully");
    expect(resolveMention("Dana.", people)?.name).toBe("Dana Scully");
    expect(resolveMention("Da", people)).toBeNull();
    expect(resolveMention("Dana", [...people, { name: "Dana Other" }])).toBeNull();
  });
});
