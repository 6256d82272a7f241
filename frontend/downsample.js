// Pixel-level downsampling and SVG path building.
//
// The backend already sends a few points per pixel column of the whole chart.
// After a zoom, or with more points than pixels, the chart keeps per pixel
// column only the first, lowest, highest and last point. That draws the same
// picture as every point, because the envelope and the joins stay exact.

import { lowerBound } from "./series.js";

/**
 * Return the index range of the points to draw for a visible x range.
 *
 * By default one point beyond each edge is included, so lines run to the edge of the plot.
 *
 * @param {ArrayLike<number>} xs ascending.
 * @param {number} low lower end of the visible range (same units as `xs`).
 * @param {number} high upper end.
 * @param {boolean} [beyond=true] include the nearest point outside each edge;
 *     false keeps only the points in `[low, high]`.
 * @returns {[number, number]} `[start, end)` indices.
 * @example visibleRange([0, 1, 2, 3, 4], 1.5, 2.5) // [1, 4]
 * @example visibleRange([0, 1, 2, 3, 4], 1, 3, false) // [1, 4]
 */
export function visibleRange(xs, low, high, beyond = true) {
  if (!beyond) {
    const start = lowerBound(xs, low);
    let end = lowerBound(xs, high);
    while (end < xs.length && xs[end] <= high) {
      end++;
    }
    return [start, Math.max(start, end)];
  }
  const start = Math.max(0, lowerBound(xs, low) - 1);
  const end = Math.min(xs.length, lowerBound(xs, high) + 1);
  return [start, Math.max(start, end)];
}

/**
 * Reduce points to at most four per integer pixel column: first, lowest, highest, last.
 *
 * A NaN y ends a column and is kept once as a gap marker, so the path breaks there.
 *
 * @param {ArrayLike<number>} px pixel x of each point, ascending.
 * @param {ArrayLike<number>} py pixel y of each point; NaN for a gap.
 * @param {number} [start=0] first index to use.
 * @param {number} [end=px.length] index after the last one to use.
 * @returns {{x: number[], y: number[]}} the kept points in their original order.
 * @example minMaxColumns([0.1, 0.2, 0.3, 0.4, 1.5], [5, 1, 9, 4, 3]).y // [5, 1, 9, 4, 3]
 */
export function minMaxColumns(px, py, start = 0, end = px.length) {
  const outX = [];
  const outY = [];
  let column = Number.NaN;
  let first = -1;
  let last = -1;
  let lowest = -1;
  let highest = -1;

  const flush = () => {
    if (first < 0) {
      return;
    }
    const kept = [first, lowest, highest, last].sort((a, b) => a - b);
    let previous = -1;
    for (const index of kept) {
      if (index !== previous) {
        outX.push(px[index]);
        outY.push(py[index]);
        previous = index;
      }
    }
    first = -1;
  };

  for (let i = start; i < end; i++) {
    const y = py[i];
    if (Number.isNaN(y)) {
      flush();
      column = Number.NaN;
      if (outY.length > 0 && !Number.isNaN(outY[outY.length - 1])) {
        outX.push(px[i]);
        outY.push(Number.NaN);
      }
      continue;
    }
    const current = Math.floor(px[i]);
    if (current !== column || first < 0) {
      flush();
      column = current;
      first = i;
      last = i;
      lowest = i;
      highest = i;
      continue;
    }
    last = i;
    if (y < py[lowest]) {
      lowest = i;
    }
    if (y > py[highest]) {
      highest = i;
    }
  }
  flush();
  return { x: outX, y: outY };
}

function round(value) {
  return Math.round(value * 10) / 10;
}

/**
 * Build the `d` attribute of an SVG path; a NaN y starts a new subpath.
 *
 * @param {ArrayLike<number>} xs pixel x.
 * @param {ArrayLike<number>} ys pixel y, NaN for a gap.
 * @returns {string} "" when there is no point; a lone point between gaps gives a
 *     zero-length segment, so a round line cap shows it as a dot.
 * @example buildPath([0, 1, 2], [5, NaN, 7]) // "M0 5h0M2 7h0"
 */
export function buildPath(xs, ys) {
  const parts = [];
  let open = false;
  let segmentLength = 0;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (Number.isNaN(y)) {
      if (open && segmentLength === 1) {
        parts.push("h0");
      }
      open = false;
      continue;
    }
    parts.push(`${open ? "L" : "M"}${round(xs[i])} ${round(y)}`);
    segmentLength = open ? segmentLength + 1 : 1;
    open = true;
  }
  if (open && segmentLength === 1) {
    parts.push("h0");
  }
  return parts.join("");
}

/**
 * Map, downsample and turn one series into a path string.
 *
 * Pixel y values are clamped to `[clampLow, clampHigh]`, so a loss of 1e30 does
 * not produce coordinates that SVG renders imprecisely. The plot's clip path
 * hides what lies outside.
 *
 * @param {ArrayLike<number>} logX log10 of the learning rates, ascending.
 * @param {ArrayLike<number>} values the losses (NaN for gaps).
 * @param {{xOf: function(number): number, yOf: function(number): number,
 *     visible: [number, number], clamp: [number, number], beyond?: boolean}} mapping
 *     `xOf` maps log10(lr) to pixels, `yOf` maps a loss to pixels, `visible` is
 *     the log10 range shown, `clamp` the allowed pixel y range, and `beyond`
 *     (default true) whether the path runs on to the nearest point outside `visible`.
 * @returns {string}
 * @example seriesPath([0, 1], [1, 2], {xOf: (v) => v * 10, yOf: (v) => v, visible: [0, 1],
 *     clamp: [-100, 100]}) // "M0 1L10 2"
 */
export function seriesPath(logX, values, mapping) {
  const [start, end] = visibleRange(
    logX,
    mapping.visible[0],
    mapping.visible[1],
    mapping.beyond ?? true,
  );
  const count = end - start;
  const px = new Float64Array(count);
  const py = new Float64Array(count);
  const [clampLow, clampHigh] = mapping.clamp;
  for (let i = 0; i < count; i++) {
    px[i] = mapping.xOf(logX[start + i]);
    const y = mapping.yOf(values[start + i]);
    py[i] = Number.isNaN(y) ? y : Math.min(clampHigh, Math.max(clampLow, y));
  }
  const reduced = minMaxColumns(px, py);
  return buildPath(reduced.x, reduced.y);
}
