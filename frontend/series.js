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

  const order = [];
  let droppedX = 0;
  let sorted = true;
  for (let i = 0; i < length; i++) {
    if (!isDrawable(rates[i], true)) {
      droppedX++;
      continue;
    }
    if (order.length > 0 && rates[i] < rates[order[order.length - 1]]) {
      sorted = false;
    }
    order.push(i);
  }
  if (!sorted) {
    order.sort((a, b) => rates[a] - rates[b] || a - b);
  }

  const size = order.length;
  const x = new Float64Array(size);
  const logX = new Float64Array(size);
  const raw = new Float64Array(size);
  const smooth = new Float64Array(size);
  let droppedRaw = 0;
  for (let position = 0; position < size; position++) {
    const i = order[position];
    x[position] = rates[i];
    logX[position] = Math.log10(rates[i]);
    if (isDrawable(losses[i], logY)) {
      raw[position] = losses[i];
    } else {
      raw[position] = Number.NaN;
      droppedRaw++;
    }
    const value = i < smoothed.length ? smoothed[i] : Number.NaN;
    smooth[position] = isDrawable(value, logY) ? value : Number.NaN;
  }
  return { x, logX, raw, smooth, droppedX, droppedRaw };
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
