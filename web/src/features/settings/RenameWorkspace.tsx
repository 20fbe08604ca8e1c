import { type FormEvent } from "react";
import { limits } from "../../api/limits";
import { FieldError, FormError, formValues, useFormErrors, type FormSpec } from "../../components/forms";

const RENAME_SPEC: FormSpec<"name"> = { name: { required: "Enter a workspace name", limits: limits.WorkspacePatch.name } };

/** Workspace settings: rename. A blank name is refused beside the field (as the server would), not ignored. */
export function RenameWorkspaceForm({ name, onRename }: { name: string | undefined; onRename: (name: string, onError: (e: unknown) => void) => void }) {
  const form = useFormErrors(RENAME_SPEC);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const values = formValues(e.currentTarget, ["name"] as const);
    if (form.validate(values, e.currentTarget)) onRename(values.name.trim(), form.fromError);
  };
  return (
    <form className="stack" onSubmit={onSubmit} noValidate>
      <FormError message={form.formError} />
      <div className="row" style={{ alignItems: "flex-end" }}>
        <div className="field" style={{ flex: 1 }}>
          <label htmlFor="ws-name-edit">Workspace name</label>
          <input className="input" id="ws-name-edit" defaultValue={name} key={name} maxLength={limits.WorkspacePatch.name.maxLength} {...form.fieldProps("name")} />
        </div>
        <button className="btn" type="submit">
          Rename
        </button>
      </div>
      <FieldError {...form.errorProps("name")} />
    </form>
  );
}
