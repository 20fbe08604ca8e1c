import { lazy, Suspense, type ComponentProps } from "react";

// The markdown renderer (react-markdown, remark-gfm, micromark: a third of the app's JavaScript) is a chunk of
// its own: the board paints without it. It is fetched a few seconds after the page has loaded, when the browser
// is idle (not sooner: the first page's own data and rendering come first), so it is usually there before anyone
// opens a task; until it is, the text shows as written.
const load = () => import("./Markdown");
const Renderer = lazy(() => load().then((m) => ({ default: m.Markdown })));

type Props = ComponentProps<typeof Renderer>;

let requested = false;
/** Fetch the renderer's chunk now, so that the first description opened needs no round trip. */
export function preloadMarkdown() {
  if (requested) return;
  requested = true;
  load().catch(() => {
    requested = false; // try again on the next call (a flaky network, a deploy in between)
  });
}

if (typeof window !== "undefined") {
  const whenIdle = window.requestIdleCallback ?? ((fn: () => void) => setTimeout(fn, 1500));
  const schedule = () => setTimeout(() => whenIdle(preloadMarkdown, { timeout: 5000 }), 3000);
  if (document.readyState === "complete") schedule();
  else window.addEventListener("load", schedule, { once: true });
}

/** Markdown, rendered by ./Markdown (safe links and images, mentions) once its chunk is here. */
export function Markdown(props: Props) {
  return (
    <Suspense
      fallback={
        <div className="markdown">
          <p className="markdown-pending">{props.text}</p>
        </div>
      }
    >
      <Renderer {...props} />
    </Suspense>
  );
}
