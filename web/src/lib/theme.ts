import { createStore } from "./store";

export type Theme = "light" | "dark";
const initial = (typeof document !== "undefined" && (document.documentElement.dataset.theme as Theme)) || "light";
export const theme = createStore<Theme>(initial === "dark" ? "dark" : "light");

export function setTheme(t: Theme) {
  document.documentElement.dataset.theme = t;
  try {
    localStorage.setItem("mt.theme", t);
  } catch {
    /* private mode */
  }
  theme.set(t);
}
