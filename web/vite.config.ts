/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";
import { compression } from "vite-plugin-compression2";

// In dev, the API runs separately: `.venv/bin/magictask up --port 8123` (override with MAGICTASK_API).
const api = process.env.MAGICTASK_API ?? "http://127.0.0.1:8123";

/**
 * The server's Content-Security-Policy refuses inline styles, except `<style>` elements carrying the page's
 * nonce. Sonner inserts its stylesheet as a `<style>` without one when it is imported, so that call is
 * dropped here and main.tsx imports sonner's own styles.css instead (same rules, from a file). The build
 * fails if sonner stops shipping its styles this way, rather than silently losing them.
 */
function sonnerStylesFromFile(): Plugin {
  return {
    name: "magictask:sonner-styles-from-file",
    transform(code, id) {
      if (!/[\\/]node_modules[\\/]sonner[\\/]dist[\\/]index\.m?js$/.test(id)) return null;
      const stripped = code.replace(/__insertCSS\("(?:[^"\\]|\\.)*"\);?/, "");
      if (stripped === code) this.error("sonner no longer injects its CSS with __insertCSS(\"…\"): update vite.config.ts");
      return { code: stripped, map: null };
    },
  };
}

/**
 * Libraries in chunks of their own, named so that a page's network log says what it loads. The React core
 * and the rest of what every page needs change rarely, so a new build of the app's own code leaves them
 * cached. Charts (recharts and its d3/redux) and markdown (react-markdown, remark, micromark) are only in the
 * lazy chunks of the pages that draw them: the board's first paint never downloads them.
 */
const vendorChunks = [
  { name: "react", test: /[\\/]node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/, priority: 30 },
  { name: "charts", test: /[\\/]node_modules[\\/]recharts[\\/]/, priority: 20 },
  { name: "markdown", test: /[\\/]node_modules[\\/](react-markdown|remark-gfm)[\\/]/, priority: 20 },
  // The rest of what the first page needs: query cache, radix UI, toasts, icons, drag and drop, the socket.
  { name: "vendor", test: /[\\/]node_modules[\\/]/, tags: ["$initial" as const], priority: 10 },
];

export default defineConfig({
  plugins: [
    react(),
    sonnerStylesFromFile(),
    // gzip and brotli copies next to every text asset (x.js.gz, x.js.br), served by src/magictask/web.py when the
    // browser accepts them. index.html is excluded: the server fills in a fresh nonce on every load.
    // (logLevel "info", the default: "silent" would also swallow a compression error instead of failing the build.)
    compression({ algorithms: ["brotliCompress", "gzip"], exclude: [/\.html$/] }),
  ],
  // A placeholder the server replaces with a fresh nonce on every index.html it serves (src/magictask/web.py);
  // Vite puts it on the tags it writes and in <meta property="csp-nonce">, where main.tsx reads it.
  html: { cspNonce: "MAGICTASK_CSP_NONCE" },
  server: {
    proxy: {
      "/api": api,
      "/socket.io": { target: api, ws: true },
    },
  },
  build: {
    sourcemap: false,
    chunkSizeWarningLimit: 500,
    rolldownOptions: { output: { codeSplitting: { groups: vendorChunks } } },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
