// Fetching the plugin's routes: URLs, status checks, parsing, and dropping
// responses that arrive after a newer request was made.

import { decodeSeries, toNumber } from "./format.js";

// The contract of the curves route accepts at most this many runs per request.
export const MAX_RUNS_PER_REQUEST = 500;

// Python's http.server (under TensorBoard's werkzeug server) rejects request
// lines over 65,536 bytes; long run names split a request earlier than 500 runs.
export const MAX_QUERY_LENGTH = 30000;

export const MIN_WIDTH = 16;
export const MAX_WIDTH = 8192;

/** A route responded with an HTTP status other than 2xx. */
export class HttpError extends Error {
  /**
   * @param {string} route the route name, e.g. "curves".
   * @param {number} status
   * @param {string} statusText
   * @param {string} body the start of the response body (TensorBoard's error message).
   */
  constructor(route, status, statusText, body) {
    const detail = body ? `: ${body}` : "";
    super(`the ${route} route responded with HTTP ${status} ${statusText}${detail}`.trim());
    this.name = "HttpError";
    this.route = route;
    this.status = status;
    this.statusText = statusText;
    this.body = body;
  }
}

/** A request that failed before any HTTP status arrived (server down, network error). */
export class NetworkError extends Error {
  constructor(route, cause) {
    super(`the ${route} route could not be reached: ${cause && cause.message ? cause.message : cause}`);
    this.name = "NetworkError";
    this.route = route;
  }
}

/**
 * Resolve a route name against the directory of this module.
 *
 * The modules are served from /data/plugin/lr_finder/ (behind any path prefix
 * of TensorBoard), the same place as the routes.
 *
 * @param {string} route e.g. "runs" or "curves?run=a".
 * @param {string} [base=import.meta.url]
 * @returns {string}
 * @example routeUrl("runs", "http://h/data/plugin/lr_finder/model.js")
 *     // "http://h/data/plugin/lr_finder/runs"
 */
export function routeUrl(route, base = import.meta.url) {
  return new URL(route, base).toString();
}

/**
 * Clamp a pixel width to the range the curves route accepts.
 *
 * @param {number} width
 * @returns {number} an integer in [16, 8192]; 1000 for a width that is not a number.
 * @example clampWidth(20000) // 8192
 */
export function clampWidth(width) {
  if (!Number.isFinite(width)) {
    return 1000;
  }
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.round(width)));
}

/**
 * Build the query strings of the curves route, split into requests the server accepts.
 *
 * @param {string[]} runs
 * @param {{smoothing: number, method: string, width: number}} params
 * @returns {string[]} one query string per request; [] for no runs.
 * @example curvesQueries(["a"], {smoothing: 0.9, method: "steepest", width: 800})
 *     // ["run=a&smoothing=0.9&method=steepest&width=800"]
 */
export function curvesQueries(runs, params) {
  const tail = new URLSearchParams({
    smoothing: String(params.smoothing),
    method: params.method,
    width: String(clampWidth(params.width)),
    // Base64 series are exact and take a fraction of the time to encode and parse.
    encoding: "base64",
  }).toString();
  const queries = [];
  let current = [];
  let length = tail.length;
  for (const run of runs) {
    const part = new URLSearchParams({ run }).toString();
    const full = current.length >= MAX_RUNS_PER_REQUEST;
    const long = current.length > 0 && length + part.length + 1 > MAX_QUERY_LENGTH;
    if (full || long) {
      queries.push(`${current.join("&")}&${tail}`);
      current = [];
      length = tail.length;
    }
    current.push(part);
    length += part.length + 1;
  }
  if (current.length > 0) {
    queries.push(`${current.join("&")}&${tail}`);
  }
  return queries;
}

// Up to this many runs are fetched in one batch; more go in batches of
// FIRST_BATCH, 2 * FIRST_BATCH, 4 * FIRST_BATCH, ... runs.
export const SINGLE_BATCH_RUNS = 24;
export const FIRST_BATCH = 10;

