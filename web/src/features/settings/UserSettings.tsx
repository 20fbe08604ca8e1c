import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent } from "react";
import { toast } from "sonner";
import { api, ApiError, errorMessage, unwrap, type User } from "../../api/client";
import { limits } from "../../api/limits";
import { FieldError, FormError, formValues, useFormErrors, type FormSpec } from "../../components/forms";
import { qk, useMe } from "../../api/queries";
import { Switch } from "../../components/ui";
import { setTheme, theme } from "../../lib/theme";
import { useHeaderTitle } from "../workspaces/AppLayout";
import { ApiTokensSection } from "./ApiTokens";
import { ChangePasswordSection } from "./ChangePassword";
import { SessionsSection } from "./Sessions";

const PROFILE_SPEC: FormSpec<"name" | "timezone"> = {
  name: { required: "Enter your name", limits: limits.MePatch.name },
  timezone: { required: "Choose a time zone", limits: limits.MePatch.timezone },
};

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
      // A field problem shows beside its field in the profile form; anything else is a toast.
      if (!(e instanceof ApiError && e.fields.length > 0)) toast.error(`Couldn't save: ${errorMessage(e)}`);
    },
    onSuccess: (u) => {
      qc.setQueryData(qk.me, u);
      void qc.invalidateQueries({ queryKey: ["leaderboard"] });
      toast.success("Saved");
    },
  });
  const form = useFormErrors(PROFILE_SPEC);
  const u = me.data;
  if (!u) return null;
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const values = formValues(e.currentTarget, ["name", "timezone"] as const);
    if (!form.validate(values, e.currentTarget)) return;
    patch.mutate({ name: values.name.trim(), timezone: values.timezone.trim() }, { onError: form.fromError });
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
        <form className="panel panel-pad stack" onSubmit={onSubmit} aria-labelledby="prof-h" noValidate>
          <h2 id="prof-h">Profile</h2>
          <FormError message={form.formError} />
          <div className="field">
            <label htmlFor="me-name">Name</label>
            <input className="input" id="me-name" defaultValue={u.name} maxLength={limits.MePatch.name.maxLength} {...form.fieldProps("name")} />
            <FieldError {...form.errorProps("name")} />
          </div>
          <div className="field">
            <label htmlFor="me-tz">Time zone</label>
            <select className="select" id="me-tz" defaultValue={u.timezone} {...form.fieldProps("timezone", "me-tz-hint")}>
              {(zones.includes(u.timezone) ? zones : [u.timezone, ...zones]).map((z) => (
                <option key={z}>{z}</option>
              ))}
            </select>
            <FieldError {...form.errorProps("timezone")} />
            <span className="hint" id="me-tz-hint">
              Your streak and daily bonus follow your local day.
            </span>
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
