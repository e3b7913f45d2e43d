/**
 * Timings the page records for `npm run bench` (read through `window.__pmTimings`): the last value of each.
 * "whatIfEdit" is from the input event to the next frame after the render, the figure a person feels.
 */
const timings: Record<string, number> = {};
(globalThis as unknown as { __pmTimings: Record<string, number> }).__pmTimings = timings;

export function recordTiming(name: string, ms: number): void {
  timings[name] = ms;
}

/** Records the time from the last edit (window.__pmEditAt) to the frame after this render. */
export function recordEditToFrame(): void {
  const w = globalThis as unknown as { __pmEditAt?: number };
  const at = w.__pmEditAt;
  if (at === undefined) return;
  w.__pmEditAt = undefined;
  requestAnimationFrame(() => recordTiming("whatIfEdit", performance.now() - at));
}

/** Records, once, the time since navigation start at the frame after the first render of a view. */
export function recordFirstRender(name: string): void {
  if (timings[name] !== undefined) return;
  requestAnimationFrame(() => recordTiming(name, performance.now()));
}