/**
 * Split runs into batches of growing size, for drawing while the rest loads.
 *
 * The backend analyzes every point of every run in a request, so 200 long runs
 * take seconds. Doubling batches show the first curves early and redraw the
 * chart about log2(runs / 10) times in all.
 *
 * @param {string[]} runs
 * @returns {string[][]} one batch for up to 24 runs, otherwise batches of 10, 20, 40, ...
 * @example batchRuns(Array.from({length: 100}, (_, i) => `r${i}`)).map((b) => b.length)
 *     // [10, 20, 40, 30]
 */
export function batchRuns(runs) {
  if (runs.length <= SINGLE_BATCH_RUNS) {
    return [runs];
  }
  const batches = [];
  let size = FIRST_BATCH;
  for (let start = 0; start < runs.length; start += size, size *= 2) {
    batches.push(runs.slice(start, start + size));
  }
  return batches;
}

/**
 * Fetch a route and parse its JSON, checking the status first.
 *
 * @param {string} route the route name used in error messages.
 * @param {string} url
 * @param {{signal?: AbortSignal, fetchImpl?: typeof fetch}} [options]
 * @returns {Promise<unknown>}
 * @throws {HttpError} for a status other than 2xx, with the body's first 500 characters.
 * @throws {NetworkError} when the request failed without a status.
 * @throws {DOMException} named "AbortError" when `signal` aborted the request.
 */
export async function fetchJson(route, url, options = {}) {
  const fetchImpl = options.fetchImpl || globalThis.fetch.bind(globalThis);
  let response;
  try {
    response = await fetchImpl(url, { signal: options.signal, credentials: "same-origin" });
  } catch (error) {
    if (error && error.name === "AbortError") {
      throw error;
    }
    throw new NetworkError(route, error);
  }
  if (!response.ok) {
    let body = "";
    try {
      body = (await response.text()).trim().slice(0, 500);
    } catch {
      body = "";
    }
    throw new HttpError(route, response.status, response.statusText || "", body);
  }
  try {
    return await response.json();
  } catch (error) {
    if (error && error.name === "AbortError") {
      throw error;
    }
    throw new HttpError(route, response.status, "invalid JSON", String(error.message || error));
  }
}

/**
 * Normalize the response of the runs route.
 *
 * @param {any} body
 * @returns {{runs: {run: string, points: number, stopReason: string|null, settings: object}[],
 *     methods: string[], defaultMethod: string|null, defaultSmoothing: number|null,
 *     stopReasons: Map<string, string>, skipped: {run: string, reason: string}[]}}
 */
export function parseRunsResponse(body) {
  const runs = Array.isArray(body && body.runs) ? body.runs : [];
  const methods = Array.isArray(body && body.methods) ? body.methods.map(String) : [];
  return {
    runs: runs
      .filter((entry) => entry && typeof entry.run === "string")
      .map((entry) => ({
        run: entry.run,
        points: toNumber(entry.points) ?? 0,
        stopReason: typeof entry.stop_reason === "string" ? entry.stop_reason : null,
        settings: entry.settings && typeof entry.settings === "object" ? entry.settings : {},
      })),
    methods,
    defaultMethod: typeof body?.default_method === "string" ? body.default_method : null,
    defaultSmoothing: toNumber(body?.default_smoothing),
    stopReasons: parseStopReasons(body?.stop_reasons),
    skipped: parseSkipped(body?.skipped),
  };
}

// The runs route also sends the description of each stop reason (beyond the
// documented contract); an older backend without it leaves the map empty.
function parseStopReasons(reasons) {
  const descriptions = new Map();
  if (reasons && typeof reasons === "object") {
    for (const [code, text] of Object.entries(reasons)) {
      if (typeof text === "string") {
        descriptions.set(code, text);
      }
    }
  }
  return descriptions;
}

function parseSkipped(skipped) {
  if (!Array.isArray(skipped)) {
    return [];
  }
  return skipped
    .filter((entry) => entry && typeof entry.run === "string")
    .map((entry) => ({ run: entry.run, reason: String(entry.reason ?? "") }));
}

