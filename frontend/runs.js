//# allFunctionsCalledOnLoad
// The run list: colour swatches, checkboxes, a regex filter and all/none buttons.

import { element } from "./dom.js";
import { formatCount } from "./format.js";

/**
 * Filter run names with a regular expression typed by the user.
 *
 * The match is case-insensitive and unanchored, like TensorBoard's run filter.
 *
 * @param {string[]} names
 * @param {string} pattern "" keeps every run.
 * @returns {{matches: string[], error: string|null}} on an invalid pattern, every
 *     run and the parser's message.
 * @example filterRuns(["adam", "sgd"], "^a").matches // ["adam"]
 * @example filterRuns(["adam"], "(").error // "Invalid regular expression: ..."
 */
export function filterRuns(names, pattern) {
  if (!pattern) {
    return { matches: [...names], error: null };
  }
  let regex;
  try {
    regex = new RegExp(pattern, "i");
  } catch (error) {
    return { matches: [...names], error: String(error.message || error) };
  }
  return { matches: names.filter((name) => regex.test(name)), error: null };
}

/** The run selector; calls `onChange` after every user change. */
export class RunList {
  /**
   * @param {Document} doc
   * @param {HTMLElement} container
   * @param {{onChange: function(): void}} callbacks
   */
  constructor(doc, container, callbacks) {
    this.doc = doc;
    this.callbacks = callbacks;
    this.names = [];
    this.colors = new Map();
    this.selected = new Set();
    this.filter = "";

    this.filterInput = element(doc, "input", {
      type: "search",
      class: "filter",
      placeholder: "Filter runs (regex)",
      "aria-label": "Filter runs by regular expression",
      spellcheck: "false",
    });
    this.filterInput.addEventListener("input", () => {
      this.filter = this.filterInput.value;
      this.render();
      this.callbacks.onChange();
    });
    this.filterError = element(doc, "div", { class: "filter-error", role: "alert" });
    const all = element(doc, "button", { type: "button", class: "select-all", text: "All" });
    const none = element(doc, "button", { type: "button", class: "select-none", text: "None" });
    all.addEventListener("click", () => this.setVisibleSelected(true));
    none.addEventListener("click", () => this.setVisibleSelected(false));
    this.summary = element(doc, "span", { class: "muted run-summary" });
    this.list = element(doc, "ul", { class: "run-list" });
    container.append(
      element(doc, "h3", { text: "Runs" }),
      this.filterInput,
      this.filterError,
      element(doc, "div", { class: "run-buttons" }, [all, none, this.summary]),
      this.list,
    );
  }

  /** The runs that pass the filter. */
  visibleNames() {
    return filterRuns(this.names, this.filter).matches;
  }

  /** The runs to draw: selected and passing the filter, in sorted order. */
  shownNames() {
    return this.visibleNames().filter((name) => this.selected.has(name));
  }

  /**
   * Replace the list of runs, keeping the selection of runs that remain.
   *
   * @param {string[]} names sorted run names.
   * @param {Map<string, string>} colors
   * @param {Set<string>} selected
   * @param {string} filter
   * @param {{render?: boolean}} [options] `render: false` defers building the
   *     list's elements to a later `render()`.
   */
  setRuns(names, colors, selected, filter, options = {}) {
    this.names = names;
    this.colors = colors;
    this.selected = selected;
    if (filter !== this.filter) {
      this.filter = filter;
    }
    if (this.filterInput.value !== this.filter) {
      this.filterInput.value = this.filter;
    }
    if (options.render ?? true) {
      this.render();
    }
  }

  setVisibleSelected(selected) {
    for (const name of this.visibleNames()) {
      if (selected) {
        this.selected.add(name);
      } else {
        this.selected.delete(name);
      }
    }
    this.render();
    this.callbacks.onChange();
  }

  renderSummary(matches) {
    const shown = matches.filter((name) => this.selected.has(name)).length;
    this.summary.textContent = `${shown} of ${formatCount(this.names.length, "run")} shown`;
  }

  render() {
    const doc = this.doc;
    const { matches, error } = filterRuns(this.names, this.filter);
    this.filterError.textContent = error ? `Invalid filter: ${error}` : "";
    this.filterInput.classList.toggle("invalid", Boolean(error));
    this.filterInput.setAttribute("aria-invalid", error ? "true" : "false");

    this.renderSummary(matches);

    const items = matches.map((name) => {
      const checkbox = element(doc, "input", { type: "checkbox", "data-run": name });
      checkbox.checked = this.selected.has(name);
      checkbox.addEventListener("change", () => {
        if (checkbox.checked) {
          this.selected.add(name);
        } else {
          this.selected.delete(name);
        }
        // Only the summary changes: re-rendering the list would move the keyboard focus.
        this.renderSummary(matches);
        this.callbacks.onChange();
      });
      const swatch = element(doc, "span", {
        class: "swatch",
        style: `background:${this.colors.get(name) || "currentColor"}`,
      });
      const label = element(doc, "label", { title: name }, [
        checkbox,
        swatch,
        element(doc, "span", { class: "run-name", text: name }),
      ]);
      return element(doc, "li", {}, [label]);
    });
    if (matches.length === 0 && this.names.length > 0) {
      items.push(element(doc, "li", { class: "muted", text: "No run matches the filter." }));
    }
    this.list.replaceChildren(...items);
  }
}
