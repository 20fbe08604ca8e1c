// The browser half of bench/web_paint.py: cold loads of a few pages in Chromium, timed by the page itself.
//
//   node bench/web_paint_browser.mjs < config.json > results.json
//
// config: {"runs": N, "chromium": "/usr/bin/chromium", "routes": [{"name", "base": "http://127.0.0.1:PORT",
//          "path", "selector", "cookies": [{"name", "value"}], "localStorage": {k: v}}]}
// Each run of each route is a new browser context (an empty HTTP cache and code cache: a cold load) that
// already holds the session cookie and the "signed in" hint, as a returning user's browser does.
//
// "content" is when the route's first meaningful element (a card, the drawn chart) is on screen: an init
// script watches the DOM from the document's creation and takes the timestamp of the animation frame in
// which the element first exists (the frame that paints it). Navigation timing (responseEnd, DOMContentLoaded,
// load) and resource timing (bytes of each script) come from the same page. Output is JSON; nothing asserted.
import { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// Playwright is the web app's dev dependency: resolve it from there.
const { chromium } = createRequire(resolve(root, "web/package.json"))("playwright-core");

const config = JSON.parse(readFileSync(0, "utf8"));

function watchFor(selector) {
  // Runs in the page before any of its scripts (Playwright's init scripts are not subject to the CSP).
  const mark = { found: null, painted: null };
  window.__benchPaint = mark;
  const check = () => {
    if (mark.found !== null || !document.querySelector(selector)) return;
    mark.found = performance.now();
    observer.disconnect();
    requestAnimationFrame((ts) => {
      mark.painted = ts;
    });
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, attributes: true });
}

const compressedSizes = new Map(); // url -> {identity, gzip, br}
async function sizesOf(request, url) {
  if (!compressedSizes.has(url)) {
    const res = await request.get(url, { headers: { "Accept-Encoding": "identity" } });
    const body = await res.body();
    compressedSizes.set(url, {
      identity: body.length,
      gzip: gzipSync(body, { level: 9 }).length,
      br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    });
  }
  return compressedSizes.get(url);
}

/** CPU seconds (user + system) used so far by the process tree under `root` (Linux /proc). Unlike wall time,
 * it does not grow when other programs keep the machine's cores busy. */
function treeCpuSeconds(root) {
  const stats = new Map(); // pid -> {ppid, ticks}
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" "); // fields from the state on
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      /* the process ended meanwhile */
    }
  }
  let ticks = 0;
  for (const [pid, st] of stats) {
    for (let p = pid, hops = 0; p > 1 && hops < 20; p = stats.get(p)?.ppid ?? 0, hops++) {
      if (p === root) {
        ticks += st.ticks;
        break;
      }
    }
  }
  return ticks / 100; // USER_HZ
}

async function loadOnce(browser, route) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies(route.cookies.map((c) => ({ ...c, url: route.base })));
  await context.addInitScript((items) => {
    for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v);
  }, route.localStorage);
  await context.addInitScript(watchFor, route.selector);
  const page = await context.newPage();
  const cpuBefore = treeCpuSeconds(browserPid);
  const encodings = new Map();
  page.on("response", (r) => encodings.set(r.url(), r.headers()["content-encoding"] ?? "identity"));
  try {
    await page.goto(route.base + route.path, { waitUntil: "commit" });
    await page.waitForFunction(() => window.__benchPaint && window.__benchPaint.painted !== null, null, { timeout: 30_000 });
    const cpuAtContent = treeCpuSeconds(browserPid);
    await page.waitForLoadState("load");
    const result = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const mark = window.__benchPaint;
      const scripts = performance
        .getEntriesByType("resource")
        .filter((e) => new URL(e.name).pathname.endsWith(".js"))
        .map((e) => ({ url: e.name, start: e.startTime, end: e.responseEnd, transfer: e.transferSize, body: e.encodedBodySize, decoded: e.decodedBodySize }));
      const requests = performance
        .getEntriesByType("resource")
        .filter((e) => e.startTime <= mark.painted)
        .map((e) => ({ path: new URL(e.name).pathname + new URL(e.name).search, type: e.initiatorType, start: Math.round(e.startTime), end: Math.round(e.responseEnd) }));
      return {
        content: mark.painted,
        requests,
        responseEnd: nav.responseEnd,
        domContentLoaded: nav.domContentLoadedEventEnd,
        load: nav.loadEventEnd,
        scripts,
      };
    });
    const before = result.scripts.filter((s) => s.start <= result.content);
    result.js = {
      files: before.length,
      transferred: before.reduce((n, s) => n + s.transfer, 0),
      decoded: before.reduce((n, s) => n + s.decoded, 0),
      encodings: [...new Set(before.map((s) => encodings.get(s.url) ?? "?"))],
      names: before.map((s) => new URL(s.url).pathname.split("/").pop()),
      all: result.scripts.map((s) => new URL(s.url).pathname.split("/").pop()),
    };
    let gzip = 0;
    let br = 0;
    for (const s of before) {
      const sizes = await sizesOf(context.request, s.url);
      gzip += sizes.gzip;
      br += sizes.br;
    }
    result.js.gzip9 = gzip;
    result.js.brotli11 = br;
    delete result.scripts;
    result.chromiumCpu = (cpuAtContent - cpuBefore) * 1000; // ms of CPU, all of Chromium's processes
    return result;
  } finally {
    await context.close();
  }
}

// A browser server, so that its process (and the tree of renderers under it) is known.
const server = await chromium.launchServer({
  executablePath: config.chromium ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const browserPid = server.process().pid;
const browser = await chromium.connect(server.wsEndpoint());
const out = {};
try {
  for (const route of config.routes) await loadOnce(browser, route); // warm the server, not the browser
  for (let i = 0; i < config.runs; i++) {
    // Routes interleaved, so that a noisy moment on the machine touches all of them alike.
    for (const route of config.routes) {
      (out[route.name] ??= []).push(await loadOnce(browser, route));
    }
  }
} finally {
  await browser.close();
  await server.close();
}
process.stdout.write(JSON.stringify(out));
