//# allFunctionsCalledOnLoad
// Pixel-level downsampling and SVG path building.
//
// The backend already sends a few points per pixel column of the whole chart.
// After a zoom, or with more points than pixels, the chart keeps per pixel
// column only the first, lowest, highest and last point. That draws the same
// picture as every point, because the envelope and the joins stay exact. Raw
// losses then lose the points within half a pixel of their predecessor, and
// smoothed losses are simplified to within a quarter of a pixel.
//
// The first chart of a page runs these loops before the browser has compiled
// them. So they avoid work per point that compiled code would make cheap. They
// map points with inline arithmetic instead of calling the scales, test for
// NaN with `value !== value`, compare instead of calling Math.min or Math.max,
// and reuse their working arrays.

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
 * Map points to pixels.
 *
 * Pixel y values are clamped to `mapping.clamp`, so a loss of 1e30 does not
 * produce coordinates that SVG renders imprecisely. The arithmetic is the same
 * as that of the scales' `map`, so the pixels are identical.
 *
 * @param {ArrayLike<number>} logX log10 of the learning rates.
 * @param {ArrayLike<number>} values the losses (NaN for gaps).
 * @param {number} start first index to map.
 * @param {number} end index after the last one to map.
 * @param {{x: {origin: number, low: number, factor: number},
 *     y: ReturnType<typeof import("./scales.js").linearScale>, clamp: [number, number]}} mapping
 *     `x` maps log10(lr) to pixel `origin + (logX - low) * factor` (the
 *     `affine` of a log scale); `y` is the scale of the losses, linear or log.
 * @param {Float64Array} px receives the pixel x of point `start + i` at `i`.
 * @param {Float64Array} py receives its pixel y: NaN for a NaN loss, and on a
 *     log scale for a loss <= 0.
 */
export function projectPoints(logX, values, start, end, mapping, px, py) {
  const { origin: xOrigin, low: xLow, factor: xFactor } = mapping.x;
  const { origin: yOrigin, low: yLow, factor: yFactor } = mapping.y.affine;
  const logY = mapping.y.kind === "log";
  const [clampLow, clampHigh] = mapping.clamp;
  for (let i = start; i < end; i++) {
    px[i - start] = xOrigin + (logX[i] - xLow) * xFactor;
    const value = values[i];
    let y;
    if (logY) {
      y = value > 0 ? yOrigin + (Math.log10(value) - yLow) * yFactor : Number.NaN;
    } else {
      y = yOrigin + (value - yLow) * yFactor;
    }
    // NaN passes both tests unchanged.
    if (y < clampLow) {
      y = clampLow;
    } else if (y > clampHigh) {
      y = clampHigh;
    }
    py[i - start] = y;
  }
}

/**
 * Reduce points to at most four per integer pixel column: first, lowest, highest, last.
 *
 * A NaN y ends a column and is kept once as a gap marker, so the path breaks there.
 *
 * @param {ArrayLike<number>} px pixel x of each point, finite and ascending.
 * @param {ArrayLike<number>} py pixel y of each point; NaN for a gap.
 * @param {number} start first index to use.
 * @param {number} end index after the last one to use.
 * @param {Float64Array} outX receives the kept x values in their original order;
 *     `end - start` entries always suffice.
 * @param {Float64Array} outY receives the kept y values.
 * @returns {number} the number of points written to `outX` and `outY`.
 * @example minMaxColumns([0.1, 0.2, 0.3, 0.4, 1.5], [5, 1, 9, 4, 3], 0, 5, outX, outY) // 5
 */
