import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent } from "react";
import { toast } from "sonner";
import { api, unwrap } from "../../api/client";
import { limits } from "../../api/limits";
import { qk } from "../../api/queries";
import { FieldError, FormError, formValues, useFormErrors, type FormSpec } from "../../components/forms";

type PasswordField = "current_password" | "new_password" | "confirm_password";

const PASSWORD_SPEC: FormSpec<PasswordField> = {
  current_password: { required: "Enter your current password", keepSpaces: true, limits: { maxLength: limits.PasswordChange.current_password.maxLength } },
  new_password: { required: "Choose a new password", keepSpaces: true, limits: limits.PasswordChange.new_password },
  confirm_password: { required: "Type the new password again", keepSpaces: true },
};
const FIELDS = ["current_password", "new_password", "confirm_password"] as const;

/** Account settings: change the password (the current one is required); other sessions are signed out. */
export function ChangePasswordSection() {
  const qc = useQueryClient();
  const form = useFormErrors(PASSWORD_SPEC);
  const change = useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) => unwrap(api.POST("/api/v1/me/password", { body })),
    onSuccess: () => {
      toast.success("Password changed. Every other session was signed out.");
      void qc.invalidateQueries({ queryKey: qk.sessions });
    },
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const el = e.currentTarget;
    const values = formValues(el, FIELDS);
    if (!form.validate(values, el)) return;
    if (values.new_password !== values.confirm_password) {
      form.setFieldError("confirm_password", "The two new passwords don't match");
      return;
    }
    change.mutate({ current_password: values.current_password, new_password: values.new_password }, { onSuccess: () => el.reset(), onError: form.fromError });
  };
  return (
    <form className="panel panel-pad stack" onSubmit={onSubmit} aria-labelledby="pw-h" data-testid="change-password" noValidate>
      <h2 id="pw-h">Password</h2>
      <FormError message={form.formError} />
      <div className="field">
        <label htmlFor="current-password">Current password</label>
        <input className="input" id="current-password" type="password" autoComplete="current-password" {...form.fieldProps("current_password")} />
        <FieldError {...form.errorProps("current_password")} />
      </div>
      <div className="field">
        <label htmlFor="new-password">New password</label>
        <input className="input" id="new-password" type="password" autoComplete="new-password" {...form.fieldProps("new_password", "new-pw-hint")} />
        <FieldError {...form.errorProps("new_password")} />
        <span className="hint" id="new-pw-hint">
          At least {limits.PasswordChange.new_password.minLength} characters. Your other sessions will be signed out.
        </span>
      </div>
      <div className="field">
        <label htmlFor="confirm-password">Confirm new password</label>
        <input className="input" id="confirm-password" type="password" autoComplete="new-password" {...form.fieldProps("confirm_password")} />
        <FieldError {...form.errorProps("confirm_password")} />
      </div>
      <div>
        <button className="btn primary" type="submit" disabled={change.isPending}>
          {change.isPending ? "Changing…" : "Change password"}
        </button>
      </div>
    </form>
  );
}
