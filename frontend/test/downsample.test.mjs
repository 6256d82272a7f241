import assert from "node:assert/strict";
import { test } from "node:test";

import {
  PATH_SCALE,
  PATH_TRANSFORM,
  buildPath,
  minMaxColumns,
  projectPoints,
  seriesPath,
  simplifyPath,
  visibleRange,
} from "../downsample.js";
import { linearScale, logScale } from "../scales.js";

test("visibleRange includes one point beyond each edge", () => {
  assert.deepEqual(visibleRange([0, 1, 2, 3, 4], 1.5, 2.5), [1, 4]);
  assert.deepEqual(visibleRange([0, 1, 2, 3, 4], -10, 10), [0, 5]);
  assert.deepEqual(visibleRange([0, 1, 2], 5, 6), [2, 3]);
  assert.deepEqual(visibleRange([], 0, 1), [0, 0]);
});

// minMaxColumns with fresh output arrays, as plain arrays of the kept points.
function columns(px, py, start = 0, end = px.length) {
  const outX = new Float64Array(end - start);
  const outY = new Float64Array(end - start);
  const count = minMaxColumns(px, py, start, end, outX, outY);
  return { x: Array.from(outX.subarray(0, count)), y: Array.from(outY.subarray(0, count)) };
}

test("minMaxColumns keeps first, lowest, highest and last of a column in order", () => {
  const px = [0.1, 0.2, 0.3, 0.4, 0.5, 1.5];
  const py = [5, 9, 1, 7, 6, 3];
  const reduced = columns(px, py);
  assert.deepEqual(reduced.y, [5, 9, 1, 6, 3]);
  assert.deepEqual(reduced.x, [0.1, 0.2, 0.3, 0.5, 1.5]);
});

test("minMaxColumns bounds the output by four points per column", () => {
  const count = 100000;
  const px = new Float64Array(count);
  const py = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    px[i] = (i / count) * 500;
    py[i] = Math.sin(i) * 100;
  }
  const reduced = columns(px, py);
  assert.ok(reduced.x.length <= 4 * 500, `${reduced.x.length} points`);
  // The envelope survives: the extremes of the input are in the output.
  assert.equal(Math.max(...reduced.y), Math.max(...py));
  assert.equal(Math.min(...reduced.y), Math.min(...py));
  // The first and last points survive.
  assert.equal(reduced.y[0], py[0]);
  assert.equal(reduced.y[reduced.y.length - 1], py[count - 1]);
});

test("minMaxColumns keeps a single gap marker for NaN runs", () => {
  const reduced = columns([0, 1, 2, 3, 4], [1, Number.NaN, Number.NaN, 2, 3]);
  assert.equal(reduced.y.length, 4);
  assert.equal(reduced.y[0], 1);
  assert.ok(Number.isNaN(reduced.y[1]));
  assert.deepEqual(reduced.y.slice(2), [2, 3]);
});

test("minMaxColumns starts without a gap marker", () => {
  const reduced = columns([0, 1, 2], [Number.NaN, 1, 2]);
  assert.deepEqual(reduced.y, [1, 2]);
});

test("minMaxColumns honours start and end", () => {
  const reduced = columns([0, 1, 2, 3], [4, 5, 6, 7], 1, 3);
  assert.deepEqual(reduced.y, [5, 6]);
});

// A seeded pseudo-random generator (mulberry32), so failures can be reproduced.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Points with runs of NaN and repeated values, a few per pixel column.
function randomPoints(next, count) {
  const px = new Float64Array(count);
  const py = new Float64Array(count);
  let x = next() * 3;
  for (let i = 0; i < count; i++) {
    x += next() * 0.8;
    px[i] = x;
    py[i] = next() < 0.05 ? Number.NaN : Math.round(next() * 8);
  }
  return { px, py };
}

// minMaxColumns by its definition: split at NaN and at pixel-column changes,
// keep per column the first, the first lowest, the first highest and the last
// point in index order, and one gap marker per run of NaN after a point.
function referenceColumns(px, py) {
  const x = [];
  const y = [];
  let i = 0;
  while (i < px.length) {
    if (Number.isNaN(py[i])) {
      if (y.length > 0 && !Number.isNaN(y[y.length - 1])) {
        x.push(px[i]);
        y.push(Number.NaN);
      }
      i++;
      continue;
    }
    let end = i;
    while (end < px.length && !Number.isNaN(py[end]) && Math.floor(px[end]) === Math.floor(px[i])) {
      end++;
    }
    const column = Array.from({ length: end - i }, (_, k) => i + k);
    const lowest = column.reduce((a, b) => (py[b] < py[a] ? b : a));
    const highest = column.reduce((a, b) => (py[b] > py[a] ? b : a));
    for (const index of [...new Set([i, lowest, highest, end - 1])].sort((a, b) => a - b)) {
      x.push(px[index]);
      y.push(py[index]);
    }
    i = end;
  }
  return { x, y };
}

