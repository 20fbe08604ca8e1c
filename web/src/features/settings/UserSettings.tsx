import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent } from "react";
import { toast } from "sonner";
import { api, errorMessage, unwrap, type User } from "../../api/client";
import { qk, useMe } from "../../api/queries";
import { Switch } from "../../components/ui";
import { setTheme, theme } from "../../lib/theme";
import { useHeaderTitle } from "../workspaces/AppLayout";
import { ApiTokensSection } from "./ApiTokens";
import { ChangePasswordSection } from "./ChangePassword";
import { SessionsSection } from "./Sessions";

export function UserSettingsPage() {
  const me = useMe();
  const qc = useQueryClient();
  const t = theme.use();
  useHeaderTitle("Account");
  const patch = useMutation({
    mutationFn: (body: { name?: string; timezone?: string; skip_weekends?: boolean; leaderboard_opt_out?: boolean }) => unwrap(api.PATCH("/api/v1/me", { body })),
    onMutate: (body) => {
      const prev = qc.getQueryData<User>(qk.me);
      qc.setQueryData<User>(qk.me, (u) => (u ? { ...u, ...body } : u));
      return { prev };
    },
    onError: (e, _b, ctx) => {
      qc.setQueryData(qk.me, ctx?.prev);
      toast.error(`Couldn't save: ${errorMessage(e)}`);
    },
    onSuccess: (u) => {
      qc.setQueryData(qk.me, u);
      void qc.invalidateQueries({ queryKey: ["leaderboard"] });
      toast.success("Saved");
    },
  });
  const u = me.data;
  if (!u) return null;
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    patch.mutate({ name: String(f.get("name")).trim(), timezone: String(f.get("timezone")).trim() });
  };
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [u.timezone];
  return (
    <div className="page" style={{ maxWidth: 720 }}>
      <div className="page-head">
        <div>
          <h1>Account settings</h1>
          <p>{u.email}</p>
        </div>
      </div>
      <div className="stack-lg">
        <form className="panel panel-pad stack" onSubmit={onSubmit} aria-labelledby="prof-h">
          <h2 id="prof-h">Profile</h2>
          <div className="field">
            <label htmlFor="me-name">Name</label>
            <input className="input" id="me-name" name="name" defaultValue={u.name} required maxLength={100} />
          </div>
          <div className="field">
            <label htmlFor="me-tz">Time zone</label>
            <select className="select" id="me-tz" name="timezone" defaultValue={u.timezone}>
              {(zones.includes(u.timezone) ? zones : [u.timezone, ...zones]).map((z) => (
                <option key={z}>{z}</option>
              ))}
            </select>
            <span className="hint">Your streak and daily bonus follow your local day.</span>
          </div>
          <div>
            <button className="btn primary" type="submit">
              Save profile
            </button>
          </div>
        </form>
        <section className="panel panel-pad stack" aria-labelledby="pref-h">
          <h2 id="pref-h">Preferences</h2>
          <div className="row" style={{ justifyContent: "space-between", gap: 16 }}>
            <label htmlFor="opt-out">
              <b>Hide me from leaderboards</b>
              <span className="small muted" style={{ display: "block" }}>
                You keep earning XP and see your own rank; teammates won't see you ranked.
              </span>
            </label>
            <Switch id="opt-out" checked={u.leaderboard_opt_out} onChange={(v) => patch.mutate({ leaderboard_opt_out: v })} label="Hide me from leaderboards" />
          </div>
          <div className="row" style={{ justifyContent: "space-between", gap: 16 }}>
            <label htmlFor="skip-we">
              <b>Weekends don't break my streak</b>
              <span className="small muted" style={{ display: "block" }}>
                Saturdays and Sundays are skipped when counting streak days.
              </span>
            </label>
            <Switch id="skip-we" checked={u.skip_weekends} onChange={(v) => patch.mutate({ skip_weekends: v })} label="Weekends don't break my streak" />
          </div>
          <div className="row" style={{ justifyContent: "space-between", gap: 16 }}>
            <label htmlFor="dark">
              <b>Dark theme</b>
            </label>
            <Switch id="dark" checked={t === "dark"} onChange={(v) => setTheme(v ? "dark" : "light")} label="Dark theme" />
          </div>
        </section>
        <ChangePasswordSection />
        <SessionsSection />
        <ApiTokensSection />
      </div>
    </div>
  );
}
