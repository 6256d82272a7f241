import assert from "node:assert/strict";
import { test } from "node:test";

import {
  HttpError,
  LatestRequest,
  MAX_RUNS_PER_REQUEST,
  batchRuns,
  NetworkError,
  clampWidth,
  curvesQueries,
  fetchCurves,
  fetchJson,
  fetchRuns,
  parseCurve,
  routeUrl,
} from "../model.js";

const BASE = "http://127.0.0.1:6006/data/plugin/lr_finder/index.js";

function jsonResponse(body, status = 200, statusText = "OK") {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    json: async () => JSON.parse(body),
    text: async () => body,
  };
}

test("routeUrl resolves next to the module", () => {
  assert.equal(routeUrl("runs", BASE), "http://127.0.0.1:6006/data/plugin/lr_finder/runs");
  assert.equal(
    routeUrl("curves?run=a", "http://h/prefix/data/plugin/lr_finder/model.js"),
    "http://h/prefix/data/plugin/lr_finder/curves?run=a",
  );
});

test("clampWidth keeps the width in the accepted range", () => {
  assert.equal(clampWidth(800.4), 800);
  assert.equal(clampWidth(3), 16);
  assert.equal(clampWidth(1e6), 8192);
  assert.equal(clampWidth(Number.NaN), 1000);
});

test("curvesQueries encodes run names", () => {
  const [query] = curvesQueries(['<img src=x onerror=alert(1)>', "a&b=c", "é t"], {
    smoothing: 0.98,
    method: "steepest",
    width: 812,
  });
  const params = new URLSearchParams(query);
  assert.deepEqual(params.getAll("run"), ['<img src=x onerror=alert(1)>', "a&b=c", "é t"]);
  assert.equal(params.get("smoothing"), "0.98");
  assert.equal(params.get("method"), "steepest");
  assert.equal(params.get("width"), "812");
  assert.equal(params.get("encoding"), "base64");
});

test("curvesQueries splits at the run limit", () => {
  const runs = Array.from({ length: 1201 }, (_, i) => `r${i}`);
  const queries = curvesQueries(runs, { smoothing: 0, method: "m", width: 100 });
  assert.equal(queries.length, 3);
  const counts = queries.map((query) => new URLSearchParams(query).getAll("run").length);
  assert.deepEqual(counts, [MAX_RUNS_PER_REQUEST, MAX_RUNS_PER_REQUEST, 201]);
  assert.ok(queries.every((query) => new URLSearchParams(query).get("method") === "m"));
});

test("curvesQueries splits long queries", () => {
  const runs = Array.from({ length: 300 }, (_, i) => `${"x".repeat(300)}${i}`);
  const queries = curvesQueries(runs, { smoothing: 0, method: "m", width: 100 });
  assert.ok(queries.length > 1);
  assert.ok(queries.every((query) => query.length <= 31000));
  const all = queries.flatMap((query) => new URLSearchParams(query).getAll("run"));
  assert.deepEqual(all, runs);
  assert.deepEqual(curvesQueries([], { smoothing: 0, method: "m", width: 100 }), []);
});

test("fetchJson raises HttpError with status and message", async () => {
  const fetchImpl = async () =>
    jsonResponse("Unknown run: 'x'; the runs route lists the runs", 404, "NOT FOUND");
  await assert.rejects(fetchJson("curves", "u", { fetchImpl }), (error) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 404);
    assert.equal(error.route, "curves");
    assert.match(error.message, /HTTP 404 NOT FOUND: Unknown run/);
    return true;
  });
});

test("fetchJson raises NetworkError when no response arrives", async () => {
  const fetchImpl = async () => {
    throw new TypeError("Failed to fetch");
  };
  await assert.rejects(fetchJson("runs", "u", { fetchImpl }), NetworkError);
});

test("fetchJson passes an abort through", async () => {
  const fetchImpl = async () => {
    throw new DOMException("aborted", "AbortError");
  };
  await assert.rejects(fetchJson("runs", "u", { fetchImpl }), { name: "AbortError" });
});

test("fetchJson raises on a body that is not JSON", async () => {
  const fetchImpl = async () => jsonResponse("<html>", 200);
  await assert.rejects(fetchJson("runs", "u", { fetchImpl }), HttpError);
});