test("minMaxColumns matches its definition on random points", () => {
  const next = random(1);
  for (let trial = 0; trial < 300; trial++) {
    const { px, py } = randomPoints(next, 1 + Math.floor(next() * 60));
    assert.deepEqual(columns(px, py), referenceColumns(px, py), `trial ${trial}`);
  }
});

test("projectPoints maps and clamps like the scales", () => {
  const mapping = {
    x: { origin: 10, low: -2, factor: 100 },
    y: logScale([1, 100], [200, 0]),
    clamp: [-50, 150],
  };
  const px = new Float64Array(6);
  const py = new Float64Array(6);
  // 1e6 lies above the plot, 0.01 below it, and 0 cannot be drawn on a log axis.
  projectPoints([-2, -1, 0, 1, 2, 3], [10, 1e6, 0, Number.NaN, 0.01, 10], 0, 6, mapping, px, py);
  assert.deepEqual(Array.from(px), [10, 110, 210, 310, 410, 510]);
  assert.deepEqual(Array.from(py.subarray(0, 2)), [100, -50]);
  assert.ok(Number.isNaN(py[2]));
  assert.ok(Number.isNaN(py[3]));
  assert.deepEqual(Array.from(py.subarray(4)), [150, 100]);

  const linear = linearScale([0, 4], [100, 0]);
  projectPoints([5, 6], [1, 3], 0, 2, { ...mapping, y: linear, clamp: [-1000, 1000] }, px, py);
  assert.deepEqual(Array.from(py.subarray(0, 2)), [linear.map(1), linear.map(3)]);
  assert.deepEqual(Array.from(px.subarray(0, 2)), [710, 810]);
});

test("projectPoints writes point start + i at i", () => {
  const px = new Float64Array(2);
  const py = new Float64Array(2);
  const mapping = {
    x: { origin: 0, low: 0, factor: 1 },
    y: linearScale([0, 1], [0, 1]),
    clamp: [-9, 9],
  };
  projectPoints([0, 1, 2, 3], [4, 5, 6, 7], 1, 3, mapping, px, py);
  assert.deepEqual(Array.from(px), [1, 2]);
  assert.deepEqual(Array.from(py), [5, 6]);
});

test("minMaxColumns writes a column's points in their original order", () => {
  // Highest before lowest within one column, then a point in the next column.
  const reduced = columns([0.1, 0.2, 0.3, 0.4, 0.5, 1.5], [5, 1, 9, 7, 6, 3].map((v) => -v));
  assert.deepEqual(reduced.y, [-5, -1, -9, -6, -3]);
  const flat = columns([0.1, 0.2, 0.3], [4, 4, 4]);
  assert.deepEqual(flat.x, [0.1, 0.3]);
});

test("buildPath joins points in tenths of a pixel and breaks at gaps", () => {
  assert.equal(buildPath([0, 1, 2, 3], [5, Number.NaN, Number.NaN, 8]), "M0 50h0M30 80h0");
  assert.equal(buildPath([0, 1], [Number.NaN, 2]), "M10 20h0");
  assert.equal(PATH_SCALE, 10);
  assert.equal(PATH_TRANSFORM, "scale(0.1)");
  assert.equal(buildPath([0, 1, 2], [5, 6, 7]), "M0 50 10 60 20 70");
  assert.equal(buildPath([0, 1, 2, 3], [5, Number.NaN, 7, 8]), "M0 50h0M20 70 30 80");
  assert.equal(buildPath([], []), "");
  assert.equal(buildPath([0.123, 1.987], [4.449, 4.451]), "M1 44 20 45");
  assert.equal(buildPath([0, 1, 2], [5, 6, 7], 2), "M0 50 10 60");
});

// Run simplifyPath on copies and return the kept points.
function kept(pass, xs, ys, ...options) {
  const x = Float64Array.from(xs);
  const y = Float64Array.from(ys);
  const count = pass(x, y, x.length, ...options);
  return { x: Array.from(x.subarray(0, count)), y: Array.from(y.subarray(0, count)) };
}

