/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// In dev, the API runs separately: `.venv/bin/magictask up --port 8123` (override with MAGICTASK_API).
const api = process.env.MAGICTASK_API ?? "http://127.0.0.1:8123";

export default defineConfig({
  plugins: [react()],
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
