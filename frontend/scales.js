//# allFunctionsCalledOnLoad
// Axis scales, tick marks and the y range of the chart.
//
// Log axes accept only finite values > 0; callers filter the rest before
// asking for a range (see series.js), and the range functions skip them too.

import { visibleRange } from "./downsample.js";
import { formatNumber } from "./format.js";

/**
 * Create a linear scale from a data domain to a pixel range.
 *
 * `map(value)` computes `affine.origin + (value - affine.low) * affine.factor`;
 * loops over many points use `affine` to avoid a call per point.
 *
 * @param {[number, number]} domain data values at the two ends of the range.
 * @param {[number, number]} range pixel positions of the two ends.
 * @returns {{kind: string, domain: number[], range: number[],
 *     affine: {origin: number, low: number, factor: number},
 *     map: function(number): number, invert: function(number): number}}
 * @example linearScale([0, 10], [0, 100]).map(5) // 50
 */
export function linearScale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const factor = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return {
    kind: "linear",
    domain: [d0, d1],
    range: [r0, r1],
    affine: { origin: r0, low: d0, factor },
    map: (value) => r0 + (value - d0) * factor,
    invert: (pixel) => (factor === 0 ? d0 : d0 + (pixel - r0) / factor),
  };
}

/**
 * Create a base-10 log scale from a data domain (both ends > 0) to a pixel range.
 *
 * `map(value)` computes `affine.origin + (log10(value) - affine.low) * affine.factor`.
 *
 * @param {[number, number]} domain data values, both finite and > 0.
 * @param {[number, number]} range pixel positions of the two ends.
 * @returns {{kind: string, domain: number[], range: number[],
 *     affine: {origin: number, low: number, factor: number},
 *     map: function(number): number, invert: function(number): number}} `map`
 *     returns NaN for values <= 0.
 * @throws {RangeError} if a domain end is not finite or not > 0.
 * @example logScale([1e-3, 1e-1], [0, 200]).map(1e-2) // 100
 */
export function logScale(domain, range) {
  const [d0, d1] = domain;
  if (!(d0 > 0 && d1 > 0 && Number.isFinite(d0) && Number.isFinite(d1))) {
    throw new RangeError(`logScale: the domain must be finite and > 0, got [${d0}, ${d1}]`);
  }
  const inner = linearScale([Math.log10(d0), Math.log10(d1)], range);
  return {
    kind: "log",
    domain: [d0, d1],
    range: [range[0], range[1]],
    affine: inner.affine,
    map: (value) => (value > 0 ? inner.map(Math.log10(value)) : Number.NaN),
    invert: (pixel) => 10 ** inner.invert(pixel),
  };
}

// 10 ** k for integer k, computed from a string so that 1e-7 is exactly 1e-7
// (10 ** -7 is 9.999999999999999e-8 in IEEE arithmetic).
function powerOfTen(exponent) {
  return Number(`1e${exponent}`);
}

/**
 * Format a tick value of a log axis: "0.1", "1", "10", "100"; "1e-3", "2e-3", "1e4" outside.
 *
 * @param {number} value
 * @returns {string}
 * @example formatLogTick(1e-3) // "1e-3"
 */
export function formatLogTick(value) {
  if (value >= 0.1 && value < 1000) {
    return formatNumber(value, 3);
  }
  const exponent = Math.floor(Math.log10(value) + 1e-9);
  const mantissa = Math.round(value / powerOfTen(exponent));
  return mantissa === 1 ? `1e${exponent}` : `${mantissa}e${exponent}`;
}

/**
 * Compute the ticks of a log axis: one major tick per decade.
 *
 * Over many decades only every second or third decade gets a tick. Over fewer
 * than two decades the multiples 2 and 5 of each decade are added, and within a
 * factor of 3 the ticks fall back to linear ones, so a zoomed axis still has labels.
 *
 * @param {number} low lower end of the domain, > 0.
 * @param {number} high upper end of the domain, > low.
 * @param {number} [maxTicks=10] the maximum number of labelled ticks.
 * @returns {{value: number, label: string, major: boolean}[]} ascending.
 * @example decadeTicks(1e-4, 1).map((tick) => tick.label) // ["1e-4", "1e-3", "0.01", "0.1", "1"]
 */
