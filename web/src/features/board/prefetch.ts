import type { QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { fetchBoardTasks, qk } from "../../api/queries";

/**
 * When the app opens on a board, its two reads (the project with its columns, the tasks) start as soon as the
 * code has loaded (App.tsx), not after React's first render has reached the board: same keys and requests as
 * useProject and useBoardTasks, which then find them in flight. A big board still shows its first page at once.
 */
export function prefetchBoard(qc: QueryClient, pid: string) {
  void qc.prefetchQuery({ queryKey: qk.project(pid), queryFn: () => unwrap(api.GET("/api/v1/projects/{project_id}", { params: { path: { project_id: pid } } })) });
  void qc.prefetchQuery({
    queryKey: qk.board(pid),
    queryFn: () =>
      fetchBoardTasks(pid, (soFar) => {
        if (!qc.getQueryData(qk.board(pid))) qc.setQueryData(qk.board(pid), soFar);
      }),
  });
}
