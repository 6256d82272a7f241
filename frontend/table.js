//# allFunctionsCalledOnLoad
// The table of results under the chart: one row per selected run, sortable by column.

import { compareCodePoints } from "./colors.js";
import { copyText, element, replaceChildrenIfChanged } from "./dom.js";
import { formatCount, formatLearningRate, formatLoss } from "./format.js";

// The stop reasons the callback writes, with the descriptions of
// lrfinder_tb.analysis.STOP_REASONS, for a backend that does not send them.
const STOP_REASONS = new Map([
  ["diverged", "the smoothed loss diverged"],
  ["non_finite_loss", "the loss became NaN or infinite"],
  ["sweep_complete", "the sweep reached its last learning rate"],
  ["data_exhausted", "the data ran out before the sweep ended"],
  ["interrupted", "training stopped early (an exception or another callback)"],
  ["in_progress", "the range test is still running"],
]);

/**
 * Describe a stop reason in words.
 *
 * @param {string|null} reason a stop reason code, or null while the test runs.
 * @param {Map<string, string>} [descriptions] descriptions from the runs route;
 *     a code missing there and in the built-in list is shown as the code itself.
 * @returns {string}
 * @example describeStopReason(null) // "in progress: the range test is still running"
 */
export function describeStopReason(reason, descriptions = new Map()) {
  const code = reason === null ? "in_progress" : reason;
  const label = code.replace(/_/g, " ");
  const description = descriptions.get(code) || STOP_REASONS.get(code);
  return description ? `${label}: ${description}` : label;
}

export const COLUMNS = Object.freeze([
  { key: "run", label: "Run" },
  { key: "suggestion", label: "Suggested learning rate" },
  { key: "region", label: "Region" },
  { key: "minLoss", label: "Lowest smoothed loss" },
  { key: "points", label: "Points" },
  { key: "stopReason", label: "Stop reason" },
]);

/**
 * Turn parsed curves into table rows.
 *
 * @param {ReturnType<import("./model.js").parseCurve>[]} curves
 * @param {Map<string, string>} colors run -> colour.
 * @returns {{run: string, color: string, suggestion: number|null, region: number[]|null,
 *     minLoss: number|null, minLossLr: number|null, points: number, stopReason: string|null,
 *     explanation: string|null, note: string|null}[]}
 */
export function tableRows(curves, colors) {
  return curves.map((curve) => ({
    run: curve.run,
    color: colors.get(curve.run) || "currentColor",
    suggestion: curve.analysis.suggestion,
    region: curve.analysis.region,
    minLoss: curve.analysis.minLoss,
    minLossLr: curve.analysis.minLossLr,
    points: curve.points,
    stopReason: curve.stopReason,
    explanation: curve.analysis.explanation,
    note: curve.note,
  }));
}

function sortValue(row, key) {
  switch (key) {
    case "region":
      return row.region ? row.region[0] : null;
    case "stopReason":
      return row.stopReason === null ? "in_progress" : row.stopReason;
    default:
      return row[key];
  }
}

/**
 * Sort table rows by a column; missing values go last in both directions.
 *
 * Ties keep the run-name order, so the order does not depend on the backend's.
 *
 * @param {ReturnType<typeof tableRows>} rows
 * @param {string} key a key of `COLUMNS`.
 * @param {"ascending"|"descending"} direction
 * @returns {ReturnType<typeof tableRows>} a new array.
 * @example sortRows([{run: "b", points: 1}, {run: "a", points: 2}], "points", "descending")
 *     // [{run: "a", points: 2}, {run: "b", points: 1}]
 */
export function sortRows(rows, key, direction) {
  const sign = direction === "descending" ? -1 : 1;
  return [...rows].sort((a, b) => {
    const left = sortValue(a, key);
    const right = sortValue(b, key);
    const leftMissing = left === null || left === undefined || Number.isNaN(left);
    const rightMissing = right === null || right === undefined || Number.isNaN(right);
    if (leftMissing !== rightMissing) {
      return leftMissing ? 1 : -1;
    }
    let order = 0;
    if (!leftMissing) {
      order =
        typeof left === "string" ? compareCodePoints(left, String(right)) : Number(left) - right;
    }
    return sign * order || compareCodePoints(a.run, b.run);
  });
}

/**
 * Tell whether two table rows show the same values.
 *
 * @param {ReturnType<typeof tableRows>[number]} a
 * @param {ReturnType<typeof tableRows>[number]} b
 * @returns {boolean}
 * @example sameRow({run: "a", region: [1, 2]}, {run: "a", region: [1, 2]}) // true
 */
export function sameRow(a, b) {
  for (const key of Object.keys(a)) {
    const left = a[key];
    const right = b[key];
    if (Array.isArray(left) && Array.isArray(right)) {
      if (left.length !== right.length || left.some((value, i) => !Object.is(value, right[i]))) {
        return false;
      }
    } else if (!Object.is(left, right)) {
      return false;
    }
  }
  return Object.keys(a).length === Object.keys(b).length;
}