export function decadeTicks(low, high, maxTicks = 10) {
  if (!(low > 0 && high > low && Number.isFinite(high))) {
    return [];
  }
  const decades = Math.log10(high) - Math.log10(low);
  if (decades < Math.log10(3)) {
    return linearTicks(low, high, 5).map((tick) => ({ ...tick, major: true }));
  }

  const first = Math.ceil(Math.log10(low) - 1e-9);
  const last = Math.floor(Math.log10(high) + 1e-9);
  const decadeCount = last - first + 1;
  const every = Math.max(1, Math.ceil(decadeCount / maxTicks));
  const ticks = [];
  if (decades >= 2) {
    for (let exponent = first; exponent <= last; exponent++) {
      // Align the labelled decades on multiples of `every`, so they stay put while panning.
      if (((exponent % every) + every) % every === 0) {
        const value = powerOfTen(exponent);
        ticks.push({ value, label: formatLogTick(value), major: true });
      }
    }
    return ticks;
  }

  for (let exponent = first - 1; exponent <= last; exponent++) {
    for (const multiple of [1, 2, 5]) {
      const value = multiple * powerOfTen(exponent);
      if (value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9)) {
        ticks.push({ value, label: formatLogTick(value), major: multiple === 1 });
      }
    }
  }
  return ticks;
}

/**
 * Compute "nice" linear ticks (steps of 1, 2 or 5 times a power of ten).
 *
 * @param {number} low
 * @param {number} high
 * @param {number} [count=5] the approximate number of ticks.
 * @returns {{value: number, label: string}[]} ascending, inside [low, high].
 * @example linearTicks(0, 1, 5).map((tick) => tick.value) // [0, 0.2, 0.4, 0.6, 0.8, 1]
 */
export function linearTicks(low, high, count = 5) {
  if (!(Number.isFinite(low) && Number.isFinite(high)) || high <= low) {
    return Number.isFinite(low) ? [{ value: low, label: formatNumber(low, 4) }] : [];
  }
  const rough = (high - low) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  let multiple = 10;
  if (fraction < 1.5) {
    multiple = 1;
  } else if (fraction < 3.5) {
    multiple = 2;
  } else if (fraction < 7.5) {
    multiple = 5;
  }
  const step = multiple * power;
  const ticks = [];
  const start = Math.ceil(low / step - 1e-9);
  const stop = Math.floor(high / step + 1e-9);
  for (let index = start; index <= stop; index++) {
    // Rounding to the step's precision turns 0.30000000000000004 into 0.3.
    const value = Number((index * step).toPrecision(12));
    ticks.push({ value, label: formatNumber(value, 4) });
  }
  return ticks;
}

/**
 * Return the value at quantile `q` of an array (linear interpolation), ignoring NaN.
 *
 * @param {ArrayLike<number>} values
 * @param {number} q in [0, 1].
 * @returns {number} NaN for an empty input.
 * @example quantile([1, 2, 3, 4, 5], 0.5) // 3
 */
export function quantile(values, q) {
  const sorted = Float64Array.from(values).filter((value) => !Number.isNaN(value));
  return quantileOfSorted(sorted.sort(), q);
}

// The robust top leaves this fraction of the descent's span above it, so the
// start of the divergence stays visible above the starting loss.
const HEADROOM = 0.25;

// Clipping is given up when it would hide more than this fraction of the
// visible points: then the "tail" is most of what the user looks at.
const MAX_CLIPPED_FRACTION = 0.4;

// The quantile of the raw losses before the lowest smoothed loss that sets the
// robust top, so a single noisy spike does not stretch the axis.
const RAW_TOP_QUANTILE = 0.98;

const PADDING = 0.05;

