/**
 * Form errors, one way for every form: all problems at once, each beside its field, in plain words.
 *
 * A form describes its fields once (`FormSpec`: what to say when one is empty, the server's limits from
 * `api/limits.ts`), checks them before sending (`validate`), and maps an `ApiError`'s `fields` onto the same
 * fields after (`fromError`). Inputs get `aria-invalid` and `aria-describedby` from `fieldProps`, and
 * `<FieldError>` renders the message under the input.
 */
import { useCallback, useId, useMemo, useState } from "react";
import { ApiError, errorMessage, type FieldProblem } from "../api/client";
import type { FieldLimits } from "../api/limits";

export interface FieldSpec {
  /** What to say when the field is left empty ("Enter your name"); omit for optional fields. */
  required?: string;
  /** Check the shape of an email address before sending. */
  email?: boolean;
  /** The server's limits for this field (from `limits` in api/limits.ts). */
  limits?: FieldLimits;
  /** What to say when the value doesn't match the server's `pattern` ("Use 2 to 10 capital letters…"). */
  patternMessage?: string;
  /** Count spaces (passwords); other text is trimmed first, as the server strips it. */
  keepSpaces?: boolean;
  /** What to call the field when the server reports it in a message above the form. */
  label?: string;
}

export type FormSpec<F extends string> = Record<F, FieldSpec>;
export type FieldErrors<F extends string> = Partial<Record<F, string>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function characters(n: number): string {
  return n === 1 ? "1 character" : `${n} characters`;
}

/** Every problem of every field, checked the way the server will check it. */
export function checkFields<F extends string>(spec: FormSpec<F>, values: Partial<Record<F, string>>): FieldErrors<F> {
  const errors: FieldErrors<F> = {};
  for (const field of Object.keys(spec) as F[]) {
    const rule = spec[field];
    const raw = values[field] ?? "";
    const text = rule.keepSpaces ? raw : raw.trim();
    const lim = rule.limits ?? {};
    if (text === "") {
      if (rule.required) errors[field] = rule.required;
      else if (raw !== "" && (lim.minLength ?? 0) > 0) errors[field] = "Can't be blank";
      continue;
    }
    if (rule.email && !EMAIL.test(text)) errors[field] = "Enter a valid email address";
    else if (lim.minLength !== undefined && text.length < lim.minLength) errors[field] = `Use at least ${characters(lim.minLength)}`;
    else if (lim.maxLength !== undefined && text.length > lim.maxLength) errors[field] = `Use at most ${characters(lim.maxLength)}`;
    else if (lim.pattern !== undefined && !new RegExp(lim.pattern).test(text)) errors[field] = rule.patternMessage ?? "Not in the expected format";
    else if (lim.minimum !== undefined || lim.maximum !== undefined) {
      const n = Number(text);
      if (!Number.isFinite(n)) errors[field] = "Enter a number";
      else if (lim.minimum !== undefined && n < lim.minimum) errors[field] = `Use ${lim.minimum} or more`;
      else if (lim.maximum !== undefined && n > lim.maximum) errors[field] = `Use ${lim.maximum} or less`;
    }
  }
  return errors;
}

/** The message to show beside a field for one server problem: the form's own words for an empty field. */
export function problemMessage(problem: FieldProblem, rule?: FieldSpec): string {
  const blank = problem.type === "missing" || (problem.type === "string_too_short" && (rule?.limits?.minLength ?? 1) <= 1);
  if (blank && rule?.required) return rule.required;
  if (problem.type === "string_pattern_mismatch" && rule?.patternMessage) return rule.patternMessage;
  return problem.message || "Check this field";
}

/** "Try again in 40 seconds" / "in 2 minutes" / "in 1 hour", rounded up the way the server words it. */
export function tryAgainIn(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (s < 60) return `Try again in ${unit(s, "second")}`;
  if (s < 3600) return `Try again in ${unit(Math.ceil(s / 60), "minute")}`;
  return `Try again in ${unit(Math.ceil(s / 3600), "hour")}`;
}

/** A request-level message: what went wrong, and for a 429 when to try again. */
export function formErrorMessage(e: unknown): string {
  const message = errorMessage(e);
  if (e instanceof ApiError && e.status === 429 && e.retryAfter !== null && !/try again in/i.test(message)) {
    return `${message.replace(/[;.,]?\s*try again later\.?$/i, "").replace(/\.$/, "")}. ${tryAgainIn(e.retryAfter)}.`;
  }
  return message;
}

