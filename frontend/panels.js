//# allFunctionsCalledOnLoad
// The empty state, the error state and the list of skipped runs.

import { element } from "./dom.js";
import { HttpError } from "./model.js";

export const EMPTY_SNIPPET = [
  "from lrfinder_tb import LRFinder",
  "",
  'model.fit(x, y, epochs=1, callbacks=[LRFinder(log_dir="logs")])',
  "# then: tensorboard --logdir logs",
].join("\n");

/**
 * Build the empty state: two lines and a code snippet that shows how to write data.
 *
 * @param {Document} doc
 * @returns {HTMLElement}
 */
export function emptyState(doc) {
  return element(doc, "div", { class: "empty-state" }, [
    element(doc, "p", {
      class: "empty-title",
      text: "No learning-rate range test found in this log directory.",
    }),
    element(doc, "p", {
      text:
        "Add the LRFinder callback to model.fit with a log_dir that TensorBoard reads, " +
        "then reload:",
    }),
    element(doc, "pre", {}, [element(doc, "code", { text: EMPTY_SNIPPET })]),
  ]);
}

/**
 * Describe a failed request for the error state.
 *
 * @param {Error} error
 * @returns {{title: string, detail: string}}
 * @example describeError(new HttpError("curves", 500, "INTERNAL SERVER ERROR", "boom")).title
 *     // "Loading the curves failed: HTTP 500 INTERNAL SERVER ERROR"
 */
export function describeError(error) {
  if (error instanceof HttpError) {
    return {
      title: `Loading the ${error.route} failed: HTTP ${error.status} ${error.statusText}`.trim(),
      detail: error.body || "The server sent no message.",
    };
  }
  return {
    title: "Loading the data failed",
    detail: String((error && error.message) || error),
  };
}

/**
 * Build the error state: what failed, the server's message, and a retry button.
 *
 * @param {Document} doc
 * @param {Error} error
 * @param {function(): void} onRetry
 * @returns {HTMLElement}
 */
export function errorState(doc, error, onRetry) {
  const { title, detail } = describeError(error);
  const retry = element(doc, "button", { type: "button", class: "retry", text: "Retry" });
  retry.addEventListener("click", onRetry);
  return element(doc, "div", { class: "error-state", role: "alert" }, [
    element(doc, "p", { class: "error-title", text: title }),
    element(doc, "p", { class: "error-detail", text: detail }),
    retry,
  ]);
}

/**
 * Build the list of runs that hold data this plugin cannot read.
 *
 * @param {Document} doc
 * @param {{run: string, reason: string}[]} skipped
 * @returns {HTMLElement|null} null when nothing was skipped.
 */
export function skippedList(doc, skipped) {
  if (skipped.length === 0) {
    return null;
  }
  const items = skipped.map((entry) =>
    element(doc, "li", {}, [
      element(doc, "span", { class: "run-name", text: entry.run }),
      `: ${entry.reason}`,
    ]),
  );
  return element(doc, "details", { class: "skipped" }, [
    element(doc, "summary", {
      text: `${skipped.length} skipped ${skipped.length === 1 ? "run" : "runs"}`,
    }),
    element(doc, "ul", {}, items),
  ]);
}
