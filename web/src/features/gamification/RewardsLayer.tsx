import { useSyncExternalStore } from "react";
import { useSearchParams } from "react-router";
import { Toaster } from "sonner";
import { REWARDS_TOASTER } from "./rewards";

const DRAWER_WIDTH = 680; // .drawer in styles.css: min(680px, 100vw)
const TOAST_ROOM = 340 + 2 * 16; // a toast and its margins
const GAP = 16;

const wide = typeof window !== "undefined" && typeof window.matchMedia === "function" ? window.matchMedia(`(min-width: ${DRAWER_WIDTH + TOAST_ROOM}px)`) : null;
function subscribe(cb: () => void) {
  wide?.addEventListener("change", cb);
  return () => wide?.removeEventListener("change", cb);
}

/** Where rewards (XP, achievements, level ups) appear: their own toaster, holding one reward toast (updated in
 * place) and at most a level up and an achievement beside it. With the task drawer open they move beside it, so they never cover its editor or comment box; on a
 * screen too narrow for that they sit at the top, over the header, clear of the drawer's body. */
export function RewardsLayer() {
  const [params] = useSearchParams();
  const drawerOpen = params.has("task");
  const roomBeside = useSyncExternalStore(subscribe, () => wide?.matches ?? true, () => true);
  const position = drawerOpen && !roomBeside ? "top-center" : "bottom-right";
  const offset = drawerOpen && roomBeside ? { right: DRAWER_WIDTH + GAP, bottom: GAP } : { top: 8, right: GAP, bottom: GAP };
  // At the top they stack collapsed (the newest in front), so a second one doesn't reach down into the drawer.
  return <Toaster id={REWARDS_TOASTER} className="reward-toaster" position={position} offset={offset} mobileOffset={offset} visibleToasts={3} expand={position !== "top-center"} gap={8} />;
}
