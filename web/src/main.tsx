import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { shareCspNonce } from "./lib/cspNonce";
import { queryClient } from "./lib/queryClient";
import "sonner/dist/styles.css"; // sonner's own stylesheet, as a file (vite.config.ts says why)
import "./styles.css";

shareCspNonce();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
