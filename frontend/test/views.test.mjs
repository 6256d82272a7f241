import assert from "node:assert/strict";
import { test } from "node:test";

import { csvNumber, csvText, curvesToCsv, curvesToJson } from "../download.js";
import { HttpError, NetworkError } from "../model.js";
import { EMPTY_SNIPPET, describeError } from "../panels.js";
import { filterRuns } from "../runs.js";
import { pathMappingKey } from "../chart.js";
import { replaceChildrenIfChanged } from "../dom.js";
import { linearScale, logScale } from "../scales.js";
import { describeStopReason, sameRow, sortRows, tableRows } from "../table.js";

function curve(run, overrides = {}) {
  return {
    run,
    points: 3,
    stopReason: "sweep_complete",
    note: null,
    analysis: {
      suggestion: 1e-3,
      region: [1e-4, 1e-2],
      explanation: null,
      minLoss: 0.5,
      minLossLr: 3e-2,
      usablePoints: 3,
      analyzedPoints: 3,
    },
    series: {
      learning_rates: Float64Array.from([1e-4, 1e-3, 1e-2]),
      losses: Float64Array.from([2, 1, Infinity]),
      smoothed_losses: Float64Array.from([2, 1.2, Number.NaN]),
    },
    ...overrides,
  };
}

test("csvText quotes and defuses formulas", () => {
  assert.equal(csvText("plain"), "plain");
  assert.equal(csvText('a "b", c'), '"a ""b"", c"');
  assert.equal(csvText("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  assert.equal(csvText("-x,y"), "\"'-x,y\"");
  assert.equal(csvText("line\nbreak"), '"line\nbreak"');
});

test("csvNumber writes values Python's float() reads", () => {
  assert.equal(csvNumber(0.001), "0.001");
  assert.equal(csvNumber(Number.NaN), "NaN");
  assert.equal(csvNumber(Infinity), "inf");
  assert.equal(csvNumber(-Infinity), "-inf");
});

test("curvesToCsv writes one row per point", () => {
  const text = curvesToCsv([curve("a,b"), curve("c")]);
  const lines = text.trimEnd().split("\r\n");
  assert.equal(lines[0], "run,learning_rate,loss,smoothed_loss");
  assert.equal(lines.length, 7);
  assert.equal(lines[1], '"a,b",0.0001,2,2');
  assert.equal(lines[3], '"a,b",0.01,inf,NaN');
});

test("curvesToJson writes special floats as strings", () => {
  const parsed = JSON.parse(curvesToJson([curve("a")], { smoothing: 0.9, method: "steepest" }));
  assert.equal(parsed.smoothing, 0.9);
  assert.equal(parsed.method, "steepest");
  assert.deepEqual(parsed.runs[0].series.losses, [2, 1, "Infinity"]);
  assert.deepEqual(parsed.runs[0].series.smoothed_losses, [2, 1.2, "NaN"]);
  assert.equal(parsed.runs[0].analysis.suggestion, 1e-3);
  assert.deepEqual(parsed.runs[0].analysis.region, [1e-4, 1e-2]);
  assert.equal(parsed.runs[0].stop_reason, "sweep_complete");
});

test("filterRuns matches case-insensitively and reports invalid patterns", () => {
  const names = ["adam/lr_finder", "SGD/lr_finder", "rmsprop"];
  assert.deepEqual(filterRuns(names, "sgd").matches, ["SGD/lr_finder"]);
  assert.deepEqual(filterRuns(names, "").matches, names);
  const invalid = filterRuns(names, "(");
  assert.deepEqual(invalid.matches, names);
  assert.match(invalid.error, /Invalid regular expression/);
});

test("describeStopReason explains known reasons", () => {
  assert.equal(describeStopReason("diverged"), "diverged: the smoothed loss diverged");
  assert.equal(describeStopReason(null), "in progress: the range test is still running");
  assert.equal(describeStopReason("something_new"), "something new");
});

test("sortRows sorts by a column, missing values last", () => {
  const colors = new Map([["a", "#000"]]);
  const rows = tableRows(
    [
      curve("b", { points: 10 }),
      curve("a", { points: 30 }),
      curve("c", {
        points: 20,
        analysis: { ...curve("c").analysis, suggestion: null, region: null },
      }),
    ],
    colors,
  );
  assert.equal(rows[1].color, "#000");
  assert.equal(rows[0].color, "currentColor");
  assert.deepEqual(
    sortRows(rows, "points", "ascending").map((row) => row.run),
    ["b", "c", "a"],
  );
  assert.deepEqual(
    sortRows(rows, "points", "descending").map((row) => row.run),
    ["a", "c", "b"],
  );
  assert.deepEqual(
    sortRows(rows, "suggestion", "descending").map((row) => row.run),
    ["a", "b", "c"],
  );
  assert.deepEqual(
    sortRows(rows, "run", "descending").map((row) => row.run),
    ["c", "b", "a"],
  );
});

test("describeError shows status and message", () => {
  const http = describeError(new HttpError("curves", 500, "INTERNAL SERVER ERROR", "boom"));
  assert.equal(http.title, "Loading the curves failed: HTTP 500 INTERNAL SERVER ERROR");
  assert.equal(http.detail, "boom");
  const network = describeError(new NetworkError("runs", new Error("Failed to fetch")));
  assert.match(network.detail, /Failed to fetch/);
});

test("the empty state's snippet uses the callback", () => {
  assert.match(EMPTY_SNIPPET, /LRFinder\(log_dir="logs"\)/);
  assert.match(EMPTY_SNIPPET, /model\.fit\(/);
});

test("describeStopReason prefers the backend's descriptions", () => {
  const descriptions = new Map([["diverged", "the loss exploded"]]);
  assert.equal(describeStopReason("diverged", descriptions), "diverged: the loss exploded");
  assert.equal(
    describeStopReason("sweep_complete", descriptions),
    "sweep complete: the sweep reached its last learning rate",
  );
});

test("sameRow compares every shown value", () => {
  const [row] = tableRows([curve("a")], new Map([["a", "#4e79a7"]]));
  const copy = { ...row, region: [...row.region] };
  assert.equal(sameRow(row, copy), true);
  assert.equal(sameRow(row, { ...copy, color: "#f28e2b" }), false);
  assert.equal(sameRow(row, { ...copy, region: [row.region[0], 1] }), false);
  assert.equal(sameRow(row, { ...copy, region: null }), false);
  assert.equal(sameRow(row, { ...copy, minLoss: null }), false);
  const notANumber = { ...row, suggestion: Number.NaN };
  assert.equal(sameRow(notANumber, { ...copy, suggestion: Number.NaN }), true);
});

// A parent node with the two members replaceChildrenIfChanged uses.
function fakeParent(children) {
  const parent = {
    childNodes: [...children],
    replaced: 0,
    replaceChildren(...nodes) {
      parent.childNodes = nodes;
      parent.replaced++;
    },
  };
  return parent;
}

test("replaceChildrenIfChanged leaves equal children alone", () => {
  const [a, b, c] = [{}, {}, {}];
  const parent = fakeParent([a, b]);
  assert.equal(replaceChildrenIfChanged(parent, [a, b]), false);
  assert.equal(parent.replaced, 0);
  assert.equal(replaceChildrenIfChanged(parent, [b, a]), true);
  assert.deepEqual(parent.childNodes, [b, a]);
  assert.equal(replaceChildrenIfChanged(parent, [b, a, c]), true);
  assert.equal(replaceChildrenIfChanged(parent, []), true);
  assert.equal(parent.childNodes.length, 0);
  assert.equal(parent.replaced, 3);
});

test("pathMappingKey differs when any number of the mapping does", () => {
  const mapping = {
    x: logScale([1e-7, 10], [64, 1072]).affine,
    y: linearScale([0.4, 3], [376, 16]),
    visible: [-7, 1],
    clamp: [-344, 736],
  };
  const key = pathMappingKey(mapping);
  assert.equal(pathMappingKey({ ...mapping, y: linearScale([0.4, 3], [376, 16]) }), key);
  const changed = [
    { ...mapping, x: logScale([1e-7, 10], [64, 1073]).affine },
    { ...mapping, y: linearScale([0.4, 3.0000001], [376, 16]) },
    { ...mapping, y: logScale([0.4, 3], [376, 16]) },
    { ...mapping, visible: [-6, 1] },
    { ...mapping, clamp: [-344, 737] },
  ];
  for (const other of changed) {
    assert.notEqual(pathMappingKey(other), key);
  }
});
