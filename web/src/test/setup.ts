import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// findBy*/waitFor give up after 1 s by default; a first render of a whole page on a busy CI machine (two
// cores shared with other jobs) can take longer. Waiting longer costs nothing when things go right.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => cleanup());
