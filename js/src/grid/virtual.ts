/**
 * Virtual windows: which rows (fixed height) and columns (variable widths) of a grid are visible
 * in a scrolled viewport, so that only those are put in the DOM.
 */

/** A half-open range of item indices `[start, end)`. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

export const EMPTY_RANGE: Range = { start: 0, end: 0 };

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/**
 * The items of size `itemSize` visible when the list is scrolled by `scroll` in a viewport of
 * `viewport`, widened by `overscan` items on each side.
 */
export function fixedWindow(scroll: number, viewport: number, itemSize: number, count: number, overscan = 0): Range {
  if (count <= 0 || itemSize <= 0) return EMPTY_RANGE;
  const top = Math.max(0, scroll);
  const first = Math.floor(top / itemSize);
  const last = Math.ceil((top + Math.max(0, viewport)) / itemSize);
  return {
    start: clamp(first - overscan, 0, count),
    end: clamp(Math.max(last, first + 1) + overscan, 0, count),
  };
}

/** Prefix sums of `sizes`: `offsets[i]` is where item i starts; `offsets[n]` is the total. */
export function prefixOffsets(sizes: ArrayLike<number>): Float64Array {
  const out = new Float64Array(sizes.length + 1);
  for (let i = 0; i < sizes.length; i++) out[i + 1] = out[i] + sizes[i];
  return out;
}

/** The last index i with `offsets[i] <= position` (0 when none), over the first `count` items. */
function findItem(offsets: ArrayLike<number>, count: number, position: number): number {
  let low = 0;
  let high = count - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (offsets[mid] <= position) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Like `fixedWindow` for items of varying sizes, given by their `offsets` (see `prefixOffsets`). */
export function variableWindow(offsets: ArrayLike<number>, scroll: number, viewport: number, overscan = 0): Range {
  const count = offsets.length - 1;
  if (count <= 0) return EMPTY_RANGE;
  const top = Math.max(0, scroll);
  const first = findItem(offsets, count, top);
  const last = findItem(offsets, count, top + Math.max(0, viewport)) + 1;
  return {
    start: clamp(first - overscan, 0, count),
    end: clamp(Math.max(last, first + 1) + overscan, 0, count),
  };
}

/** Whether `rendered` covers `visible` (then a scroll needs no re-render). */
export function covers(rendered: Range | null, visible: Range): boolean {
  if (rendered === null) return false;
  if (visible.end <= visible.start) return true;
  return rendered.start <= visible.start && rendered.end >= visible.end;
}
