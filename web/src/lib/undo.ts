import { toast } from "sonner";
import { errorMessage } from "../api/client";

/** How long a delete's toast offers Undo. The server keeps the deleted thing for 30 s
 * (trash.RESTORE_WINDOW), so a click in the toast's last moment, on a slow network, still lands. */
export const UNDO_MS = 10_000;

/** Tell what was deleted, with an Undo button for UNDO_MS. `restore` puts it back (server and caches);
 * when it fails (the window closed, someone else undid it first), the reason is shown in plain words. */
export function offerUndo(message: string, restore: () => Promise<unknown>, restoredMessage: string) {
  toast.success(message, {
    duration: UNDO_MS,
    action: {
      label: "Undo",
      onClick: () => {
        restore().then(
          () => toast.success(restoredMessage),
          (e: unknown) => toast.error(`Couldn't undo: ${errorMessage(e)}`),
        );
      },
    },
  });
}