function humanField(field: string): string {
  const words = field.replace(/[._]/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Split an error into the form's fields and what belongs above the form. A field is matched by its whole
 * path ("priority_multipliers.high") when the form has it, else by its first part ("assignees.0" → "assignees"). */
export function mapApiError<F extends string>(e: unknown, spec: FormSpec<F>): { fields: FieldErrors<F>; form: string | null } {
  const fields: FieldErrors<F> = {};
  if (!(e instanceof ApiError) || e.fields.length === 0) return { fields, form: formErrorMessage(e) };
  const rest: string[] = [];
  for (const problem of e.fields) {
    const name = (Object.prototype.hasOwnProperty.call(spec, problem.field) ? problem.field : problem.field.split(".")[0]) as F;
    if (Object.prototype.hasOwnProperty.call(spec, name)) {
      fields[name] ??= problemMessage(problem, spec[name]);
    } else {
      rest.push(`${humanField(problem.field)}: ${problem.message}`);
    }
  }
  return { fields, form: rest.length ? rest.join(" ") : null };
}

/**
 * The error state of one form. `validate` before sending (false: don't send), `fromError` after a failed
 * request, `fieldProps(name)` on each input, `<FieldError {...errorProps(name)} />` beside it.
 */
export function useFormErrors<F extends string>(spec: FormSpec<F>) {
  const base = useId();
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const errorId = useCallback((name: F) => `${base}-${name}-error`, [base]);

  const validate = useCallback(
    (values: Partial<Record<F, string>>, form?: HTMLFormElement | null): boolean => {
      const found = checkFields(spec, values);
      setErrors(found);
      setFormError(null);
      const first = (Object.keys(spec) as F[]).find((f) => found[f]);
      if (first && form) {
        const input = form.elements.namedItem(first);
        if (input instanceof HTMLElement) input.focus();
      }
      return !first;
    },
    [spec],
  );

  const fromError = useCallback(
    (e: unknown) => {
      const mapped = mapApiError(e, spec);
      setErrors(mapped.fields);
      setFormError(mapped.form);
    },
    [spec],
  );

  const clear = useCallback((name?: F) => {
    setFormError(null);
    setErrors((old) => {
      if (name === undefined) return {};
      if (!old[name]) return old;
      const next = { ...old };
      delete next[name];
      return next;
    });
  }, []);

  /** A problem only the form can see (two fields that must match), shown like any other. */
  const setFieldError = useCallback((name: F, message: string) => setErrors((old) => ({ ...old, [name]: message })), []);

  const fieldProps = useCallback(
    (name: F, hintId?: string) => {
      const invalid = !!errors[name];
      const describedBy = [invalid ? errorId(name) : null, hintId].filter(Boolean).join(" ");
      return {
        name,
        "aria-invalid": invalid || undefined,
        "aria-describedby": describedBy || undefined,
        onInput: () => clear(name),
      };
    },
    [errors, errorId, clear],
  );

  const errorProps = useCallback((name: F) => ({ id: errorId(name), message: errors[name] }), [errors, errorId]);

  return useMemo(
    () => ({ errors, formError, validate, fromError, clear, fieldProps, errorProps, setFormError, setFieldError }),
    [errors, formError, validate, fromError, clear, fieldProps, errorProps, setFieldError],
  );
}

/** The message under an input; its id is what the input's aria-describedby points at. */
export function FieldError({ id, message }: { id: string; message?: string | null }) {
  if (!message) return null;
  return (
    <span className="error field-error" id={id} data-testid="field-error">
      {message}
    </span>
  );
}

/** What went wrong with the request as a whole (not one field), announced when it appears. */
export function FormError({ message }: { message?: string | null }) {
  if (!message) return null;
  return (
    <div className="form-error" role="alert">
      {message}
    </div>
  );
}

/** The values of a form's named inputs, as text. */
export function formValues<F extends string>(form: HTMLFormElement, names: readonly F[]): Record<F, string> {
  const data = new FormData(form);
  const out = {} as Record<F, string>;
  for (const n of names) out[n] = String(data.get(n) ?? "");
  return out;
}
