import assert from "node:assert/strict";
import { test } from "node:test";

import {
  computeXDomain,
  computeYRange,
  decadeTicks,
  formatLogTick,
  linearScale,
  linearTicks,
  logScale,
  quantile,
} from "../scales.js";

function close(actual, expected, tolerance = 1e-9) {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} != ${expected}`);
}

test("linearScale maps and inverts", () => {
  const scale = linearScale([0, 10], [100, 0]);
  close(scale.map(5), 50);
  close(scale.invert(25), 7.5);
});

test("logScale maps decades evenly", () => {
  const scale = logScale([1e-4, 1], [0, 400]);
  close(scale.map(1e-3), 100);
  close(scale.map(1e-2), 200);
  close(scale.invert(300), 0.1, 1e-12);
  assert.ok(Number.isNaN(scale.map(0)));
  assert.ok(Number.isNaN(scale.map(-1)));
});

test("logScale rejects a domain that is not > 0", () => {
  assert.throws(() => logScale([0, 1], [0, 1]), RangeError);
  assert.throws(() => logScale([1e-3, Infinity], [0, 1]), RangeError);
});

test("decadeTicks gives one tick per decade", () => {
  const ticks = decadeTicks(1e-7, 10);
  assert.deepEqual(
    ticks.map((tick) => tick.label),
    ["1e-7", "1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "0.1", "1", "10"],
  );
  assert.ok(ticks.every((tick) => tick.major));
  assert.equal(ticks[0].value, 1e-7);
});

test("decadeTicks stays inside a domain that does not start on a decade", () => {
  const ticks = decadeTicks(3e-6, 0.5);
  assert.deepEqual(
    ticks.map((tick) => tick.value),
    [1e-5, 1e-4, 1e-3, 1e-2, 0.1],
  );
});

test("decadeTicks thins out many decades", () => {
  const ticks = decadeTicks(1e-20, 1e20, 10);
  assert.ok(ticks.length <= 11, `${ticks.length} ticks`);
  assert.ok(ticks.length >= 5);
  assert.ok(ticks.some((tick) => tick.value === 1));
});

test("decadeTicks adds 2 and 5 on a zoomed axis", () => {
  const ticks = decadeTicks(1e-3, 5e-2);
  const labels = ticks.map((tick) => tick.label);
  assert.deepEqual(labels, ["1e-3", "2e-3", "5e-3", "1e-2", "2e-2", "5e-2"]);
  assert.deepEqual(
    ticks.filter((tick) => tick.major).map((tick) => tick.label),
    ["1e-3", "1e-2"],
  );
});

test("decadeTicks falls back to linear ticks within a factor of 3", () => {
  const ticks = decadeTicks(0.01, 0.02);
  assert.ok(ticks.length >= 3);
  for (const tick of ticks) {
    assert.ok(tick.value >= 0.01, `${tick.value}`);
    assert.ok(tick.value <= 0.02, `${tick.value}`);
  }
});

test("decadeTicks of an invalid domain is empty", () => {
  assert.deepEqual(decadeTicks(0, 1), []);
  assert.deepEqual(decadeTicks(1, 1), []);
});

test("formatLogTick labels", () => {
  assert.equal(formatLogTick(1e-3), "1e-3");
  assert.equal(formatLogTick(2e-5), "2e-5");
  assert.equal(formatLogTick(0.1), "0.1");
  assert.equal(formatLogTick(1), "1");
  assert.equal(formatLogTick(100), "100");
  assert.equal(formatLogTick(1e4), "1e4");
});

test("linearTicks picks nice steps", () => {
  assert.deepEqual(
    linearTicks(0, 1, 5).map((tick) => tick.value),
    [0, 0.2, 0.4, 0.6, 0.8, 1],
  );
  assert.deepEqual(
    linearTicks(0.13, 0.62, 5).map((tick) => tick.value),
    [0.2, 0.3, 0.4, 0.5, 0.6],
  );
  assert.equal(linearTicks(1, 1).length, 1);
});

test("quantile interpolates and ignores NaN", () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  close(quantile([0, 10], 0.25), 2.5);
  assert.equal(quantile([Number.NaN, 4], 1), 4);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

// A range-test curve: flat, a descent, a minimum at index 70, then divergence.
function rangeTestCurve() {
  const x = [];
  const raw = [];
  for (let i = 0; i < 100; i++) {
    x.push(10 ** (-7 + (8 * i) / 99));
    if (i < 30) {
      raw.push(2.3);
    } else if (i <= 70) {
      raw.push(2.3 - (1.8 * (i - 30)) / 40);
    } else {
      raw.push(0.5 * 3 ** (i - 70));
    }
  }
  return { x, raw, smooth: raw.slice() };
}

test("computeYRange clips the diverged tail and says so", () => {
  const series = rangeTestCurve();
  const range = computeYRange([series]);
  assert.equal(range.clipped, true);
  // The descent spans 0.5..2.3; the cap leaves a quarter of that as headroom.
  close(range.clipValue, 2.3 + 0.25 * 1.8, 1e-9);
  close(range.domain[1], range.clipValue);
  assert.ok(range.domain[0] < 0.5);
  assert.ok(range.hiddenPoints > 0);
  assert.ok(range.hiddenPoints < 30);
  assert.equal(range.empty, false);
});

test("computeYRange keeps a curve without divergence whole", () => {
  const x = [1e-5, 1e-4, 1e-3, 1e-2];
  const raw = [2, 1.5, 1, 0.8];
  const range = computeYRange([{ x, raw, smooth: raw }]);
  assert.equal(range.clipped, false);
  assert.ok(range.domain[0] < 0.8 && range.domain[1] > 2);
  assert.equal(range.hiddenPoints, 0);
});

test("computeYRange does not clip most of a zoomed view", () => {
  const series = rangeTestCurve();
  // Zoomed onto the tail only: clipping would hide most points.
  const range = computeYRange([series], { xDomain: [series.x[72], series.x[99]] });
  assert.equal(range.clipped, false);
  assert.ok(range.domain[1] >= Math.max(...series.raw.slice(72)));
});

test("computeYRange on a log axis skips values <= 0", () => {
  const x = [1e-4, 1e-3, 1e-2, 1e-1];
  const raw = [-1, 0, 0.1, 10];
  const range = computeYRange([{ x, raw, smooth: raw }], { log: true });
  assert.ok(range.domain[0] > 0);
  assert.ok(range.domain[0] < 0.1);
  assert.ok(range.domain[1] >= 10);
});

test("computeYRange ignores non-finite values", () => {
  const x = [1e-4, 1e-3, 1e-2];
  const raw = [1, Number.NaN, Infinity];
  const range = computeYRange([{ x, raw, smooth: [Number.NaN, Number.NaN, Number.NaN] }]);
  assert.ok(Number.isFinite(range.domain[0]) && Number.isFinite(range.domain[1]));
  assert.ok(range.domain[0] < 1 && range.domain[1] > 1);
});

test("computeYRange of no drawable value is marked empty", () => {
  const range = computeYRange([{ x: [1e-3], raw: [Number.NaN], smooth: [Number.NaN] }]);
  assert.equal(range.empty, true);
  assert.equal(computeYRange([]).empty, true);
});

test("computeYRange of several runs covers every descent", () => {
  const first = rangeTestCurve();
  const second = { x: first.x, raw: first.raw.map((v) => v * 2), smooth: first.raw.map((v) => v * 2) };
  const range = computeYRange([first, second]);
  assert.ok(range.domain[1] >= 4.6, `top ${range.domain[1]}`);
  assert.ok(range.domain[0] <= 0.5);
});

// computeYRange written out directly from its description, as the reference.
function referenceYRange(seriesList, { log = false, xDomain = [-Infinity, Infinity] } = {}) {
  const axis = (value) => {
    if (!log) {
      return value;
    }
    return value > 0 ? Math.log10(value) : Number.NaN;
  };
  const inRange = (x) => x >= xDomain[0] && x <= xDomain[1];

  let low = Infinity;
  let fullTop = -Infinity;
  let robustTop = -Infinity;
  let rawCount = 0;
  const finiteRaw = [];
  for (const { x, raw, smooth } of seriesList) {
    const points = Array.from(x).flatMap((value, i) =>
      inRange(value) ? [{ raw: axis(raw[i]), smooth: axis(smooth[i]) }] : [],
    );
    const finite = (value) => Number.isFinite(value);
    for (const point of points) {
      for (const value of [point.raw, point.smooth].filter(finite)) {
        low = Math.min(low, value);
        fullTop = Math.max(fullTop, value);
      }
    }
    const raws = points.map((point) => point.raw).filter(finite);
    rawCount += raws.length;
    finiteRaw.push(...raws);

    // The descent ends at the first lowest smoothed value, or raw value without one.
    const smooths = points.map((point) => point.smooth);
    const key = smooths.some(finite) ? "smooth" : "raw";
    const values = points.map((point) => point[key]);
    const lowest = Math.min(...values.filter(finite));
    const end = values.findIndex((value) => value === lowest);
    const head = points.slice(0, end + 1);
    const headRaw = head.map((point) => point.raw).filter(finite).sort((a, b) => a - b);
    const smoothTop = Math.max(...head.map((point) => point.smooth).filter(finite));
    let rawTop = Number.NaN;
    if (headRaw.length > 0) {
      const position = (headRaw.length - 1) * 0.98;
      const below = Math.floor(position);
      const above = Math.min(headRaw.length - 1, below + 1);
      rawTop = headRaw[below] + (headRaw[above] - headRaw[below]) * (position - below);
    }
    const top = Number.isNaN(rawTop) ? smoothTop : Math.max(smoothTop, rawTop);
    if (Number.isFinite(top)) {
      robustTop = Math.max(robustTop, top);
    }
  }

  if (!Number.isFinite(low)) {
    return { empty: true };
  }
  let top = fullTop;
  let hiddenPoints = 0;
  let clipped = false;
  if (Number.isFinite(robustTop)) {
    const cap = robustTop + 0.25 * Math.max(robustTop - low, 0);
    if (fullTop > cap && cap > low) {
      hiddenPoints = finiteRaw.filter((value) => value > cap).length;
      clipped = hiddenPoints <= 0.4 * rawCount;
      top = clipped ? cap : top;
      hiddenPoints = clipped ? hiddenPoints : 0;
    }
  }
  return { low, top, clipped, hiddenPoints };
}

test("computeYRange matches its description on random series", () => {
  let state = 7;
  const next = () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
  for (let trial = 0; trial < 200; trial++) {
    const count = 1 + Math.floor(next() * 40);
    const seriesList = Array.from({ length: 1 + (trial % 3) }, () => {
      const x = Array.from({ length: count }, (_, i) => 10 ** (-6 + (6 * i) / count));
      // A falling then diverging curve with noise, a few NaN and a few values < 0.
      const raw = x.map((_, i) => {
        const r = next();
        if (r < 0.05) {
          return Number.NaN;
        }
        if (r < 0.1) {
          return -r;
        }
        return 2 - i / count + 3 * (i / count) ** 6 + r;
      });
      const smooth = raw.map((value, i) => {
        return next() < 0.1 ? Number.NaN : Math.abs(value) + i * 1e-3;
      });
      return {
        x: Float64Array.from(x),
        raw: Float64Array.from(raw),
        smooth: Float64Array.from(smooth),
      };
    });
    const log = trial % 2 === 1;
    const xDomain = trial % 4 >= 2 ? [10 ** (-5 + next()), 10 ** (-2 + next())] : undefined;
    const range = computeYRange(seriesList, { log, xDomain });
    const expected = referenceYRange(seriesList, { log, xDomain });
    assert.equal(range.empty, Boolean(expected.empty), `trial ${trial}`);
    if (expected.empty) {
      continue;
    }
    assert.equal(range.clipped, expected.clipped, `trial ${trial}`);
    assert.equal(range.hiddenPoints, expected.hiddenPoints, `trial ${trial}`);
    const untransform = log ? (value) => 10 ** value : (value) => value;
    const bottom = range.domain[0];
    assert.ok(bottom <= untransform(expected.low), `trial ${trial}: bottom ${bottom}`);
    if (expected.clipped) {
      assert.equal(range.clipValue, untransform(expected.top), `trial ${trial}`);
    } else {
      assert.ok(range.domain[1] >= untransform(expected.top), `trial ${trial}`);
    }
  }
});

test("computeYRange gives the same range again for the same series", () => {
  const series = rangeTestCurve();
  const prepared = {
    x: Float64Array.from(series.x),
    raw: Float64Array.from(series.raw),
    smooth: Float64Array.from(series.smooth),
  };
  const first = computeYRange([prepared], { xDomain: [series.x[10], series.x[90]] });
  const zoomed = computeYRange([prepared], { xDomain: [series.x[72], series.x[99]] });
  const again = computeYRange([prepared], { xDomain: [series.x[10], series.x[90]] });
  assert.deepEqual(again, first);
  assert.notDeepEqual(zoomed, first);
  const fromArrays = computeYRange([series], { log: true });
  assert.deepEqual(computeYRange([prepared], { log: true }), fromArrays);
});

test("computeXDomain spans the ends of prepared series", () => {
  assert.deepEqual(computeXDomain([{ x: [1e-5, 1e-3] }, { x: [1e-4, 1e-1] }]), [1e-5, 0.1]);
  assert.deepEqual(computeXDomain([{ x: [] }, { x: [1e-3, 1e-2] }]), [1e-3, 1e-2]);
  assert.equal(computeXDomain([{ x: [] }]), null);
  assert.equal(computeXDomain([]), null);
  const single = computeXDomain([{ x: [1e-3] }]);
  assert.ok(single[0] < 1e-3 && single[1] > 1e-3);
});

test("linearScale and logScale map through their affine coefficients", () => {
  const linear = linearScale([2, 4], [100, 0]);
  const { origin, low, factor } = linear.affine;
  assert.equal(origin + (3 - low) * factor, linear.map(3));
  const log = logScale([1e-3, 10], [0, 800]);
  const affine = log.affine;
  assert.equal(affine.origin + (Math.log10(0.02) - affine.low) * affine.factor, log.map(0.02));
});
