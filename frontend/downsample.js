// Pixel-level downsampling and SVG path building.
//
// The backend already sends a few points per pixel column of the whole chart.
// After a zoom, or with more points than pixels, the chart keeps per pixel
// column only the first, lowest, highest and last point. That draws the same
// picture as every point, because the envelope and the joins stay exact. Raw
// losses then lose the points within half a pixel of their predecessor, and
// smoothed losses are simplified to within a quarter of a pixel.

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

  const keep = (index) => {
    outX.push(px[index]);
    outY.push(py[index]);
  };
  const flush = () => {
    if (first < 0) {
      return;
    }
    // The lowest and highest point in index order, between the first and the last.
    const early = Math.min(lowest, highest);
    const late = Math.max(lowest, highest);
    keep(first);
    if (early !== first) {
      keep(early);
    }
    if (late !== early && late !== first) {
      keep(late);
    }
    if (last !== late && last !== first) {
      keep(last);
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

/**
 * Drop points closer than `tolerance` pixels (in both x and y) to the last kept point.
 *
 * This is the radial-distance pass of line simplification: a smooth curve keeps
 * about one point per pixel, and no kept segment moves by more than the
 * tolerance. The first and last point of every subpath and the NaN gap markers stay.
 *
 * @param {ArrayLike<number>} xs pixel x.
 * @param {ArrayLike<number>} ys pixel y, NaN for a gap.
 * @param {number} [tolerance=0.5] in pixels.
 * @returns {{x: number[], y: number[]}}
 * @example thinPoints([0, 0.1, 0.2, 3], [0, 0.1, 0.1, 3]).x // [0, 3]
 */
export function thinPoints(xs, ys, tolerance = 0.5) {
  const outX = [];
  const outY = [];
  let lastX = Number.NaN;
  let lastY = Number.NaN;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const y = ys[i];
    const gap = Number.isNaN(y);
    const closesSubpath = i + 1 === xs.length || Number.isNaN(ys[i + 1]);
    const far = Math.abs(x - lastX) >= tolerance || Math.abs(y - lastY) >= tolerance;
    // NaN comparisons are false, so the first point after a gap counts as far.
    if (gap || closesSubpath || far || Number.isNaN(lastY)) {
      outX.push(x);
      outY.push(y);
      lastX = x;
      lastY = y;
    }
  }
  return { x: outX, y: outY };
}

/**
 * Simplify each subpath with the Douglas-Peucker algorithm.
 *
 * Meant for smooth curves, where it keeps a few dozen points of thousands. On
 * noisy data it keeps almost every point and costs up to O(n^2), so raw losses
 * go through `thinPoints` instead.
 *
 * @param {ArrayLike<number>} xs pixel x.
 * @param {ArrayLike<number>} ys pixel y, NaN for a gap.
 * @param {number} [tolerance=0.25] the largest distance, in pixels, between a
 *     dropped point and the simplified line.
 * @returns {{x: number[], y: number[]}} with the gap markers kept.
 * @example simplifyPath([0, 1, 2, 3], [0, 1, 2, 0]).x // [0, 2, 3]
 */
export function simplifyPath(xs, ys, tolerance = 0.25) {
  const keep = new Uint8Array(xs.length);
  const stack = [];
  let begin = 0;
  for (let i = 0; i <= xs.length; i++) {
    if (i < xs.length && !Number.isNaN(ys[i])) {
      continue;
    }
    if (i < xs.length) {
      keep[i] = 1;
    }
    if (i > begin) {
      keep[begin] = 1;
      keep[i - 1] = 1;
      stack.push(begin, i - 1);
    }
    begin = i + 1;
  }

  const limit = tolerance * tolerance;
  while (stack.length > 0) {
    const last = stack.pop();
    const first = stack.pop();
    const dx = xs[last] - xs[first];
    const dy = ys[last] - ys[first];
    const length = dx * dx + dy * dy;
    let farthest = -1;
    let maxDistance = limit;
    for (let i = first + 1; i < last; i++) {
      // Squared distance from point i to the segment first..last.
      let t = length > 0 ? ((xs[i] - xs[first]) * dx + (ys[i] - ys[first]) * dy) / length : 0;
      t = Math.max(0, Math.min(1, t));
      const ex = xs[first] + t * dx - xs[i];
      const ey = ys[first] + t * dy - ys[i];
      const distance = ex * ex + ey * ey;
      if (distance > maxDistance) {
        maxDistance = distance;
        farthest = i;
      }
    }
    if (farthest >= 0) {
      keep[farthest] = 1;
      stack.push(first, farthest, farthest, last);
    }
  }

  const outX = [];
  const outY = [];
  for (let i = 0; i < xs.length; i++) {
    if (keep[i]) {
      outX.push(xs[i]);
      outY.push(ys[i]);
    }
  }
  return { x: outX, y: outY };
}

// Path coordinates are written as integers in tenths of a pixel: formatting
// integers is several times faster than decimals, and long paths stay short.
// Each path carries the transform that scales them back.
export const PATH_SCALE = 10;
export const PATH_TRANSFORM = `scale(${1 / PATH_SCALE})`;

/**
 * Build the `d` attribute of an SVG path; a NaN y starts a new subpath.
 *
 * Coordinates are multiplied by `PATH_SCALE` and rounded, so the path must be
 * drawn with `transform=PATH_TRANSFORM` (and a non-scaling stroke). The
 * repeated "L" of consecutive segments is left out, as the SVG path grammar allows.
 *
 * @param {ArrayLike<number>} xs pixel x.
 * @param {ArrayLike<number>} ys pixel y, NaN for a gap.
 * @returns {string} "" when there is no point; a lone point between gaps gives a
 *     zero-length segment, so a round line cap shows it as a dot.
 * @example buildPath([0, 1, 2], [5, NaN, 7]) // "M0 50h0M20 70h0"
 * @example buildPath([0, 1, 2], [5, 6, 7.04]) // "M0 50L10 60 20 70"
 */
export function buildPath(xs, ys) {
  const parts = [];
  let segmentLength = 0;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (Number.isNaN(y)) {
      if (segmentLength === 1) {
        parts.push("h0");
      }
      segmentLength = 0;
      continue;
    }
    const point = Math.round(xs[i] * PATH_SCALE) + " " + Math.round(y * PATH_SCALE);
    if (segmentLength === 0) {
      parts.push("M", point);
    } else if (segmentLength === 1) {
      parts.push("L", point);
    } else {
      parts.push(" ", point);
    }
    segmentLength++;
  }
  if (segmentLength === 1) {
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
 *     visible: [number, number], clamp: [number, number], beyond?: boolean,
 *     smooth?: boolean}} mapping `xOf` maps log10(lr) to pixels, `yOf` maps a
 *     loss to pixels, `visible` is the log10 range shown, `clamp` the allowed
 *     pixel y range, `beyond` (default true) whether the path runs on to the
 *     nearest point outside `visible`, and `smooth` whether the series is a
 *     smooth curve (simplified with `simplifyPath`) rather than raw data.
 * @returns {string}
 * @example seriesPath([0, 1], [1, 2], {xOf: (v) => v * 10, yOf: (v) => v, visible: [0, 1],
 *     clamp: [-100, 100]}) // "M0 10L100 20"
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
  const simplified = mapping.smooth
    ? simplifyPath(reduced.x, reduced.y)
    : thinPoints(reduced.x, reduced.y);
  return buildPath(simplified.x, simplified.y);
}
