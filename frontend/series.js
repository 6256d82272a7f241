//# allFunctionsCalledOnLoad
// Drawable series: points filtered for the log axes, and nearest-point search.

/**
 * Tell whether a value can be drawn on an axis.
 *
 * @param {number} value
 * @param {boolean} log true for a log axis, which accepts only finite values > 0.
 * @returns {boolean}
 * @example isDrawable(0, true) // false
 */
export function isDrawable(value, log) {
  return Number.isFinite(value) && (!log || value > 0);
}

/**
 * Prepare one run's series for drawing on a log-x chart.
 *
 * Points whose learning rate is not finite and > 0 are dropped and counted in
 * `droppedX`. Raw losses that the y axis cannot show (not finite, or <= 0 on a
 * log axis) become NaN, which breaks the line there, and are counted in
 * `droppedRaw`. Smoothed losses that cannot be shown become NaN without being
 * counted, because the backend sends NaN for the unusable end of a curve on
 * purpose. The points are sorted by learning rate (stable).
 *
 * @param {{learning_rates: Float64Array, losses: Float64Array,
 *     smoothed_losses: Float64Array}} series arrays of equal length.
 * @param {{logY?: boolean}} [options]
 * @returns {{x: Float64Array, logX: Float64Array, raw: Float64Array,
 *     smooth: Float64Array, droppedX: number, droppedRaw: number}}
 * @example prepareSeries({learning_rates: [0, 1e-3], losses: [1, 2], smoothed_losses: [1, 2]}).droppedX
 *     // 1
 */
export function prepareSeries(series, options = {}) {
  const logY = Boolean(options.logY);
  const rates = series.learning_rates;
  const losses = series.losses;
  const smoothed = series.smoothed_losses || [];
  const length = Math.min(rates.length, losses.length);

  // First try the usual case, a curve whose rates are all drawable and
  // ascending, where the point drawn at each position is the point at the
  // same index.
  const drawn = { rates, losses, smoothed, order: null, logY };
  let size = length;
  let arrays = preparedArrays(size);
  let droppedRaw = fillPrepared(drawn, arrays);
  if (droppedRaw < 0) {
    // `order[position]` is the index of the point drawn at `position`.
    const order = [];
    let ascending = true;
    for (let i = 0; i < length; i++) {
      if (isDrawable(rates[i], true)) {
        ascending = ascending && (order.length === 0 || rates[i] >= rates[order[order.length - 1]]);
        order.push(i);
      }
    }
    if (!ascending) {
      order.sort((a, b) => rates[a] - rates[b] || a - b);
    }
    drawn.order = order;
    size = order.length;
    arrays = preparedArrays(size);
    droppedRaw = fillPrepared(drawn, arrays);
  }
  return { ...arrays, droppedX: length - size, droppedRaw };
}

function preparedArrays(size) {
  return {
    x: new Float64Array(size),
    logX: new Float64Array(size),
    raw: new Float64Array(size),
    smooth: new Float64Array(size),
  };
}

// Fill the prepared arrays in drawing order. Return the number of raw losses
// that became NaN because the y axis cannot show them. Return -1 when a rate is
// not drawable or lower than the one before, because then an `order` is needed.
//
// The loop is a function of its own that returns a number. A browser that
// compiles a loop while it runs (on-stack replacement) has no type information
// yet for the code after the loop, so it would leave that compiled code again
// on every call. The per-point tests are isDrawable written out, because
// before the loop is compiled a call per point costs more than the rest of an
// iteration.
function fillPrepared(drawn, arrays) {
  const { rates, losses, smoothed, order } = drawn;
  const { x, logX, raw, smooth } = arrays;
  // A loss is drawable when it lies above `floor` and below Infinity (NaN does neither).
  const floor = drawn.logY ? 0 : -Infinity;
  let droppedRaw = 0;
  let previous = 0;
  for (let position = 0; position < x.length; position++) {
    const i = order === null ? position : order[position];
    const rate = rates[i];
    if (!(rate > 0 && rate < Infinity && rate >= previous)) {
      return -1;
    }
    previous = rate;
    x[position] = rate;
    logX[position] = Math.log10(rate);
    const loss = losses[i];
    if (loss > floor && loss < Infinity) {
      raw[position] = loss;
    } else {
      raw[position] = Number.NaN;
      droppedRaw++;
    }
    const value = i < smoothed.length ? smoothed[i] : Number.NaN;
    smooth[position] = value > floor && value < Infinity ? value : Number.NaN;
  }
  return droppedRaw;
}

/**
 * Find the point nearest to `target` in an ascending array.
 *
 * @param {ArrayLike<number>} values ascending, without NaN (for example `logX`).
 * @param {number} target
 * @returns {number} the index of the nearest value (the lower one on a tie), or
 *     -1 for an empty array or a NaN target.
 * @example nearestIndex([0, 1, 2], 1.4) // 1
 */
export function nearestIndex(values, target) {
  if (values.length === 0 || Number.isNaN(target)) {
    return -1;
  }
  let low = 0;
  let high = values.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (values[middle] < target) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low > 0 && target - values[low - 1] <= values[low] - target) {
    return low - 1;
  }
  return low;
}

/**
 * Find the first index whose value is >= `target` in an ascending array.
 *
 * @param {ArrayLike<number>} values ascending.
 * @param {number} target
 * @returns {number} in [0, values.length].
 * @example lowerBound([1, 2, 3], 2) // 1
 */
export function lowerBound(values, target) {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (values[middle] < target) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}
