//# allFunctionsCalledOnLoad
// The controls above the chart: smoothing, suggestion method, y scale, zoom reset, downloads.

import { element } from "./dom.js";
import { MAX_SMOOTHING } from "./settings.js";

// While the slider moves, the curves are fetched at most this often (ms).
const SMOOTHING_DEBOUNCE_MS = 250;

/** The control bar; reports changes through callbacks. */
export class Controls {
  /**
   * @param {Document} doc
   * @param {HTMLElement} container
   * @param {{onSmoothing: function(number): void, onMethod: function(string): void,
   *     onYScale: function(string): void, onResetZoom: function(): void,
   *     onDownload: function(string): void}} callbacks `onDownload` gets "csv" or "json".
   */
  constructor(doc, container, callbacks) {
    this.doc = doc;
    this.callbacks = callbacks;
    this.timer = 0;

    this.slider = element(doc, "input", {
      type: "range",
      class: "smoothing",
      min: 0,
      max: MAX_SMOOTHING,
      step: 0.001,
      "aria-label": "Smoothing",
    });
    this.smoothingValue = element(doc, "input", {
      type: "number",
      class: "smoothing-value",
      min: 0,
      max: MAX_SMOOTHING,
      step: 0.001,
      "aria-label": "Smoothing value",
    });
    this.slider.addEventListener("input", () => {
      this.smoothingValue.value = this.slider.value;
      this.scheduleSmoothing(SMOOTHING_DEBOUNCE_MS);
    });
    this.slider.addEventListener("change", () => this.scheduleSmoothing(0));
    this.smoothingValue.addEventListener("change", () => {
      const value = Math.min(MAX_SMOOTHING, Math.max(0, Number(this.smoothingValue.value) || 0));
      this.smoothingValue.value = String(value);
      this.slider.value = String(value);
      this.scheduleSmoothing(0);
    });

    this.method = element(doc, "select", { class: "method", "aria-label": "Suggestion method" });
    this.method.addEventListener("change", () => callbacks.onMethod(this.method.value));

    this.logY = element(doc, "input", { type: "checkbox", class: "log-y" });
    this.logY.addEventListener("change", () =>
      callbacks.onYScale(this.logY.checked ? "log" : "linear"),
    );

    this.resetZoom = element(doc, "button", {
      type: "button",
      class: "reset-zoom",
      text: "Reset zoom",
      title: "Show the whole learning-rate range (or double-click the chart)",
    });
    this.resetZoom.hidden = true;
    this.resetZoom.addEventListener("click", () => callbacks.onResetZoom());

    const csv = element(doc, "button", { type: "button", class: "download-csv", text: "CSV" });
    const json = element(doc, "button", { type: "button", class: "download-json", text: "JSON" });
    csv.addEventListener("click", () => callbacks.onDownload("csv"));
    json.addEventListener("click", () => callbacks.onDownload("json"));
    this.status = element(doc, "span", { class: "status muted", role: "status" });

    container.append(
      element(doc, "label", { class: "control" }, ["Smoothing ", this.slider, this.smoothingValue]),
      element(doc, "label", { class: "control" }, ["Suggestion ", this.method]),
      element(doc, "label", { class: "control" }, [this.logY, " Log y axis"]),
      this.resetZoom,
      element(doc, "span", { class: "control downloads" }, ["Download ", csv, json]),
      this.status,
    );
  }

  scheduleSmoothing(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.callbacks.onSmoothing(Number(this.slider.value));
    }, delay);
  }

  /**
   * Show the current settings without firing callbacks.
   *
   * @param {{smoothing: number, method: string, methods: string[], yScale: string,
   *     zoomed: boolean}} state
   */
  set(state) {
    this.slider.value = String(state.smoothing);
    this.smoothingValue.value = String(state.smoothing);
    const current = [...this.method.options].map((option) => option.value);
    if (current.join("\n") !== state.methods.join("\n")) {
      this.method.replaceChildren(
        ...state.methods.map((name) => element(this.doc, "option", { value: name, text: name })),
      );
    }
    this.method.value = state.method;
    this.logY.checked = state.yScale === "log";
    this.resetZoom.hidden = !state.zoomed;
  }

  /**
   * @param {string} text "" to clear.
   */
  setStatus(text) {
    this.status.textContent = text;
  }
}
