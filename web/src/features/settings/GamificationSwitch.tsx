import { AlertDialog } from "radix-ui";
import { useState } from "react";
import { Switch } from "../../components/ui";

/** The workspace-wide gamification switch. Flipping it changes the game for everyone in the workspace, so it
 * asks first, in a dialog that says what will happen. */
export function GamificationSwitch({ workspaceName, on, onConfirm }: { workspaceName: string; on: boolean; onConfirm: (on: boolean) => void }) {
  const [asking, setAsking] = useState<boolean | null>(null); // the value being confirmed
  const turningOff = asking === false;
  return (
    <>
      <Switch id="gam-toggle" checked={on} onChange={(v) => setAsking(v)} label="Gamification" />
      <AlertDialog.Root open={asking !== null} onOpenChange={(o) => !o && setAsking(null)}>
        <AlertDialog.Portal>
          <AlertDialog.Overlay className="overlay" />
          <AlertDialog.Content className="dialog" data-testid="gamification-confirm">
            <AlertDialog.Title asChild>
              <h2>{turningOff ? `Turn off gamification for everyone in ${workspaceName}?` : `Turn on gamification for everyone in ${workspaceName}?`}</h2>
            </AlertDialog.Title>
            <AlertDialog.Description asChild>
              {turningOff ? (
                <ul className="confirm-list">
                  <li>Nobody earns XP for work in this workspace while it is off; levels, streaks and achievements stop moving here.</li>
                  <li>XP bars, reward toasts and the leaderboard disappear for every member.</li>
                  <li>Tasks, comments and activity are still recorded, XP already earned is kept, and you can turn it back on at any time.</li>
                </ul>
              ) : (
                <ul className="confirm-list">
                  <li>Everyone in this workspace starts earning XP, levels, streaks and achievements for their work from now on.</li>
                  <li>XP bars, reward toasts and the leaderboard appear for every member.</li>
                  <li>Work done while it was off earns nothing retroactively.</li>
                </ul>
              )}
            </AlertDialog.Description>
            <div className="dialog-actions">
              <AlertDialog.Cancel asChild>
                <button className="btn">Cancel</button>
              </AlertDialog.Cancel>
              <AlertDialog.Action asChild>
                <button className={`btn primary ${turningOff ? "danger-solid" : ""}`} onClick={() => asking !== null && onConfirm(asking)}>
                  {turningOff ? "Turn off gamification" : "Turn on gamification"}
                </button>
              </AlertDialog.Action>
            </div>
          </AlertDialog.Content>
        </AlertDialog.Portal>
      </AlertDialog.Root>
    </>
  );
}