/** The results table; `update` redraws it from rows. */
export class ResultsTable {
  /**
   * @param {Document} doc
   * @param {HTMLElement} container
   */
  constructor(doc, container) {
    this.doc = doc;
    this.sortKey = "run";
    this.sortDirection = "ascending";
    this.rows = [];
    this.stopReasons = new Map();
    // Run -> the row last drawn for it, its stop-reason text and its <tr>, so
    // that a redraw rebuilds only the rows whose values changed.
    this.drawnRows = new Map();
    this.table = element(doc, "table", { class: "results" });
    this.head = element(doc, "thead");
    this.body = element(doc, "tbody");
    this.table.append(this.head, this.body);
    container.appendChild(this.table);
    this.renderHead();
  }

  renderHead() {
    const row = element(this.doc, "tr");
    for (const column of COLUMNS) {
      const active = column.key === this.sortKey;
      let arrow = "";
      if (active) {
        arrow = this.sortDirection === "ascending" ? " ▲" : " ▼";
      }
      const button = element(this.doc, "button", {
        type: "button",
        class: "sort",
        "data-key": column.key,
        text: column.label + arrow,
      });
      button.addEventListener("click", () => this.sortBy(column.key));
      row.appendChild(
        element(
          this.doc,
          "th",
          { scope: "col", "aria-sort": active ? this.sortDirection : "none" },
          [button],
        ),
      );
    }
    this.head.replaceChildren(row);
  }

  sortBy(key) {
    if (key === this.sortKey) {
      this.sortDirection = this.sortDirection === "ascending" ? "descending" : "ascending";
    } else {
      this.sortKey = key;
      this.sortDirection = "ascending";
    }
    this.renderHead();
    this.renderBody();
  }

  /**
   * @param {ReturnType<typeof tableRows>} rows
   * @param {Map<string, string>} [stopReasons] descriptions of the stop reasons.
   */
  update(rows, stopReasons = new Map()) {
    this.rows = rows;
    this.stopReasons = stopReasons;
    this.renderBody();
  }

  renderBody() {
    const doc = this.doc;
    const rows = sortRows(this.rows, this.sortKey, this.sortDirection);
    const drawn = new Map();
    const elements = rows.map((row) => {
      const reason = describeStopReason(row.stopReason, this.stopReasons);
      const previous = this.drawnRows.get(row.run);
      const reusable = previous && previous.reason === reason && sameRow(previous.row, row);
      const tr = reusable ? previous.tr : this.renderRow(row, reason);
      drawn.set(row.run, { row, reason, tr });
      return tr;
    });
    this.drawnRows = drawn;
    if (rows.length === 0) {
      const cell = element(doc, "td", { colspan: COLUMNS.length, class: "muted" }, [
        "No run selected.",
      ]);
      elements.push(element(doc, "tr", {}, [cell]));
    }
    replaceChildrenIfChanged(this.body, elements);
  }

  renderRow(row, reason) {
    const doc = this.doc;
    const swatch = element(doc, "span", { class: "swatch", style: `background:${row.color}` });
    const runCell = element(doc, "td", { class: "run" }, [
      element(doc, "div", { class: "run-cell" }, [
        swatch,
        element(doc, "span", { class: "run-name", text: row.run }),
      ]),
    ]);

    const suggestionCell = element(doc, "td", { class: "suggestion" });
    if (row.suggestion === null) {
      suggestionCell.appendChild(element(doc, "span", { class: "muted", text: "none" }));
    } else {
      const text = formatLearningRate(row.suggestion);
      suggestionCell.appendChild(
        element(doc, "span", { class: "value", "data-value": row.suggestion, text }),
      );
      const copy = element(doc, "button", {
        type: "button",
        class: "copy",
        title: `Copy ${text}`,
        "aria-label": `Copy the suggested learning rate ${text} of ${row.run}`,
        text: "Copy",
      });
      copy.addEventListener("click", async () => {
        const copied = await copyText(doc, text);
        copy.textContent = copied ? "Copied" : "Copy failed";
        setTimeout(() => {
          copy.textContent = "Copy";
        }, 1500);
      });
      suggestionCell.appendChild(copy);
    }

    const regionText = row.region
      ? `${formatLearningRate(row.region[0])} – ${formatLearningRate(row.region[1])}`
      : "none";
    const lossText =
      row.minLoss === null
        ? "–"
        : `${formatLoss(row.minLoss)} at ${formatLearningRate(row.minLossLr)}`;
    const pointsText =
      row.stopReason === null
        ? `${formatCount(row.points, "point")} so far`
        : row.points.toLocaleString("en-US");

    const reasonCell = element(doc, "td", { class: "stop-reason" }, [
      element(doc, "div", { text: reason }),
    ]);
    if (row.suggestion === null && row.explanation) {
      reasonCell.appendChild(element(doc, "div", { class: "explanation", text: row.explanation }));
    }
    if (row.note) {
      reasonCell.appendChild(element(doc, "div", { class: "note", text: row.note }));
    }

    return element(doc, "tr", { "data-run": row.run }, [
      runCell,
      suggestionCell,
      element(doc, "td", { class: "region", text: regionText }),
      element(doc, "td", { class: "min-loss", text: lossText }),
      element(doc, "td", { class: "points", text: pointsText }),
      reasonCell,
    ]);
  }
}