/**
 * Normalize one run of the curves route: numbers parsed, series as Float64Arrays.
 *
 * @param {any} entry
 * @returns {{run: string, points: number, stopReason: string|null, note: string|null,
 *     analysis: {suggestion: number|null, region: number[]|null, explanation: string|null,
 *     minLoss: number|null, minLossLr: number|null, usablePoints: number,
 *     analyzedPoints: number}, series: {learning_rates: Float64Array, losses: Float64Array,
 *     smoothed_losses: Float64Array}}}
 */
export function parseCurve(entry) {
  const analysis = entry.analysis || {};
  const series = entry.series || {};
  const region =
    Array.isArray(analysis.region) && analysis.region.length === 2
      ? analysis.region.map(toNumber)
      : null;
  return {
    run: String(entry.run),
    points: toNumber(entry.points) ?? 0,
    stopReason: typeof entry.stop_reason === "string" ? entry.stop_reason : null,
    note: typeof entry.note === "string" && entry.note !== "" ? entry.note : null,
    analysis: {
      suggestion: toNumber(analysis.suggestion),
      region: region && region.every((value) => value !== null) ? region : null,
      explanation: typeof analysis.explanation === "string" ? analysis.explanation : null,
      minLoss: toNumber(analysis.min_loss),
      minLossLr: toNumber(analysis.min_loss_lr),
      usablePoints: toNumber(analysis.usable_points) ?? 0,
      analyzedPoints: toNumber(analysis.analyzed_points) ?? 0,
    },
    series: {
      learning_rates: decodeSeries(series.learning_rates),
      losses: decodeSeries(series.losses),
      smoothed_losses: decodeSeries(series.smoothed_losses),
    },
  };
}

/**
 * Fetch the runs route.
 *
 * @param {{signal?: AbortSignal, fetchImpl?: typeof fetch, base?: string}} [options]
 * @returns {Promise<ReturnType<typeof parseRunsResponse>>}
 */
export async function fetchRuns(options = {}) {
  const response = await fetchJson("runs", routeUrl("runs", options.base), options);
  return parseRunsResponse(response);
}

/**
 * Fetch the curves of several runs, in as many requests as the server needs, one after another.
 *
 * @param {string[]} runs
 * @param {{smoothing: number, method: string, width: number}} params
 * @param {{signal?: AbortSignal, fetchImpl?: typeof fetch, base?: string}} [options]
 * @returns {Promise<{curves: ReturnType<typeof parseCurve>[], skipped: {run: string,
 *     reason: string}[]}>}
 */
export async function fetchCurves(runs, params, options = {}) {
  const curves = [];
  const skipped = [];
  for (const query of curvesQueries(runs, params)) {
    const body = await fetchJson("curves", routeUrl(`curves?${query}`, options.base), options);
    for (const entry of Array.isArray(body?.runs) ? body.runs : []) {
      if (entry && typeof entry.run === "string") {
        curves.push(parseCurve(entry));
      }
    }
    skipped.push(...parseSkipped(body?.skipped));
  }
  return { curves, skipped };
}

/**
 * Runs async tasks so that only the latest one's result is used.
 *
 * Starting a task aborts the previous one's signal. A task that finishes after
 * a newer one started returns `{stale: true}` instead of its value or error, so
 * a response that arrives after the user changed the selection is dropped.
 *
 * @example
 *   const latest = new LatestRequest();
 *   const result = await latest.run((signal) => fetchRuns({signal}));
 *   if (!result.stale) show(result.value);
 */
export class LatestRequest {
  constructor() {
    this.token = 0;
    this.controller = null;
  }

  /**
   * @template T
   * @param {function(AbortSignal): Promise<T>} task
   * @returns {Promise<{stale: true}|{stale: false, value: T}>}
   * @throws the task's error, if the task is still the latest.
   */
  async run(task) {
    this.token += 1;
    const token = this.token;
    if (this.controller) {
      this.controller.abort();
    }
    const controller = new AbortController();
    this.controller = controller;
    try {
      const value = await task(controller.signal);
      return token === this.token ? { stale: false, value } : { stale: true };
    } catch (error) {
      if (token !== this.token) {
        return { stale: true };
      }
      throw error;
    }
  }

  /** Make every running task stale and abort it. */
  cancel() {
    this.token += 1;
    if (this.controller) {
      this.controller.abort();
      this.controller = null;
    }
  }
}
