import assert from "node:assert/strict";
import { test } from "node:test";

import {
  decodeSeries,
  formatCount,
  formatLearningRate,
  formatLoss,
  formatNumber,
  toFloat64Array,
  toNumber,
} from "../format.js";

test("toNumber accepts the strings TensorBoard writes for special floats", () => {
  assert.ok(Number.isNaN(toNumber("NaN")));
  assert.equal(toNumber("Infinity"), Infinity);
  assert.equal(toNumber("-Infinity"), -Infinity);
  assert.equal(toNumber(0.5), 0.5);
  assert.equal(toNumber(null), null);
  assert.equal(toNumber("1.5"), null);
});

test("toFloat64Array maps null and special strings", () => {
  const values = toFloat64Array([1, "NaN", null, "Infinity", "-Infinity"]);
  assert.ok(values instanceof Float64Array);
  assert.equal(values[0], 1);
  assert.ok(Number.isNaN(values[1]));
  assert.ok(Number.isNaN(values[2]));
  assert.equal(values[3], Infinity);
  assert.equal(values[4], -Infinity);
  assert.equal(toFloat64Array(undefined).length, 0);
});

test("formatNumber writes small and large magnitudes in exponent form", () => {
  assert.equal(formatNumber(3.2e-3), "3.2e-3");
  assert.equal(formatNumber(0.0031623), "3.16e-3");
  assert.equal(formatNumber(1e-7), "1e-7");
  assert.equal(formatNumber(12345.6), "1.23e4");
  assert.equal(formatNumber(-2.5e-5), "-2.5e-5");
});

test("formatNumber writes mid magnitudes as decimals without trailing zeros", () => {
  assert.equal(formatNumber(0.0125), "0.0125");
  assert.equal(formatNumber(0.5), "0.5");
  assert.equal(formatNumber(2.302585, 4), "2.303");
  assert.equal(formatNumber(2.0), "2");
  assert.equal(formatNumber(1000), "1000");
  assert.equal(formatNumber(9999.6, 2), "1e4");
  assert.equal(formatNumber(0), "0");
});

test("formatNumber names missing and special values", () => {
  assert.equal(formatNumber(null), "–");
  assert.equal(formatNumber(undefined), "–");
  assert.equal(formatNumber(Number.NaN), "NaN");
  assert.equal(formatNumber(Infinity), "Infinity");
  assert.equal(formatNumber(-Infinity), "-Infinity");
});

test("formatted numbers parse back close to the value", () => {
  for (const value of [3.16227e-3, 0.0125, 7.7e-7, 2.5, 123.456, 5e5]) {
    const parsed = Number(formatNumber(value, 3));
    assert.ok(Math.abs(parsed - value) / value < 5e-3, `${value} -> ${parsed}`);
  }
});

test("learning rate and loss formats", () => {
  assert.equal(formatLearningRate(3.2e-3), "3.2e-3");
  assert.equal(formatLoss(0.123456), "0.1235");
  assert.equal(formatCount(1, "point"), "1 point");
  assert.equal(formatCount(10000, "point"), "10,000 points");
  assert.equal(formatCount(2, "loss", "losses"), "2 losses");
});

test("decodeSeries reads base64 float32 and float64 series", () => {
  // Bytes of float32 [0.5, 2] and float64 [NaN, -Infinity], little-endian.
  const narrow = Buffer.from(new Float32Array([0.5, 2]).buffer).toString("base64");
  const wide = Buffer.from(new Float64Array([Number.NaN, -Infinity]).buffer).toString("base64");

  assert.deepEqual(Array.from(decodeSeries({ dtype: "float32", base64: narrow })), [0.5, 2]);
  const special = decodeSeries({ dtype: "float64", base64: wide });
  assert.ok(Number.isNaN(special[0]));
  assert.equal(special[1], -Infinity);
  assert.deepEqual(Array.from(decodeSeries({ dtype: "float32", base64: "AAAAPwAAAEA=" })), [0.5, 2]);
});

test("decodeSeries still reads lists and rejects malformed series", () => {
  assert.deepEqual(Array.from(decodeSeries([1, "Infinity"])), [1, Infinity]);
  assert.equal(decodeSeries({ dtype: "int8", base64: "AA==" }).length, 0);
  assert.equal(decodeSeries({ dtype: "float32", base64: "AAA=" }).length, 0);
  assert.equal(decodeSeries({ dtype: "float32", base64: "not base64!" }).length, 0);
  assert.equal(decodeSeries(null).length, 0);
});