test("buildPath writes coordinates beyond the int32 range exactly", () => {
  // A point far outside the plot, as after a deep zoom.
  assert.equal(buildPath([0, 3e9, 4], [1, 2, 3]), "M0 10 30000000000 20 40 30");
  assert.equal(buildPath([0, 1], [-3e9, 2]), "M0 -30000000000 10 20");
});

test("buildPath with a tolerance drops points within it", () => {
  assert.equal(buildPath([0, 0.1, 0.2, 3, 3.1], [0, 0.1, 0.1, 3, 3], 5, 0.5), "M0 0 30 30 31 30");
  // Gaps and the points around them stay.
  assert.equal(buildPath([0, 0.1, 0.2, 0.3], [0, Number.NaN, 0, 0], 4, 0.5), "M0 0h0M2 0 3 0");
  // The last point of a subpath stays, however close.
  assert.equal(buildPath([0, 5, 5.1], [0, 5, 5.1], 3, 0.5), "M0 0 50 50 51 51");
  // Far in y alone is far.
  assert.equal(buildPath([0, 0.1, 0.2, 0.3], [0, 2, 0, 0], 4, 0.5), "M0 0 1 20 2 0 3 0");
});

test("buildPath without a tolerance writes every point", () => {
  assert.equal(buildPath([0, 0, 0.01], [1, 1, 1], 3), "M0 10 0 10 0 10");
});

test("simplifyPath keeps corners and drops straight runs", () => {
  const xs = Array.from({ length: 101 }, (_, i) => i);
  const ys = xs.map((x) => (x <= 50 ? x : 100 - x));
  const simplified = kept(simplifyPath, xs, ys);
  assert.deepEqual(simplified.x, [0, 50, 100]);
  assert.deepEqual(simplified.y, [0, 50, 0]);
});

test("simplifyPath keeps gaps and subpath ends", () => {
  const simplified = kept(simplifyPath, [0, 1, 2, 3, 4, 5, 6], [0, 1, 2, Number.NaN, 4, 4, 4]);
  assert.deepEqual(simplified.x, [0, 2, 3, 4, 6]);
  assert.ok(Number.isNaN(simplified.y[2]));
});

test("simplifyPath stays within the tolerance of a smooth curve", () => {
  const xs = Array.from({ length: 2000 }, (_, i) => i * 0.5);
  const ys = xs.map((x) => 200 - 150 / (1 + Math.exp(-(x - 500) / 60)));
  const simplified = kept(simplifyPath, xs, ys, 0.25);
  assert.ok(simplified.x.length < 100, `${simplified.x.length} points`);
  // Every original point lies within the tolerance of the simplified line.
  let segment = 0;
  for (let i = 0; i < xs.length; i++) {
    while (simplified.x[segment + 1] < xs[i]) {
      segment++;
    }
    const [x0, x1] = [simplified.x[segment], simplified.x[segment + 1]];
    const [y0, y1] = [simplified.y[segment], simplified.y[segment + 1]];
    const y = y0 + ((y1 - y0) * (xs[i] - x0)) / (x1 - x0 || 1);
    assert.ok(Math.abs(y - ys[i]) <= 0.26, `point ${i} is ${Math.abs(y - ys[i])} px away`);
  }
});

// The Douglas-Peucker algorithm, recursive, with the same distance arithmetic
// and tie rule (the first of equally far points) as simplifyPath.
function referenceSimplify(xs, ys, tolerance = 0.25) {
  const keep = new Array(xs.length).fill(false);
  const split = (first, last) => {
    let farthest = -1;
    let maxDistance = tolerance * tolerance;
    const dx = xs[last] - xs[first];
    const dy = ys[last] - ys[first];
    const length = dx * dx + dy * dy;
    for (let i = first + 1; i < last; i++) {
      let t = length > 0 ? ((xs[i] - xs[first]) * dx + (ys[i] - ys[first]) * dy) / length : 0;
      t = Math.max(0, Math.min(1, t));
      const distance = (xs[first] + t * dx - xs[i]) ** 2 + (ys[first] + t * dy - ys[i]) ** 2;
      if (distance > maxDistance) {
        maxDistance = distance;
        farthest = i;
      }
    }
    if (farthest >= 0) {
      keep[farthest] = true;
      split(first, farthest);
      split(farthest, last);
    }
  };
  let begin = 0;
  for (let i = 0; i <= xs.length; i++) {
    if (i < xs.length && !Number.isNaN(ys[i])) {
      continue;
    }
    if (i < xs.length) {
      keep[i] = true;
    }
    if (i > begin) {
      keep[begin] = true;
      keep[i - 1] = true;
      split(begin, i - 1);
    }
    begin = i + 1;
  }
  const indices = keep.flatMap((kept, i) => (kept ? [i] : []));
  return { x: indices.map((i) => xs[i]), y: indices.map((i) => ys[i]) };
}

