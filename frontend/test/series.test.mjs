import assert from "node:assert/strict";
import { test } from "node:test";

import { isDrawable, lowerBound, nearestIndex, prepareSeries } from "../series.js";

test("isDrawable on linear and log axes", () => {
  assert.equal(isDrawable(0, false), true);
  assert.equal(isDrawable(0, true), false);
  assert.equal(isDrawable(-1, true), false);
  assert.equal(isDrawable(Number.NaN, false), false);
  assert.equal(isDrawable(Infinity, false), false);
  assert.equal(isDrawable(1e-30, true), true);
});

test("prepareSeries drops rates the log axis cannot show and counts them", () => {
  const prepared = prepareSeries({
    learning_rates: [0, 1e-5, Number.NaN, 1e-4, -1, Infinity, 1e-3],
    losses: [1, 2, 3, 4, 5, 6, 7],
    smoothed_losses: [1, 2, 3, 4, 5, 6, 7],
  });
  assert.deepEqual(Array.from(prepared.x), [1e-5, 1e-4, 1e-3]);
  assert.deepEqual(Array.from(prepared.raw), [2, 4, 7]);
  assert.equal(prepared.droppedX, 4);
  assert.equal(prepared.droppedRaw, 0);
  assert.deepEqual(Array.from(prepared.logX), [-5, -4, -3]);
});

test("prepareSeries turns undrawable losses into gaps", () => {
  const series = {
    learning_rates: [1e-4, 1e-3, 1e-2, 1e-1],
    losses: [1, Number.NaN, Infinity, -2],
    smoothed_losses: [1, 0.5, Number.NaN, -1],
  };
  const linear = prepareSeries(series);
  assert.equal(linear.droppedRaw, 2);
  assert.equal(linear.raw[3], -2);
  const log = prepareSeries(series, { logY: true });
  assert.equal(log.droppedRaw, 3);
  assert.ok(Number.isNaN(log.raw[3]));
  assert.ok(Number.isNaN(log.smooth[3]));
  assert.equal(log.smooth[1], 0.5);
});

test("prepareSeries sorts rates that do not increase", () => {
  const prepared = prepareSeries({
    learning_rates: [1e-3, 1e-5, 1e-4],
    losses: [3, 1, 2],
    smoothed_losses: [3, 1, 2],
  });
  assert.deepEqual(Array.from(prepared.x), [1e-5, 1e-4, 1e-3]);
  assert.deepEqual(Array.from(prepared.raw), [1, 2, 3]);
});

test("prepareSeries drops and sorts in one curve", () => {
  const prepared = prepareSeries(
    {
      learning_rates: Float64Array.from([1e-3, Number.NaN, 1e-5, 1e-4, 1e-4]),
      losses: Float64Array.from([3, 9, 1, 2, -1]),
      smoothed_losses: Float64Array.from([3, 9, 1, 2, 2.5]),
    },
    { logY: true },
  );
  assert.deepEqual(Array.from(prepared.x), [1e-5, 1e-4, 1e-4, 1e-3]);
  // Equal rates keep their order, and a loss <= 0 is a gap on a log axis.
  assert.deepEqual(Array.from(prepared.raw.subarray(0, 2)), [1, 2]);
  assert.ok(Number.isNaN(prepared.raw[2]));
  assert.deepEqual(Array.from(prepared.smooth), [1, 2, 2.5, 3]);
  assert.equal(prepared.droppedX, 1);
  assert.equal(prepared.droppedRaw, 1);
});

test("prepareSeries keeps ascending rates in place", () => {
  const rates = Float64Array.from({ length: 50 }, (_, i) => 10 ** (-7 + i / 10));
  const losses = Float64Array.from(rates, (_, i) => 2 - i / 50);
  const prepared = prepareSeries({ learning_rates: rates, losses, smoothed_losses: losses });
  assert.deepEqual(prepared.x, rates);
  assert.deepEqual(prepared.raw, losses);
  assert.equal(prepared.droppedX, 0);
  assert.equal(prepared.logX[10], Math.log10(rates[10]));
});

test("prepareSeries accepts a missing smoothed series", () => {
  const prepared = prepareSeries({ learning_rates: [1e-3], losses: [1], smoothed_losses: [] });
  assert.ok(Number.isNaN(prepared.smooth[0]));
});

test("nearestIndex finds the closest value", () => {
  const values = [-7, -6, -5, -4];
  assert.equal(nearestIndex(values, -5.4), 2);
  assert.equal(nearestIndex(values, -5.6), 1);
  assert.equal(nearestIndex(values, -5.5), 1);
  assert.equal(nearestIndex(values, -100), 0);
  assert.equal(nearestIndex(values, 100), 3);
  assert.equal(nearestIndex([], 1), -1);
  assert.equal(nearestIndex(values, Number.NaN), -1);
});

test("lowerBound", () => {
  assert.equal(lowerBound([1, 2, 3], 2), 1);
  assert.equal(lowerBound([1, 2, 3], 0), 0);
  assert.equal(lowerBound([1, 2, 3], 4), 3);
});
