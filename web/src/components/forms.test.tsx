import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { FormEvent } from "react";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { limits } from "../api/limits";
import { checkFields, FieldError, FormError, formErrorMessage, formValues, mapApiError, tryAgainIn, useFormErrors, type FormSpec } from "./forms";

const SPEC: FormSpec<"name" | "email" | "password"> = {
  name: { required: "Enter your name", limits: limits.SignupIn.name },
  email: { required: "Enter your email address", email: true },
  password: { required: "Choose a password", keepSpaces: true, limits: limits.SignupIn.password },
};

describe("checkFields", () => {
  it("flags every empty field at once, in the form's words", () => {
    expect(checkFields(SPEC, { name: "  ", email: "", password: "" })).toEqual({
      name: "Enter your name",
      email: "Enter your email address",
      password: "Choose a password",
    });
  });

  it("uses the server's limits from the OpenAPI schema", () => {
    expect(limits.SignupIn.password.minLength).toBe(8);
    expect(checkFields(SPEC, { name: "x".repeat(limits.SignupIn.name.maxLength + 1), email: "ada", password: "short" })).toEqual({
      name: `Use at most ${limits.SignupIn.name.maxLength} characters`,
      email: "Enter a valid email address",
      password: "Use at least 8 characters",
    });
    expect(checkFields(SPEC, { name: "Ada", email: "ada@example.com", password: "long enough" })).toEqual({});
  });

  it("checks a pattern with the form's own explanation", () => {
    const spec: FormSpec<"key"> = { key: { required: "Enter a key", limits: { pattern: "^[A-Z][A-Z0-9]{1,9}$" }, patternMessage: "Use capital letters" } };
    expect(checkFields(spec, { key: "1AB" })).toEqual({ key: "Use capital letters" });
  });
});

describe("mapApiError", () => {
  it("puts each of the server's field problems beside its field, with the form's words for an empty one", () => {
    const e = new ApiError(422, {
      error: {
        code: "validation_error",
        message: "email: Enter a valid email address",
        field: "email",
        fields: [
          { field: "email", message: "Enter a valid email address", type: "value_error" },
          { field: "name", message: "Can't be blank", type: "string_too_short" },
          { field: "timezone", message: "Not a known IANA time zone", type: "value_error" },
        ],
      },
    });
    expect(mapApiError(e, SPEC)).toEqual({
      fields: { email: "Enter a valid email address", name: "Enter your name" },
      form: "Timezone: Not a known IANA time zone",
    });
  });

  it("matches a nested field by its whole path when the form has it, else by its first part", () => {
    const e = new ApiError(422, {
      error: {
        code: "validation_error",
        message: "x",
        fields: [
          { field: "priority_multipliers.high", message: "Use 10 or less", type: "less_than_equal" },
          { field: "assignees.0", message: "Not a valid id", type: "uuid_parsing" },
        ],
      },
    });
    expect(mapApiError(e, { "priority_multipliers.high": {}, assignees: {} })).toEqual({
      fields: { "priority_multipliers.high": "Use 10 or less", assignees: "Not a valid id" },
      form: null,
    });
  });

  it("maps a business error that names one field", () => {
    const e = new ApiError(409, { error: { code: "email_taken", message: "An account with this email already exists", field: "email" } });
    expect(mapApiError(e, SPEC)).toEqual({ fields: { email: "An account with this email already exists" }, form: null });
  });
});

describe("rate limits", () => {
  it("ApiError carries Retry-After, and the message says when to try again", () => {
    const e = new ApiError(429, { error: { code: "rate_limited", message: "Too many sign-ups from this address; try again later" } }, "40");
    expect(e.retryAfter).toBe(40);
    expect(formErrorMessage(e)).toBe("Too many sign-ups from this address. Try again in 40 seconds.");
    expect(new ApiError(429, { error: { message: "x" }, retry_after: 90 }).retryAfter).toBe(90);
  });

  it("words a wait the way people say it", () => {
    expect(tryAgainIn(1)).toBe("Try again in 1 second");
    expect(tryAgainIn(40)).toBe("Try again in 40 seconds");
    expect(tryAgainIn(61)).toBe("Try again in 2 minutes");
    expect(tryAgainIn(3600)).toBe("Try again in 1 hour");
  });
});

function Signup({ onSend }: { onSend: () => void }) {
  const form = useFormErrors(SPEC);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (form.validate(formValues(e.currentTarget, ["name", "email", "password"] as const), e.currentTarget)) onSend();
  };
  return (
    <form onSubmit={onSubmit} noValidate>
      <FormError message={form.formError} />
      {(["name", "email", "password"] as const).map((f) => (
        <div key={f}>
          <label htmlFor={f}>{f}</label>
          <input id={f} {...form.fieldProps(f)} />
          <FieldError {...form.errorProps(f)} />
        </div>
      ))}
      <button type="submit">Send</button>
    </form>
  );
}

describe("useFormErrors", () => {
  it("marks every invalid input and points it at its message; typing clears that field's", async () => {
    let sent = 0;
    render(<Signup onSend={() => (sent += 1)} />);
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    const name = screen.getByLabelText("name");
    await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
    expect(name).toHaveAccessibleDescription("Enter your name");
    expect(screen.getByLabelText("email")).toHaveAccessibleDescription("Enter your email address");
    expect(screen.getByLabelText("password")).toHaveAccessibleDescription("Choose a password");
    expect(document.activeElement).toBe(name);
    expect(sent).toBe(0);
    fireEvent.input(name, { target: { value: "Ada" } });
    await waitFor(() => expect(name).not.toHaveAttribute("aria-invalid"));
    expect(screen.queryByText("Enter your name")).toBeNull();
    expect(screen.getByText("Enter your email address")).toBeInTheDocument();
  });
});