export function minMaxColumns(px, py, start, end, outX, outY) {
  let count = 0;
  let column = Number.NaN;
  // The current column's points by index; `first` is -1 before a column starts.
  let first = -1;
  let last = -1;
  let lowest = -1;
  let highest = -1;
  // One step past the end, with a NaN y, closes the last column.
  for (let i = start; i <= end; i++) {
    const x = i < end ? px[i] : Number.NaN;
    const y = i < end ? py[i] : Number.NaN;
    // For finite x, the same test as Math.floor(x) === column.
    const sameColumn = first >= 0 && y === y && x >= column && x < column + 1;
    if (first >= 0 && !sameColumn) {
      count = writeColumn(px, py, first, lowest, highest, last, outX, outY, count);
      first = -1;
    }
    if (y !== y) {
      column = Number.NaN;
      if (i < end && count > 0 && outY[count - 1] === outY[count - 1]) {
        outX[count] = x;
        outY[count] = Number.NaN;
        count++;
      }
      continue;
    }
    if (!sameColumn) {
      column = Math.floor(x);
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
  return count;
}

// Write the kept points of one column of minMaxColumns and return the new count:
// the first and last point, and the lowest and highest in index order between them.
function writeColumn(px, py, first, lowest, highest, last, outX, outY, count) {
  const early = lowest < highest ? lowest : highest;
  const late = lowest < highest ? highest : lowest;
  outX[count] = px[first];
  outY[count] = py[first];
  count++;
  if (early !== first) {
    outX[count] = px[early];
    outY[count] = py[early];
    count++;
  }
  if (late !== early && late !== first) {
    outX[count] = px[late];
    outY[count] = py[late];
    count++;
  }
  if (last !== late && last !== first) {
    outX[count] = px[last];
    outY[count] = py[last];
    count++;
  }
  return count;
}

/**
 * Simplify each subpath with the Douglas-Peucker algorithm, in place.
 *
 * Meant for smooth curves, where it keeps a few dozen points of thousands. On
 * noisy data it keeps almost every point and costs up to O(n^2), so raw losses
 * are thinned by `buildPath` instead.
 *
 * @param {Float64Array} xs pixel x; the kept points move to the front.
 * @param {Float64Array} ys pixel y, NaN for a gap.
 * @param {number} count the number of points in `xs` and `ys` to use.
 * @param {number} [tolerance=0.25] the largest distance, in pixels, between a
 *     dropped point and the simplified line.
 * @returns {number} the number of points kept at the front, gap markers included.
 * @example simplifyPath(Float64Array.of(0, 1, 2, 3), Float64Array.of(0, 1, 2, 0), 4)
 *     // 3, and xs starts with [0, 2, 3]
 */
export function simplifyPath(xs, ys, count, tolerance = 0.25) {
  // The indices of the kept points, in the order they are found.
  const keptIndices = [];
  // Pairs of first and last index of the stretches still to simplify.
  const stack = [];
  // includes() finds NaN, unlike indexOf(), so a curve without gaps is
  // recognised without a loop.
  if (count > 0 && !ys.subarray(0, count).includes(Number.NaN)) {
    keptIndices.push(0);
    if (count > 1) {
      keptIndices.push(count - 1);
    }
    stack.push(0, count - 1);
  } else {
    markSubpaths(ys, count, keptIndices, stack);
  }

  const limit = tolerance * tolerance;
  while (stack.length > 0) {
    const last = stack.pop();
    const first = stack.pop();
    const farthest = farthestPoint(xs, ys, first, last, limit);
    if (farthest >= 0) {
      keptIndices.push(farthest);
      stack.push(first, farthest, farthest, last);
    }
  }

  // Move the kept points to the front in index order. Each index is kept once
  // and is at least its new position, so no point is overwritten before it is
  // read. A few hundred kept points cost less than a pass over all of them.
  const order = Int32Array.from(keptIndices).sort();
  for (let position = 0; position < order.length; position++) {
    xs[position] = xs[order[position]];
    ys[position] = ys[order[position]];
  }
  return order.length;
}

// Push the index of each gap marker and of the ends of each subpath onto
// `keptIndices`, and each subpath's first and last index onto `stack`.
function markSubpaths(ys, count, keptIndices, stack) {
  let begin = 0;
  for (let i = 0; i <= count; i++) {
    const y = i < count ? ys[i] : Number.NaN;
    if (y === y) {
      continue;
    }
    if (i > begin) {
      keptIndices.push(begin);
      if (i - 1 > begin) {
        keptIndices.push(i - 1);
      }
      stack.push(begin, i - 1);
    }
    if (i < count) {
      keptIndices.push(i);
    }
    begin = i + 1;
  }
}

// Return the index of the point between `first` and `last` farthest from the
// segment first..last, if its squared distance exceeds `limit`, otherwise -1.
function farthestPoint(xs, ys, first, last, limit) {
  const x0 = xs[first];
  const y0 = ys[first];
  const dx = xs[last] - x0;
  const dy = ys[last] - y0;
  const length = dx * dx + dy * dy;
  let farthest = -1;
  let maxDistance = limit;
  for (let i = first + 1; i < last; i++) {
    // Squared distance from point i to the segment first..last.
    let t = length > 0 ? ((xs[i] - x0) * dx + (ys[i] - y0) * dy) / length : 0;
    if (t < 0) {
      t = 0;
    } else if (t > 1) {
      t = 1;
    }
    const ex = x0 + t * dx - xs[i];
    const ey = y0 + t * dy - ys[i];
    const distance = ex * ex + ey * ey;
    if (distance > maxDistance) {
      maxDistance = distance;
      farthest = i;
    }
  }
  return farthest;
}

// Path coordinates are written as integers in tenths of a pixel: formatting
// integers is several times faster than decimals, and long paths stay short.
// Each path carries the transform that scales them back.
export const PATH_SCALE = 10;
export const PATH_TRANSFORM = `scale(${1 / PATH_SCALE})`;

/**
 * Build the `d` attribute of an SVG path; a NaN y starts a new subpath.
 *
 * With a `tolerance`, points closer than that (in both x and y, in pixels) to
 * the last written point are left out. This is the radial-distance pass of
 * line simplification: a smooth curve keeps about one point per pixel, and no
 * written segment moves by more than the tolerance. The first and last point
 * of every subpath stay.
 *
 * Coordinates are multiplied by `PATH_SCALE` and rounded, so the path must be
 * drawn with `transform=PATH_TRANSFORM` (and a non-scaling stroke). Each
 * subpath is a moveto followed by all its coordinate pairs, which the SVG path
 * grammar reads as implicit linetos.
 *
 * @param {ArrayLike<number>} xs pixel x.
 * @param {ArrayLike<number>} ys pixel y, NaN for a gap.
 * @param {number} [count=xs.length] the number of points to use.
 * @param {number} [tolerance=0] in pixels; 0 writes every point.
 * @returns {string} "" when there is no point; a lone point between gaps gives a
 *     zero-length segment, so a round line cap shows it as a dot.
 * @example buildPath([0, 1, 2], [5, NaN, 7]) // "M0 50h0M20 70h0"
 * @example buildPath([0, 1, 2], [5, 6, 7.04]) // "M0 50 10 60 20 70"
 * @example buildPath([0, 0.1, 0.2, 3], [0, 0.1, 0.1, 3], 4, 0.5) // "M0 0 30 30"
 */
export function buildPath(xs, ys, count = xs.length, tolerance = 0) {
  const { rounded, integers } = pathBuffers(2 * count);
  // Where each subpath's coordinates end in `rounded`.
  const subpathEnds = [];
  let length = 0;
  let largest = 0;
  let lastX = Number.NaN;
  let lastY = Number.NaN;
  for (let i = 0; i < count; i++) {
    const x = xs[i];
    const y = ys[i];
    if (y !== y) {
      if (length > 0 && length !== subpathEnds[subpathEnds.length - 1]) {
        subpathEnds.push(length);
      }
      lastY = Number.NaN;
      continue;
    }
    // NaN comparisons are false, so the first point of a subpath is never
    // far: the NaN test of lastY writes it. So does the NaN test of the next
    // y for the last point.
    const dx = x - lastX;
    const dy = y - lastY;
    const far = dx >= tolerance || dx <= -tolerance || dy >= tolerance || dy <= -tolerance;
    const next = i + 1 < count ? ys[i + 1] : Number.NaN;
    if (!(far || next !== next || lastY !== lastY)) {
      continue;
    }
    lastX = x;
    lastY = y;
    const pathX = Math.round(x * PATH_SCALE);
    const pathY = Math.round(y * PATH_SCALE);
    rounded[length++] = pathX;
    rounded[length++] = pathY;
    if (pathX > largest || -pathX > largest) {
      largest = pathX > 0 ? pathX : -pathX;
    }
    if (pathY > largest || -pathY > largest) {
      largest = pathY > 0 ? pathY : -pathY;
    }
  }
  if (length > 0 && length !== subpathEnds[subpathEnds.length - 1]) {
    subpathEnds.push(length);
  }

  // A typed array's join() writes the numbers several times faster than
  // string concatenation, and an Int32Array's faster than a Float64Array's.
  // Only a point far outside the plot after a deep zoom exceeds int32.
  let coordinates = rounded;
  if (largest <= 2147483647) {
    integers.set(rounded.subarray(0, length));
    coordinates = integers;
  }
  let path = "";
  let start = 0;
  for (const end of subpathEnds) {
    path += "M" + coordinates.subarray(start, end).join(" ");
    if (end - start === 2) {
      path += "h0";
    }
    start = end;
  }
  return path;
}

// Working arrays, grown on demand and reused, so that drawing hundreds of
// series does not allocate arrays per series. Each function below returns
// arrays of at least `size` entries.
let pathArrays = { rounded: new Float64Array(0), integers: new Int32Array(0) };
let pixelArrays = { px: new Float64Array(0), py: new Float64Array(0) };
let keptArrays = { x: new Float64Array(0), y: new Float64Array(0) };

function pathBuffers(size) {
  if (pathArrays.rounded.length < size) {
    const capacity = Math.max(size, 2 * pathArrays.rounded.length);
    pathArrays = { rounded: new Float64Array(capacity), integers: new Int32Array(capacity) };
  }
  return pathArrays;
}

function pixelBuffers(size) {
  if (pixelArrays.px.length < size) {
    const capacity = Math.max(size, 2 * pixelArrays.px.length);
    pixelArrays = { px: new Float64Array(capacity), py: new Float64Array(capacity) };
  }
  return pixelArrays;
}

function keptBuffers(size) {
  if (keptArrays.x.length < size) {
    const capacity = Math.max(size, 2 * keptArrays.x.length);
    keptArrays = { x: new Float64Array(capacity), y: new Float64Array(capacity) };
  }
  return keptArrays;
}

/**
 * Map, downsample and turn one series into a path string.
 *
 * @param {ArrayLike<number>} logX log10 of the learning rates, ascending.
 * @param {ArrayLike<number>} values the losses (NaN for gaps).
 * @param {{x: {origin: number, low: number, factor: number},
 *     y: ReturnType<typeof import("./scales.js").linearScale>, visible: [number, number],
 *     clamp: [number, number], beyond?: boolean, smooth?: boolean}} mapping `x`,
 *     `y` and `clamp` as for `projectPoints`; `visible` is the log10 range
 *     shown, `beyond` (default true) whether the path runs on to the nearest
 *     point outside `visible`, and `smooth` whether the series is a smooth curve
 *     (simplified with `simplifyPath`) rather than raw data (thinned by `buildPath`).
 * @returns {string}
 * @example seriesPath([0, 1], [1, 2], {x: {origin: 0, low: 0, factor: 10},
 *     y: linearScale([0, 1], [0, 1]), visible: [0, 1], clamp: [-100, 100]}) // "M0 10 100 20"
 */
export function seriesPath(logX, values, mapping) {
  const [start, end] = visibleRange(
    logX,
    mapping.visible[0],
    mapping.visible[1],
    mapping.beyond ?? true,
  );
  const count = end - start;
  const { px, py } = pixelBuffers(count);
  projectPoints(logX, values, start, end, mapping, px, py);
  const { x, y } = keptBuffers(count);
  const reduced = minMaxColumns(px, py, 0, count, x, y);
  if (mapping.smooth) {
    return buildPath(x, y, simplifyPath(x, y, reduced));
  }
  // Raw losses lose the points within half a pixel of the one before.
  return buildPath(x, y, reduced, 0.5);
}
