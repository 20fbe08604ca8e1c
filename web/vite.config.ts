/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

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

export default defineConfig({
  plugins: [react(), sonnerStylesFromFile()],
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
    chunkSizeWarningLimit: 1200,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