test("simplifyPath matches a recursive Douglas-Peucker on random curves", () => {
  const next = random(2);
  for (let trial = 0; trial < 300; trial++) {
    const count = Math.floor(next() * 80);
    const xs = Float64Array.from({ length: count }, (_, i) => i * 0.5);
    // Odd trials have whole-pixel values, so that points tie for the farthest.
    const ys = Float64Array.from({ length: count }, (_, i) => {
      const y = 20 * Math.sin(i / (2 + (trial % 9))) + next();
      if (next() < 0.04) {
        return Number.NaN;
      }
      return trial % 2 === 1 ? Math.round(y) : y;
    });
    const expected = referenceSimplify(Array.from(xs), Array.from(ys));
    assert.deepEqual(kept(simplifyPath, xs, ys), expected, `trial ${trial}`);
  }
});

test("seriesPath maps, clamps and downsamples", () => {
  const logX = [0, 1, 2];
  const values = [1, 1e30, 2];
  const d = seriesPath(logX, values, {
    x: { origin: 0, low: 0, factor: 100 },
    y: linearScale([0, 100], [100, 0]),
    visible: [0, 2],
    clamp: [-50, 150],
  });
  assert.equal(d, "M0 990 1000 -500 2000 980");
});

test("seriesPath on a log y scale breaks at losses <= 0", () => {
  const d = seriesPath([0, 1, 2, 3], [10, 0, 100, 1000], {
    x: { origin: 0, low: 0, factor: 10 },
    y: logScale([1, 1000], [300, 0]),
    visible: [0, 3],
    clamp: [-1000, 1000],
  });
  assert.equal(d, "M0 2000h0M200 1000 300 0");
});

test("seriesPath simplifies a smooth series and thins a raw one", () => {
  const logX = Float64Array.from({ length: 1000 }, (_, i) => i / 100);
  const line = Float64Array.from(logX, (x) => 2 * x);
  const mapping = {
    x: { origin: 0, low: 0, factor: 100 },
    y: linearScale([0, 20], [200, 0]),
    visible: [0, 10],
    clamp: [-200, 400],
  };
  assert.equal(seriesPath(logX, line, { ...mapping, smooth: true }), "M0 2000 9990 2");
  // Raw points one pixel apart are all kept.
  const raw = seriesPath(logX, line, mapping);
  assert.equal(raw.replace(/[MLh]/g, " ").trim().split(/ +/).length / 2, 1000);
});

test("seriesPath of a dense series stays small", () => {
  const count = 10000;
  const logX = Float64Array.from({ length: count }, (_, i) => -7 + (8 * i) / count);
  const values = Float64Array.from({ length: count }, (_, i) => 2 + Math.sin(i));
  const d = seriesPath(logX, values, {
    x: { origin: 0, low: -7, factor: 100 },
    y: linearScale([0, 100], [0, 1000]),
    visible: [-7, 1],
    clamp: [-1000, 1000],
  });
  const points = d.replace(/[MLh]/g, " ").trim().split(/ +/).length / 2;
  assert.ok(points <= 4 * 801, `${points} points`);
});

test("seriesPath gives the same path when called again", () => {
  // The working arrays are reused between calls, so a longer series in
  // between must not change a shorter one's path.
  const mapping = {
    x: { origin: 0, low: 0, factor: 100 },
    y: linearScale([0, 10], [100, 0]),
    visible: [0, 5],
    clamp: [-100, 200],
  };
  const short = seriesPath([0, 1, 2], [1, 5, 2], mapping);
  const long = Float64Array.from({ length: 5000 }, (_, i) => i / 1000);
  seriesPath(long, Float64Array.from(long, (x) => x + 1), mapping);
  assert.equal(seriesPath([0, 1, 2], [1, 5, 2], mapping), short);
  assert.equal(short, "M0 900 1000 500 2000 800");
});

test("visibleRange without the points beyond the edges", () => {
  assert.deepEqual(visibleRange([0, 1, 2, 3, 4], 1, 3, false), [1, 4]);
  assert.deepEqual(visibleRange([0, 1, 2, 3, 4], 1.5, 2.5, false), [2, 3]);
  assert.deepEqual(visibleRange([0, 1, 1, 1, 4], 1, 1, false), [1, 4]);
  assert.deepEqual(visibleRange([0, 1], 5, 6, false), [2, 2]);
});
