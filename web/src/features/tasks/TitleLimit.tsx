/** The longest task title the API takes (TaskCreate/TaskUpdate `title` maxLength in the OpenAPI schema;
 * the server answers 422 naming `title` beyond it). Inputs don't cut a paste at this length: they let the
 * text in and say how much too long it is, so nothing disappears without a word. */
export const TITLE_MAX = 500;
/** The counter shows from here on, so the limit is never a surprise. */
const COUNT_FROM = TITLE_MAX - 50;

export const titleTooLong = (title: string) => title.trim().length > TITLE_MAX;

export function titleLimitMessage(length: number): string {
  return `Titles can be up to ${TITLE_MAX} characters; this one has ${length.toLocaleString("en-US")}. Shorten it to save.`;
}

/** Beside a title input: a live counter near the limit, and a plain message once past it. */
export function TitleLimit({ length, id }: { length: number; id?: string }) {
  if (length < COUNT_FROM) return null;
  const over = length > TITLE_MAX;
  return (
    <div className={`title-limit ${over ? "over" : ""}`} id={id} data-testid="title-limit">
      {over && (
        <span role="alert" className="title-limit-message">
          {titleLimitMessage(length)}
        </span>
      )}
      <span className="title-limit-count" aria-label={`${length} of ${TITLE_MAX} characters`}>
        {length.toLocaleString("en-US")} / {TITLE_MAX}
      </span>
    </div>
  );
}
