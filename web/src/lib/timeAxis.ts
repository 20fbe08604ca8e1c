/** Ticks for a chart's time axis: hours when everything happened on one day, dates otherwise — never the
 * same label twice (the profile chart once said "04:58 AM" ten times: every award fell in one minute). */
export interface TimeAxis {
  domain: [number, number];
  ticks: number[];
  format: (t: number) => string;
  /** The axis title: what the ticks are. */
  label: string;
}

const HOUR = 3_600_000;
const HOUR_STEPS = [1, 2, 3, 4, 6, 12];
const DAY_STEPS = [1, 2, 3, 7, 14, 28, 56, 91, 182, 364];

const startOfDay = (t: number) => {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
};
const addDays = (t: number, n: number) => {
  const d = new Date(t);
  d.setDate(d.getDate() + n);
  return d.getTime();
};
const dayDiff = (a: number, b: number) => Math.round((startOfDay(b) - startOfDay(a)) / 86_400_000);

export const formatDay = (t: number) => new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric" });
export const formatHour = (t: number) => new Date(t).toLocaleTimeString(undefined, { hour: "numeric" });

export function timeAxis(times: number[], maxTicks = 7): TimeAxis {
  if (!times.length) return { domain: [0, 1], ticks: [], format: formatDay, label: "Date" };
  const min = Math.min(...times);
  const max = Math.max(...times);
  if (startOfDay(min) === startOfDay(max)) {
    const from = Math.floor(min / HOUR) * HOUR;
    const span = Math.max(1, Math.ceil((max - from) / HOUR));
    const step = HOUR_STEPS.find((s) => Math.ceil(span / s) + 1 <= maxTicks) ?? 12;
    const to = from + Math.max(step, Math.ceil(span / step) * step) * HOUR;
    const ticks: number[] = [];
    for (let t = from; t <= to; t += step * HOUR) ticks.push(t);
    return { domain: [from, to], ticks, format: formatHour, label: `Time on ${formatDay(min)}` };
  }
  const first = startOfDay(min);
  const days = dayDiff(first, max);
  const step = DAY_STEPS.find((s) => Math.ceil(days / s) + 1 <= maxTicks) ?? Math.ceil(days / (maxTicks - 1));
  const ticks: number[] = [];
  for (let i = 0; i <= days; i += step) ticks.push(addDays(first, i));
  const last = ticks[ticks.length - 1] < startOfDay(max) ? addDays(first, Math.ceil(days / step) * step) : ticks[ticks.length - 1];
  if (last !== ticks[ticks.length - 1]) ticks.push(last);
  return { domain: [first, last], ticks, format: formatDay, label: "Date" };
}
