import { Dialog } from "radix-ui";
import { Keyboard, X } from "lucide-react";
import { Fragment, useEffect } from "react";
import { createStore } from "../lib/store";
import { listenForShortcuts, SHORTCUT_GROUPS, useRegisteredShortcuts, useShortcuts } from "../lib/shortcuts";

/** Whether the "?" cheat sheet is open (a button elsewhere may open it too). */
export const cheatSheet = createStore(false);

const KEY_NAMES: Record<string, string> = { Escape: "Esc", Enter: "Enter", "/": "/", "?": "?" };
const keyName = (k: string) => KEY_NAMES[k] ?? k.toUpperCase();

function Keys({ keys }: { keys: string }) {
  const parts = keys.split(" ");
  return (
    <span className="shortcut-keys">
      {parts.map((k, i) => (
        <Fragment key={i}>
          {i > 0 && <span className="tiny muted">then</span>}
          <kbd className="kbd">{keyName(k)}</kbd>
        </Fragment>
      ))}
    </span>
  );
}

/** The app's one keyboard listener and its "?" cheat sheet, which lists the shortcuts of the current page. */
export function KeyboardShortcuts() {
  const open = cheatSheet.use();
  const list = useRegisteredShortcuts();
  useEffect(() => listenForShortcuts(), []);
  useShortcuts([
    { keys: "?", description: "Show keyboard shortcuts", group: "General", run: () => cheatSheet.set(true) },
    { keys: "Escape", description: "Close the open task or dialog", group: "General" },
  ]);
  return (
    <Dialog.Root open={open} onOpenChange={cheatSheet.set}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog" data-testid="shortcuts-dialog">
          <div className="row">
            <Dialog.Title asChild>
              <h2 className="row">
                <Keyboard size={18} aria-hidden /> Keyboard shortcuts
              </h2>
            </Dialog.Title>
            <span className="spacer" />
            <Dialog.Close asChild>
              <button className="btn ghost icon sm" aria-label="Close">
                <X size={16} />
              </button>
            </Dialog.Close>
          </div>
          <Dialog.Description className="small muted">They work anywhere on the page except while you type in a field.</Dialog.Description>
          {SHORTCUT_GROUPS.map((group) => {
            const items = list.filter((s) => s.group === group);
            if (items.length === 0) return null;
            return (
              <section key={group} className="shortcut-group" aria-label={group}>
                <h3 className="eyebrow">{group}</h3>
                <dl>
                  {items.map((s) => (
                    <div key={s.keys} className="shortcut-row">
                      <dt>{s.description}</dt>
                      <dd>
                        <Keys keys={s.keys} />
                      </dd>
                    </div>
                  ))}
                </dl>
              </section>
            );
          })}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