/**
 * Compute the y range of the chart, clipping the diverged tail.
 *
 * For each series, the part before its lowest smoothed loss (inside the x
 * range) is the descent. The top of the range is the highest smoothed loss of
 * any descent, or the 98th percentile of its raw losses if higher, plus 25% of
 * the descent's span. Values above that are the diverged tail: they are
 * clipped (`clipped` is true and `hiddenPoints` counts the raw points above
 * the top) unless that would hide more than 40% of the visible points. On a
 * log axis the same rule works on log10 of the values, and values <= 0 are
 * skipped.
 *
 * @param {{x: ArrayLike<number>, raw: ArrayLike<number>, smooth: ArrayLike<number>}[]} seriesList
 *     learning rates (ascending, as `prepareSeries` returns them), raw and
 *     smoothed losses of each visible series.
 * @param {{log?: boolean, xDomain?: [number, number]}} [options] `log` for a log y
 *     axis; `xDomain` restricts the points considered to that learning-rate range.
 * @returns {{domain: [number, number], clipped: boolean, clipValue: number|null,
 *     hiddenPoints: number, empty: boolean}} `domain` in data units; `empty` when
 *     no point qualified (the domain is then a placeholder).
 * @example computeYRange([{x: [1, 2, 3], raw: [3, 1, 900], smooth: [3, 1, 900]}]).clipped // true
 */
export function computeYRange(seriesList, options = {}) {
  const log = Boolean(options.log);
  const [xLow, xHigh] = options.xDomain || [-Infinity, Infinity];
  const untransform = log ? (value) => 10 ** value : (value) => value;

  let low = Infinity;
  let robustTop = -Infinity;
  let fullTop = -Infinity;
  let rawCount = 0;
  const scans = seriesList.map((series) => scanSeries(series, xLow, xHigh, log));
  for (const scan of scans) {
    rawCount += scan.rawCount;
    low = Math.min(low, scan.low);
    fullTop = Math.max(fullTop, scan.top);
    robustTop = Math.max(robustTop, scan.descentTop);
  }

  if (!Number.isFinite(low)) {
    const placeholder = log ? [0.1, 10] : [0, 1];
    return { domain: placeholder, clipped: false, clipValue: null, hiddenPoints: 0, empty: true };
  }

  let top = fullTop;
  let clipped = false;
  let hiddenPoints = 0;
  if (Number.isFinite(robustTop)) {
    const cap = robustTop + HEADROOM * Math.max(robustTop - low, 0);
    if (fullTop > cap && cap > low) {
      for (const scan of scans) {
        for (const sorted of scan.sortedRaw) {
          hiddenPoints += countAboveSorted(sorted, cap);
        }
      }
      if (hiddenPoints <= MAX_CLIPPED_FRACTION * rawCount) {
        top = cap;
        clipped = true;
      } else {
        hiddenPoints = 0;
      }
    }
  }

  let bottom = low;
  if (top - bottom <= 0) {
    const half = log ? 0.5 : Math.max(Math.abs(top) * 0.1, 0.5);
    bottom -= half;
    top += half;
  } else {
    const pad = (top - bottom) * PADDING;
    bottom -= pad;
    if (!clipped) {
      top += pad;
    }
  }
  return {
    domain: [untransform(bottom), untransform(top)],
    clipped,
    clipValue: clipped ? untransform(top) : null,
    hiddenPoints,
    empty: false,
  };
}

// Scans of series objects by x range and axis, so that a redraw with the same
// series and x range (a toggle of the log axis, a batch of new runs) scans
// only the new ones. Series are never changed after `prepareSeries`.
const scanCache = new WeakMap();

