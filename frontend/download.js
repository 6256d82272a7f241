// Downloads of the selected runs as CSV and JSON.

import { element } from "./dom.js";

// Spreadsheets run a cell that starts with one of these as a formula.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Quote one CSV field (RFC 4180) and defuse spreadsheet formulas.
 *
 * A text field that starts with "=", "+", "-", "@", a tab or a carriage return
 * gets a leading apostrophe, so a run named "=cmd()" stays text in a spreadsheet.
 *
 * @param {string} text
 * @returns {string}
 * @example csvText('a "b", c') // '"a ""b"", c"'
 */
export function csvText(text) {
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * Write a number for CSV: full precision, "NaN", "inf" or "-inf" (Python's
 * float() and NumPy read all of them).
 *
 * @param {number} value
 * @returns {string}
 * @example csvNumber(-Infinity) // "-inf"
 */
export function csvNumber(value) {
  if (Number.isNaN(value)) {
    return "NaN";
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? "inf" : "-inf";
  }
  return String(value);
}

/**
 * Build a CSV of the curves: one row per point.
 *
 * @param {ReturnType<import("./model.js").parseCurve>[]} curves
 * @returns {string} with the header `run,learning_rate,loss,smoothed_loss` and CRLF line ends.
 */
export function curvesToCsv(curves) {
  const lines = ["run,learning_rate,loss,smoothed_loss"];
  for (const curve of curves) {
    const run = csvText(curve.run);
    const { learning_rates: rates, losses, smoothed_losses: smoothed } = curve.series;
    for (let i = 0; i < rates.length; i++) {
      const smoothValue = i < smoothed.length ? smoothed[i] : Number.NaN;
      lines.push(
        `${run},${csvNumber(rates[i])},${csvNumber(losses[i])},${csvNumber(smoothValue)}`,
      );
    }
  }
  return `${lines.join("\r\n")}\r\n`;
}

// JSON has no NaN or infinities: write them as TensorBoard's routes do.
function jsonNumber(value) {
  if (Number.isNaN(value)) {
    return "NaN";
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? "Infinity" : "-Infinity";
  }
  return value;
}

/**
 * Build a JSON document of the curves and their analysis.
 *
 * @param {ReturnType<import("./model.js").parseCurve>[]} curves
 * @param {{smoothing: number, method: string}} params
 * @returns {string} pretty-printed JSON; non-finite numbers are the strings
 *     "NaN", "Infinity" and "-Infinity", as in the plugin's routes.
 */
export function curvesToJson(curves, params) {
  const document = {
    smoothing: params.smoothing,
    method: params.method,
    runs: curves.map((curve) => ({
      run: curve.run,
      points: curve.points,
      stop_reason: curve.stopReason,
      note: curve.note,
      analysis: {
        suggestion: curve.analysis.suggestion,
        region: curve.analysis.region,
        explanation: curve.analysis.explanation,
        min_loss: curve.analysis.minLoss,
        min_loss_lr: curve.analysis.minLossLr,
        usable_points: curve.analysis.usablePoints,
        analyzed_points: curve.analysis.analyzedPoints,
      },
      series: {
        learning_rates: Array.from(curve.series.learning_rates, jsonNumber),
        losses: Array.from(curve.series.losses, jsonNumber),
        smoothed_losses: Array.from(curve.series.smoothed_losses, jsonNumber),
      },
    })),
  };
  return JSON.stringify(
    document,
    (key, value) => (typeof value === "number" ? jsonNumber(value) : value),
    2,
  );
}

/**
 * Offer text as a file download through a Blob and an object URL.
 *
 * @param {Document} doc
 * @param {string} filename
 * @param {string} text
 * @param {string} type MIME type, e.g. "text/csv".
 */
export function downloadText(doc, filename, text, type) {
  const view = doc.defaultView;
  const url = view.URL.createObjectURL(new view.Blob([text], { type }));
  const link = element(doc, "a", { href: url, download: filename, style: "display:none" });
  doc.body.appendChild(link);
  link.click();
  link.remove();
  // Revoking at once can cancel the download in some browsers.
  view.setTimeout(() => view.URL.revokeObjectURL(url), 10000);
}