test("fetchRuns normalizes the runs route", async () => {
  const body = JSON.stringify({
    runs: [
      { run: "b", points: 10, stop_reason: null, settings: {} },
      { run: "a", points: 5, stop_reason: "diverged" },
      { nonsense: true },
    ],
    methods: ["steepest", "valley"],
    default_method: "steepest",
    default_smoothing: 0.98,
    skipped: [{ run: "c", reason: "newer format" }],
  });
  let requested = "";
  const fetchImpl = async (url) => {
    requested = url;
    return jsonResponse(body);
  };
  const answer = await fetchRuns({ fetchImpl, base: BASE });
  assert.equal(requested, "http://127.0.0.1:6006/data/plugin/lr_finder/runs");
  assert.equal(answer.runs.length, 2);
  assert.equal(answer.runs[0].stopReason, null);
  assert.equal(answer.runs[1].stopReason, "diverged");
  assert.deepEqual(answer.methods, ["steepest", "valley"]);
  assert.equal(answer.defaultMethod, "steepest");
  assert.equal(answer.defaultSmoothing, 0.98);
  assert.deepEqual(answer.skipped, [{ run: "c", reason: "newer format" }]);
});

test("parseCurve accepts special float strings", () => {
  const curve = parseCurve({
    run: "a",
    points: 3,
    stop_reason: "non_finite_loss",
    note: "contains infinities",
    analysis: {
      suggestion: null,
      region: null,
      explanation: "no descent",
      min_loss: "NaN",
      min_loss_lr: null,
      usable_points: 1,
      analyzed_points: 1,
    },
    series: {
      learning_rates: [1e-5, 1e-4, 1e-3],
      losses: [1, "Infinity", "NaN"],
      smoothed_losses: [1, "NaN", "-Infinity"],
    },
  });
  assert.equal(curve.series.losses[1], Infinity);
  assert.ok(Number.isNaN(curve.series.losses[2]));
  assert.equal(curve.series.smoothed_losses[2], -Infinity);
  assert.ok(Number.isNaN(curve.analysis.minLoss));
  assert.equal(curve.analysis.suggestion, null);
  assert.equal(curve.note, "contains infinities");
  assert.equal(curve.stopReason, "non_finite_loss");
});

test("parseCurve reads a region", () => {
  const curve = parseCurve({
    run: "a",
    analysis: { region: [1e-4, 1e-2], suggestion: 1e-3 },
    series: {},
  });
  assert.deepEqual(curve.analysis.region, [1e-4, 1e-2]);
  assert.equal(curve.analysis.suggestion, 1e-3);
  assert.equal(curve.series.learning_rates.length, 0);
});

test("fetchCurves merges several requests", async () => {
  const runs = Array.from({ length: 501 }, (_, i) => `r${i}`);
  const urls = [];
  const fetchImpl = async (url) => {
    urls.push(url);
    const names = new URL(url).searchParams.getAll("run");
    return jsonResponse(
      JSON.stringify({
        runs: names.map((run) => ({ run, points: 1, analysis: {}, series: {} })),
        skipped: [],
      }),
    );
  };
  const answer = await fetchCurves(runs, { smoothing: 0.5, method: "m", width: 300 }, {
    fetchImpl,
    base: BASE,
  });
  assert.equal(urls.length, 2);
  assert.ok(urls[0].startsWith("http://127.0.0.1:6006/data/plugin/lr_finder/curves?run=r0&"));
  assert.deepEqual(
    answer.curves.map((curve) => curve.run),
    runs,
  );
});

test("LatestRequest drops answers that arrive after a newer request", async () => {
  const latest = new LatestRequest();
  let releaseFirst;
  const first = latest.run(
    (signal) =>
      new Promise((resolve) => {
        releaseFirst = () => resolve({ aborted: signal.aborted, value: "old" });
      }),
  );
  const second = latest.run(async () => "new");
  releaseFirst();
  assert.deepEqual(await first, { stale: true });
  assert.deepEqual(await second, { stale: false, value: "new" });
});

test("LatestRequest aborts the previous signal", async () => {
  const latest = new LatestRequest();
  let firstSignal;
  const first = latest.run(async (signal) => {
    firstSignal = signal;
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new Error("late failure");
  });
  await latest.run(async () => 1);
  assert.equal(firstSignal.aborted, true);
  // An error of a superseded request is dropped too.
  assert.deepEqual(await first, { stale: true });
});

test("LatestRequest passes the latest error on", async () => {
  const latest = new LatestRequest();
  await assert.rejects(
    latest.run(async () => {
      throw new Error("boom");
    }),
    /boom/,
  );
});

test("LatestRequest cancel makes the running task stale", async () => {
  const latest = new LatestRequest();
  const running = latest.run(() => new Promise((resolve) => setTimeout(() => resolve(1), 5)));
  latest.cancel();
  assert.deepEqual(await running, { stale: true });
});

test("batchRuns keeps few runs together and doubles batches for many", () => {
  const names = (count) => Array.from({ length: count }, (_, i) => `r${i}`);
  assert.deepEqual(batchRuns(names(0)), [[]]);
  assert.equal(batchRuns(names(24)).length, 1);
  const sizes = batchRuns(names(200)).map((batch) => batch.length);
  assert.deepEqual(sizes, [10, 20, 40, 80, 50]);
  assert.deepEqual(batchRuns(names(200)).flat(), names(200));
});