// Return what computeYRange needs of one series inside [xLow, xHigh], on the
// axis's scale (log10 on a log axis, where values <= 0 do not count):
// - `low`, `top`: the lowest and highest finite raw or smoothed value;
// - `rawCount`: the number of finite raw values, and `sortedRaw`, the same
//   values in two ascending arrays, for counting those above the cap;
// - `descentTop`: the highest smoothed value of the descent, or the
//   RAW_TOP_QUANTILE quantile of its raw values if higher, or -Infinity. The
//   descent runs to the lowest smoothed value, or to the lowest raw value when
//   no smoothed value is finite.
function scanSeries(series, xLow, xHigh, log) {
  const key = `${xLow} ${xHigh} ${log}`;
  const cached = scanCache.get(series);
  if (cached && cached.key === key) {
    return cached.scan;
  }
  // The rates ascend, so the points inside the x range are one index range.
  const [start, stop] = visibleRange(series.x, xLow, xHigh, false);
  const raw = axisValues(series.raw, start, stop, log);
  const smooth = series.smooth ? axisValues(series.smooth, start, stop, log) : null;

  // One pass collects the finite raw values in order and notes, at each new
  // lowest value, how many of them and which highest smoothed value the
  // descent would have if it ended there. The loop compares values instead of
  // calling Number.isFinite, Math.min or Math.max, because before the browser
  // has compiled it each call costs more than the rest of an iteration:
  // `value > -Infinity && value < Infinity` is the finite test.
  const finite = new Float64Array(raw.length);
  let count = 0;
  let low = Infinity;
  let top = -Infinity;
  let smoothTop = -Infinity;
  let lowestRaw = Infinity;
  let rawDescentCount = 0;
  let rawDescentSmoothTop = -Infinity;
  let lowestSmooth = Infinity;
  let smoothDescentCount = -1;
  let smoothDescentSmoothTop = -Infinity;
  for (let i = 0; i < raw.length; i++) {
    const value = raw[i];
    const rawFinite = value > -Infinity && value < Infinity;
    if (rawFinite) {
      finite[count++] = value;
      if (value < low) {
        low = value;
      }
      if (value > top) {
        top = value;
      }
    }
    const smoothed = smooth === null ? Number.NaN : smooth[i];
    const smoothFinite = smoothed > -Infinity && smoothed < Infinity;
    if (smoothFinite) {
      if (smoothed < low) {
        low = smoothed;
      }
      if (smoothed > top) {
        top = smoothed;
      }
      if (smoothed > smoothTop) {
        smoothTop = smoothed;
      }
    }
    if (rawFinite && value < lowestRaw) {
      lowestRaw = value;
      rawDescentCount = count;
      rawDescentSmoothTop = smoothTop;
    }
    if (smoothFinite && smoothed < lowestSmooth) {
      lowestSmooth = smoothed;
      smoothDescentCount = count;
      smoothDescentSmoothTop = smoothTop;
    }
  }

  const bySmooth = smoothDescentCount >= 0;
  const headCount = bySmooth ? smoothDescentCount : rawDescentCount;
  const headSmoothTop = bySmooth ? smoothDescentSmoothTop : rawDescentSmoothTop;
  // Both parts are sorted: the descent for its quantile, the rest so that
  // counting the values above any cap takes a binary search, not a loop.
  const head = finite.subarray(0, headCount).sort();
  const tail = finite.subarray(headCount, count).sort();
  const rawTop = quantileOfSorted(head, RAW_TOP_QUANTILE);
  const descentTop = Number.isNaN(rawTop) ? headSmoothTop : Math.max(headSmoothTop, rawTop);
  const scan = { low, top, rawCount: count, sortedRaw: [head, tail], descentTop };
  scanCache.set(series, { key, scan });
  return scan;
}

// Return values[start..stop) on the axis's scale: log10 on a log axis, where
// values <= 0 become NaN; on a linear axis the same values.
function axisValues(values, start, stop, log) {
  if (!log) {
    return ArrayBuffer.isView(values) ? values.subarray(start, stop) : values.slice(start, stop);
  }
  const result = new Float64Array(stop - start);
  for (let i = start; i < stop; i++) {
    const value = values[i];
    result[i - start] = value > 0 ? Math.log10(value) : Number.NaN;
  }
  return result;
}

// Count the values above `cap` in an ascending array.
function countAboveSorted(sorted, cap) {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] > cap) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return sorted.length - low;
}

// The value at quantile q of an ascending array without NaN; NaN when empty.
function quantileOfSorted(sorted, q) {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/**
 * Compute the x (learning-rate) domain of prepared series.
 *
 * @param {{x: ArrayLike<number>}[]} seriesList learning rates that are finite,
 *     > 0 and ascending, as `prepareSeries` returns them; only the first and
 *     last of each series are read.
 * @returns {[number, number]|null} null when no series has a point; a single rate is
 *     widened by half a decade on each side.
 * @example computeXDomain([{x: [1e-5, 1e-3, 1e-1]}]) // [1e-5, 0.1]
 */
export function computeXDomain(seriesList) {
  let low = Infinity;
  let high = -Infinity;
  for (const series of seriesList) {
    const size = series.x.length;
    if (size > 0) {
      low = Math.min(low, series.x[0]);
      high = Math.max(high, series.x[size - 1]);
    }
  }
  if (!Number.isFinite(low)) {
    return null;
  }
  if (high <= low) {
    return [low / Math.sqrt(10), high * Math.sqrt(10)];
  }
  return [low, high];
}
