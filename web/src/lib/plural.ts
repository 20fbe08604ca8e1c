/** "1 member", "3 members", "1 person", "2 people": a count and its noun, agreeing. The plural is the noun
 * with "s" unless given. Counts are formatted for the reader's locale (1,200). */
export function plural(count: number, one: string, many: string = `${one}s`): string {
  return `${count.toLocaleString()} ${noun(count, one, many)}`;
}

/** The noun alone, for when the count is shown apart (a big number, the noun beside it). */
export function noun(count: number, one: string, many: string = `${one}s`): string {
  return count === 1 ? one : many;
}

/** "a", "a and b", "a, b and c": names in a sentence. */
export function listInWords(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
