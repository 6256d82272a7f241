import assert from "node:assert/strict";
import { test } from "node:test";

import {
  PATH_SCALE,
  PATH_TRANSFORM,
  buildPath,
  minMaxColumns,
  seriesPath,
  simplifyPath,
  thinPoints,
  visibleRange,
} from "../downsample.js";

test("visibleRange includes one point beyond each edge", () => {
  assert.deepEqual(visibleRange([0, 1, 2, 3, 4], 1.5, 2.5), [1, 4]);
  assert.deepEqual(visibleRange([0, 1, 2, 3, 4], -10, 10), [0, 5]);
  assert.deepEqual(visibleRange([0, 1, 2], 5, 6), [2, 3]);
  assert.deepEqual(visibleRange([], 0, 1), [0, 0]);
});

test("minMaxColumns keeps first, lowest, highest and last of a column in order", () => {
  const px = [0.1, 0.2, 0.3, 0.4, 0.5, 1.5];
  const py = [5, 9, 1, 7, 6, 3];
  const reduced = minMaxColumns(px, py);
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
  const reduced = minMaxColumns(px, py);
  assert.ok(reduced.x.length <= 4 * 500, `${reduced.x.length} points`);
  // The envelope survives: the extremes of the input are in the output.
  assert.equal(Math.max(...reduced.y), Math.max(...py));
  assert.equal(Math.min(...reduced.y), Math.min(...py));
  // The first and last points survive.
  assert.equal(reduced.y[0], py[0]);
  assert.equal(reduced.y[reduced.y.length - 1], py[count - 1]);
});

test("minMaxColumns keeps a single gap marker for NaN runs", () => {
  const reduced = minMaxColumns([0, 1, 2, 3, 4], [1, Number.NaN, Number.NaN, 2, 3]);
  assert.equal(reduced.y.length, 4);
  assert.equal(reduced.y[0], 1);
  assert.ok(Number.isNaN(reduced.y[1]));
  assert.deepEqual(reduced.y.slice(2), [2, 3]);
});

test("minMaxColumns starts without a gap marker", () => {
  const reduced = minMaxColumns([0, 1, 2], [Number.NaN, 1, 2]);
  assert.deepEqual(reduced.y, [1, 2]);
});

test("minMaxColumns honours start and end", () => {
  const reduced = minMaxColumns([0, 1, 2, 3], [4, 5, 6, 7], 1, 3);
  assert.deepEqual(reduced.y, [5, 6]);
});

test("buildPath joins points in tenths of a pixel and breaks at gaps", () => {
  assert.equal(PATH_SCALE, 10);
  assert.equal(PATH_TRANSFORM, "scale(0.1)");
  assert.equal(buildPath([0, 1, 2], [5, 6, 7]), "M0 50L10 60 20 70");
  assert.equal(buildPath([0, 1, 2, 3], [5, Number.NaN, 7, 8]), "M0 50h0M20 70L30 80");
  assert.equal(buildPath([], []), "");
  assert.equal(buildPath([0.123, 1.987], [4.449, 4.451]), "M1 44L20 45");
});

test("thinPoints drops points within the tolerance", () => {
  const thinned = thinPoints([0, 0.1, 0.2, 3, 3.1], [0, 0.1, 0.1, 3, 3]);
  assert.deepEqual(thinned.x, [0, 3, 3.1]);
  const gaps = thinPoints([0, 0.1, 0.2, 0.3], [0, Number.NaN, 0, 0]);
  assert.deepEqual(gaps.x, [0, 0.1, 0.2, 0.3]);
  assert.ok(Number.isNaN(gaps.y[1]));
});

test("simplifyPath keeps corners and drops straight runs", () => {
  const xs = Array.from({ length: 101 }, (_, i) => i);
  const ys = xs.map((x) => (x <= 50 ? x : 100 - x));
  const simplified = simplifyPath(xs, ys);
  assert.deepEqual(simplified.x, [0, 50, 100]);
  assert.deepEqual(simplified.y, [0, 50, 0]);
});

test("simplifyPath keeps gaps and subpath ends", () => {
  const simplified = simplifyPath([0, 1, 2, 3, 4, 5, 6], [0, 1, 2, Number.NaN, 4, 4, 4]);
  assert.deepEqual(simplified.x, [0, 2, 3, 4, 6]);
  assert.ok(Number.isNaN(simplified.y[2]));
});

test("simplifyPath stays within the tolerance of a smooth curve", () => {
  const xs = Array.from({ length: 2000 }, (_, i) => i * 0.5);
  const ys = xs.map((x) => 200 - 150 / (1 + Math.exp(-(x - 500) / 60)));
  const simplified = simplifyPath(xs, ys, 0.25);
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

test("seriesPath maps, clamps and downsamples", () => {
  const logX = [0, 1, 2];
  const values = [1, 1e30, 2];
  const d = seriesPath(logX, values, {
    xOf: (v) => v * 100,
    yOf: (v) => 100 - v,
    visible: [0, 2],
    clamp: [-50, 150],
  });
  assert.equal(d, "M0 990L1000 -500 2000 980");
});

test("seriesPath of a dense series stays small", () => {
  const count = 10000;
  const logX = Float64Array.from({ length: count }, (_, i) => -7 + (8 * i) / count);
  const values = Float64Array.from({ length: count }, (_, i) => 2 + Math.sin(i));
  const d = seriesPath(logX, values, {
    xOf: (v) => ((v + 7) / 8) * 800,
    yOf: (v) => v * 10,
    visible: [-7, 1],
    clamp: [-1000, 1000],
  });
  const points = d.replace(/[MLh]/g, " ").trim().split(/ +/).length / 2;
  assert.ok(points <= 4 * 801, `${points} points`);
});

test("visibleRange without the points beyond the edges", () => {
  assert.deepEqual(visibleRange([0, 1, 2, 3, 4], 1, 3, false), [1, 4]);
  assert.deepEqual(visibleRange([0, 1, 2, 3, 4], 1.5, 2.5, false), [2, 3]);
  assert.deepEqual(visibleRange([0, 1, 1, 1, 4], 1, 1, false), [1, 4]);
  assert.deepEqual(visibleRange([0, 1], 5, 6, false), [2, 2]);
});
