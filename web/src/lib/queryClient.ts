import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/client";

/** The app's one query cache: main.tsx provides it to React; route prefetches (App.tsx) fill it before the
 * first render, so a page finds its data already on the way. */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      retry: (count, e) => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && count < 2,
    },
  },
});
