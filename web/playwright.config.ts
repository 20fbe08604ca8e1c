import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// One `magictask up` on a fresh data dir and a free port for the whole run. Workers inherit the env.
async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}
if (!process.env.MT_E2E_PORT) process.env.MT_E2E_PORT = String(await freePort());
if (!process.env.MT_E2E_DATA) process.env.MT_E2E_DATA = mkdtempSync(join(tmpdir(), "mt-e2e-"));
const port = process.env.MT_E2E_PORT;
const baseURL = `http://127.0.0.1:${port}`;
const magictask = resolve(import.meta.dirname, "../.venv/bin/magictask");

export default defineConfig({
  testDir: "./e2e",
  outputDir: "../test-artifacts/e2e-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  globalTimeout: 15 * 60_000, // a hung run fails CI instead of eating its budget
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    viewport: { width: 1360, height: 860 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  webServer: {
    command: `${magictask} up --port ${port} --data-dir ${process.env.MT_E2E_DATA}`,
    url: `${baseURL}/readyz`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: process.env.MT_E2E_VERBOSE ? "pipe" : "ignore",
    gracefulShutdown: { signal: "SIGINT", timeout: 20_000 },
  },
});
