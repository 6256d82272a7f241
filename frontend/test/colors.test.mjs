import assert from "node:assert/strict";
import { test } from "node:test";

import { PALETTE, assignColors, compareCodePoints, sortRunNames } from "../colors.js";

test("compareCodePoints orders like Python's sorted", () => {
  // U+1F600 sorts after U+FF5E by code point, but before it by UTF-16 code unit.
  const names = ["\uff5e", "\u{1f600}", "a", "B", "ab"];
  assert.deepEqual([...names].sort(compareCodePoints), ["B", "a", "ab", "\uff5e", "\u{1f600}"]);
  assert.equal(compareCodePoints("a", "a"), 0);
  assert.ok(compareCodePoints("a", "ab") < 0);
});

test("sortRunNames removes duplicates", () => {
  assert.deepEqual(sortRunNames(["b", "a", "b"]), ["a", "b"]);
});

test("assignColors does not depend on the input order", () => {
  const forward = assignColors(["sgd/lr_finder", "adam/lr_finder", "rmsprop/lr_finder"]);
  const backward = assignColors(["rmsprop/lr_finder", "adam/lr_finder", "sgd/lr_finder"]);
  assert.deepEqual([...forward], [...backward]);
  assert.equal(forward.get("adam/lr_finder"), PALETTE[0]);
  assert.equal(forward.get("rmsprop/lr_finder"), PALETTE[1]);
  assert.equal(forward.get("sgd/lr_finder"), PALETTE[2]);
});

test("assignColors cycles through the palette", () => {
  const names = Array.from({ length: 25 }, (_, i) => `run${String(i).padStart(2, "0")}`);
  const colors = assignColors(names);
  assert.equal(colors.size, 25);
  assert.equal(colors.get("run10"), PALETTE[0]);
  assert.equal(colors.get("run24"), PALETTE[4]);
});

test("palette entries are distinct CSS colours", () => {
  assert.equal(new Set(PALETTE).size, PALETTE.length);
  for (const color of PALETTE) {
    assert.match(color, /^#[0-9a-f]{6}$/);
  }
});
