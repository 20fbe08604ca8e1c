import { lazy, Suspense, type ComponentType } from "react";
import { matchPath, type Params } from "react-router";

/** Shown while a page's chunk loads: empty at first (most arrive within a frame or two on a good network),
 * then a quiet "Loading…" if it takes longer (styles.css, `.page-loading`). */
function PageLoading() {
  return (
    <div className="empty page-loading" role="status" aria-live="polite">
      <span className="muted">Loading…</span>
    </div>
  );
}

/** The chunk could not be fetched: most often a new version was deployed and the old file is gone. */
function PageFailed() {
  return (
    <div className="empty" role="alert">
      <h2>This page didn't load</h2>
      <p className="muted">MagicTask may have been updated since this tab opened, or the connection dropped.</p>
      <button className="btn primary" onClick={() => location.reload()}>
        Reload
      </button>
    </div>
  );
}

/**
 * A route's page as a chunk of its own (React.lazy), loaded when it is first shown, with its own Suspense
 * boundary: the app's shell and the page's siblings stay on screen (and keep fetching) while it loads.
 * `name` is the page's named export in that module. When the address the app opened at is `path` (a route
 * pattern), the chunk is requested at once, while the first bundle is still starting up, not after the first
 * render reaches the route; `prefetch` then starts the page's reads too, in parallel with its code.
 */
export function page<K extends string>(
  load: () => Promise<Record<K, ComponentType>>,
  name: K,
  path?: string,
  prefetch?: (params: Params) => void,
): ComponentType {
  let loading: ReturnType<typeof load> | undefined;
  const start = () => (loading ??= load());
  const opening = path && typeof location !== "undefined" ? matchPath(path, location.pathname) : null;
  if (opening) {
    start();
    prefetch?.(opening.params);
  }
  const Lazy = lazy<ComponentType>(() =>
    start().then(
      (m) => ({ default: m[name] }),
      () => ({ default: PageFailed }),
    ),
  );
  function Page() {
    return (
      <Suspense fallback={<PageLoading />}>
        <Lazy />
      </Suspense>
    );
  }
  Page.displayName = `Page(${name})`;
  return Page;
}
