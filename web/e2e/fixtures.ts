import { expect, test as base, type BrowserContext } from "@playwright/test";

/**
 * Content-Security-Policy violations seen by any page of the run. The server's policy is strict (no inline
 * script or style, images only from this origin or data:); a violation means part of the app silently broke
 * (a style not applied, an image or script refused), so every test fails on one, wherever it happened.
 * Two channels: the page's `securitypolicyviolation` events, and Chromium's console "Refused to ..." lines.
 */
const violations: string[] = [];
let reported = 0;
const watched = new WeakSet<BrowserContext>();

export async function watchCsp(context: BrowserContext): Promise<void> {
  if (watched.has(context)) return;
  watched.add(context);
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  context.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|CSP violation|Refused to (load|apply|execute|connect|frame)/.test(text)) violations.push(`${msg.location().url}: ${text}`);
  });
}

/** The violations since the last check (those of a beforeAll show up in the test that follows it). */
export function takeCspViolations(): string[] {
  const fresh = violations.slice(reported);
  reported = violations.length;
  return fresh;
}

export const test = base.extend<{ cspGuard: void }>({
  cspGuard: [
    async ({ context }, use) => {
      await watchCsp(context);
      await use();
      expect(takeCspViolations(), "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
