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

test("computeXDomain spans finite positive rates", () => {
  assert.deepEqual(computeXDomain([{ x: [0, 1e-5, Number.NaN, 1e-1, Infinity] }]), [1e-5, 0.1]);
  assert.equal(computeXDomain([{ x: [0, -1] }]), null);
  const single = computeXDomain([{ x: [1e-3] }]);
  assert.ok(single[0] < 1e-3 && single[1] > 1e-3);
});
