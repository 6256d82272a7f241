import assert from "node:assert/strict";
import { test } from "node:test";

import {
  STORAGE_KEY,
  loadSettings,
  parseHashPluginData,
  parseRunList,
  parseSmoothing,
  parseUrlData,
  safeLocalStorage,
  saveSettings,
} from "../settings.js";

class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
}

test("parseRunList reads JSON arrays and comma-separated names", () => {
  assert.deepEqual(parseRunList('["a,b","c"]'), ["a,b", "c"]);
  assert.deepEqual(parseRunList("adam/lr_finder,sgd/lr_finder"), [
    "adam/lr_finder",
    "sgd/lr_finder",
  ]);
  assert.deepEqual(parseRunList("[not json"), ["[not json"]);
  assert.equal(parseRunList(""), null);
  assert.equal(parseRunList(undefined), null);
  assert.deepEqual(parseRunList("[1, 2]"), ["[1", " 2]"]);
});

test("parseSmoothing clamps to the slider range", () => {
  assert.equal(parseSmoothing("0.9"), 0.9);
  assert.equal(parseSmoothing("2"), 0.999);
  assert.equal(parseSmoothing(-1), 0);
  assert.equal(parseSmoothing("abc"), null);
  assert.equal(parseSmoothing(""), null);
  assert.equal(parseSmoothing(null), null);
});

test("parseUrlData keeps only valid keys", () => {
  assert.deepEqual(
    parseUrlData({ runs: "a,b", smoothing: "0.5", method: "valley", filter: "^a", yscale: "log" }),
    { runs: ["a", "b"], smoothing: 0.5, method: "valley", filter: "^a", yScale: "log" },
  );
  assert.deepEqual(parseUrlData({ yscale: "cubic", smoothing: "x", other: "1" }), {});
  assert.deepEqual(parseUrlData(null), {});
});

test("settings round-trip through storage", () => {
  const storage = new MemoryStorage();
  const settings = {
    deselected: ["b"],
    smoothing: 0.9,
    method: "valley",
    filter: "adam",
    yScale: "log",
  };
  assert.equal(saveSettings(storage, settings), true);
  assert.deepEqual(loadSettings(storage), settings);
});

test("loadSettings ignores broken or foreign values", () => {
  const storage = new MemoryStorage();
  storage.setItem(STORAGE_KEY, "{not json");
  assert.deepEqual(loadSettings(storage), {});
  storage.setItem(STORAGE_KEY, JSON.stringify({ deselected: [1, "a"], yScale: "x", smoothing: 5 }));
  assert.deepEqual(loadSettings(storage), { deselected: ["a"], smoothing: 0.999 });
  assert.deepEqual(loadSettings(null), {});
});

test("storage that throws is ignored", () => {
  const broken = {
    getItem() {
      throw new Error("SecurityError");
    },
    setItem() {
      throw new Error("QuotaExceededError");
    },
  };
  assert.deepEqual(loadSettings(broken), {});
  assert.equal(saveSettings(broken, {}), false);
  const win = {
    get localStorage() {
      throw new Error("SecurityError");
    },
  };
  assert.equal(safeLocalStorage(win), null);
});

test("parseHashPluginData reads the plugin's keys like TensorBoard", () => {
  const hash =
    "#lr_finder&p.lr_finder.runs=%5B%22adam%2Flr_finder%22%5D&p.lr_finder.yscale=log" +
    "&p.scalars.x=1&p.lr_finder.bad=a=b&p.lr_finder.broken=%E0%A4%A";
  assert.deepEqual(parseHashPluginData(hash, "lr_finder"), {
    runs: '["adam/lr_finder"]',
    yscale: "log",
  });
  assert.deepEqual(parseHashPluginData("", "lr_finder"), {});
  assert.deepEqual(parseHashPluginData(undefined, "lr_finder"), {});
});
