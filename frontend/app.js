//# allFunctionsCalledOnLoad
// The dashboard's controller: state, data loading and wiring of the views.

import { Chart } from "./chart.js";
import { assignColors, sortRunNames } from "./colors.js";
import { Controls } from "./controls.js";
import { element } from "./dom.js";
import { curvesToCsv, curvesToJson, downloadText } from "./download.js";
import { formatCount } from "./format.js";
import { HostChannel, MessageType } from "./host.js";
import {
  LatestRequest,
  MAX_WIDTH,
  batchRuns,
  clampWidth,
  fetchCurves,
  fetchRuns,
} from "./model.js";
import { emptyState, errorState, skippedList } from "./panels.js";
import { RunList } from "./runs.js";
import { computeXDomain } from "./scales.js";
import { prepareSeries } from "./series.js";
import {
  loadSettings,
  parseHashPluginData,
  parseUrlData,
  safeLocalStorage,
  saveSettings,
} from "./settings.js";
import { ResultsTable, tableRows } from "./table.js";
import { followTheme } from "./theme.js";

const PLUGIN_NAME = "lr_finder";

// TensorBoard replies to GetURLPluginData within milliseconds. A parent that is
// not TensorBoard never replies, and the page then starts without a deep link.
const URL_DATA_TIMEOUT_MS = 1000;

// A zoomed chart requests up to this many times its width of points (in powers
// of two), so a zoom into a dense curve shows its detail.
const MAX_ZOOM_DETAIL = 8;

const RESIZE_DEBOUNCE_MS = 150;

// The hash of the TensorBoard page around the plugin's frame, or "" when there
// is no such page or it cannot be read (another origin).
function parentHash(win) {
  try {
    return win.parent && win.parent !== win ? win.parent.location.hash : "";
  } catch {
    return "";
  }
}

/** The LR Finder dashboard in one document. */
export class App {
  /**
   * @param {Window} win
   * @param {Object<string, number>} timings where first-render timings are recorded.
   */
  constructor(win, timings = {}) {
    this.win = win;
    this.doc = win.document;
    this.timings = timings;
    this.storage = safeLocalStorage(win);
    this.runsRequest = new LatestRequest();
    this.curvesRequest = new LatestRequest();

    this.names = [];
    this.knownNames = new Set();
    this.colors = new Map();
    this.selected = new Set();
    this.storedDeselected = new Set();
    this.deepLinkRuns = null;
    this.methods = [];
    this.skipped = [];
    this.stopReasons = new Map();
    this.settings = { smoothing: null, method: null, filter: "", yScale: "linear" };
    this.zoom = null;
    this.xDomain = null;
    this.cache = { key: "", width: 0, curves: new Map() };
    this.prepared = new WeakMap();
    this.hasData = false;
    this.drawCount = 0;
    this.drawnWidth = 0;
    this.started = false;
  }

  /** Build the page, connect to the host and load the data. */
  async start() {
    this.buildLayout();
    followTheme(this.win);

    const stored = loadSettings(this.storage);
    this.host = HostChannel.connect(this.win);
    let urlData = Promise.resolve(null);
    if (this.host) {
      // Reply at once and reload in the background: the host waits for replies.
      // Before the first load has its settings, the first load is still to come.
      const reload = () => {
        if (this.started) {
          this.refresh();
        }
      };
      this.host.listen(MessageType.DATA_RELOADED, reload);
      this.host.listen(MessageType.RUNS_CHANGED, reload);
      urlData = this.host
        .sendMessage(
          MessageType.GET_URL_DATA,
          { pluginName: PLUGIN_NAME },
          { timeoutMs: URL_DATA_TIMEOUT_MS },
        )
        .catch(() => null);
    }

    // Fetch the runs while the host looks up the deep link.
    const runsTask = this.runsRequest.run((signal) => fetchRuns({ signal }));
    let deepLink = await urlData;
    if (!deepLink || Object.keys(deepLink).length === 0) {
      deepLink = parseHashPluginData(parentHash(this.win), PLUGIN_NAME);
    }
    this.applyInitialSettings(parseUrlData(deepLink), stored);
    this.started = true;
    await this.refresh(runsTask);
  }

  buildLayout() {
    const doc = this.doc;
    this.root = element(doc, "div", { class: "lr-finder", "data-state": "loading" });
    this.emptyHost = element(doc, "div", { class: "empty-host" });
    this.emptyHost.hidden = true;
    const sidebar = element(doc, "aside", { class: "sidebar" });
    this.skippedHost = element(doc, "div", { class: "skipped-host" });
    const main = element(doc, "section", { class: "main" });
    const controlBar = element(doc, "div", { class: "controls" });
    this.errorHost = element(doc, "div", { class: "error-host" });
    this.dataSection = element(doc, "div", { class: "data" });
    const chartHost = element(doc, "div", { class: "chart-host" });
    const tableHost = element(doc, "div", { class: "table-host" });
    this.dataSection.append(chartHost, tableHost);
    main.append(controlBar, this.errorHost, this.dataSection);
    this.layout = element(doc, "div", { class: "layout" }, [sidebar, main]);
    this.root.append(this.emptyHost, this.layout);
    doc.body.appendChild(this.root);

    this.runList = new RunList(doc, sidebar, { onChange: () => this.onSelectionChange() });
    sidebar.appendChild(this.skippedHost);
    this.controls = new Controls(doc, controlBar, {
      onSmoothing: (value) => this.onSettingsChange({ smoothing: value }, true),
      onMethod: (value) => this.onSettingsChange({ method: value }, true),
      onYScale: (value) => this.onSettingsChange({ yScale: value }, false),
      onResetZoom: () => this.onZoom(null),
      onDownload: (kind) => this.download(kind),
    });
    this.chart = new Chart(doc, chartHost, { onZoom: (range) => this.onZoom(range) });
    this.table = new ResultsTable(doc, tableHost);

    if (this.win.ResizeObserver) {
      let timer = 0;
      new this.win.ResizeObserver(() => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          // The observer also reports the first layout, which the last draw already used.
          if (this.hasData && this.chart.plotWidth() !== this.drawnWidth) {
            this.onResize();
          }
        }, RESIZE_DEBOUNCE_MS);
      }).observe(chartHost);
    }
  }

  applyInitialSettings(deepLink, stored) {
    this.settings = {
      smoothing: deepLink.smoothing ?? stored.smoothing ?? null,
      method: deepLink.method ?? stored.method ?? null,
      filter: deepLink.filter ?? stored.filter ?? "",
      yScale: deepLink.yScale ?? stored.yScale ?? "linear",
    };
    this.deepLinkRuns = deepLink.runs ?? null;
    this.storedDeselected = new Set(stored.deselected ?? []);
  }

  /**
   * Reload the run list and the curves of the selected runs, keeping selection, zoom and settings.
   *
   * @param {Promise|null} [runsTask] a runs request already started.
   */
  async refresh(runsTask = null) {
    this.setState("loading");
    this.controls.setStatus("Loading…");
    let result;
    try {
      result = await (runsTask || this.runsRequest.run((signal) => fetchRuns({ signal })));
    } catch (error) {
      this.showError(error);
      return;
    }
    if (result.stale) {
      return;
    }
    this.applyRuns(result.value, { renderList: false });
    if (this.names.length === 0) {
      this.runList.render();
      this.showEmpty();
      return;
    }
    // Ask for the first curves before building the run list, so the backend
    // works on them while the page builds a list of possibly hundreds of runs.
    const loading = this.loadCurves({ force: true });
    this.runList.render();
    await loading;
  }

  /**
   * Take a runs listing: names, selection, colors, methods and defaults.
   *
   * @param {ReturnType<typeof import("./model.js").parseRunsResponse>} listing
   * @param {{renderList?: boolean}} [options] `renderList: false` leaves building
   *     the run list's elements to the caller.
   */
  applyRuns(listing, options = {}) {
    this.timings.runsLoaded ??= performance.now();
    const names = sortRunNames(listing.runs.map((entry) => entry.run));
    if (this.knownNames.size === 0 && this.deepLinkRuns !== null) {
      const linked = new Set(this.deepLinkRuns);
      this.selected = new Set(names.filter((name) => linked.has(name)));
    } else {
      for (const name of names) {
        if (!this.knownNames.has(name) && !this.storedDeselected.has(name)) {
          this.selected.add(name);
        }
      }
    }
    this.names = names;
    for (const name of names) {
      this.knownNames.add(name);
    }
    this.colors = assignColors(names);
    this.skipped = listing.skipped;
    this.stopReasons = listing.stopReasons;

    this.methods = listing.methods.length > 0 ? listing.methods : [listing.defaultMethod || ""];
    if (!this.methods.includes(this.settings.method)) {
      this.settings.method = listing.defaultMethod || this.methods[0];
    }
    if (this.settings.smoothing === null) {
      this.settings.smoothing = listing.defaultSmoothing ?? 0.98;
    }
    this.runList.setRuns(this.names, this.colors, this.selected, this.settings.filter, {
      render: options.renderList ?? true,
    });
    this.syncControls();
  }

  syncControls() {
    this.controls.set({
      smoothing: this.settings.smoothing,
      method: this.settings.method,
      methods: this.methods,
      yScale: this.settings.yScale,
      zoomed: this.zoom !== null,
    });
  }

  /** Return the number of points per series to request from the backend. */
  requestWidth() {
    const base = this.chart.plotWidth();
    if (!this.zoom || !this.xDomain) {
      return clampWidth(base);
    }
    const full = Math.log10(this.xDomain[1] / this.xDomain[0]);
    const shown = Math.log10(this.zoom[1] / this.zoom[0]);
    const ratio = shown > 0 ? full / shown : 1;
    const factor = Math.min(MAX_ZOOM_DETAIL, 2 ** Math.ceil(Math.log2(Math.max(1, ratio))));
    return clampWidth(base * factor);
  }

  /**
   * Fetch the curves the chart needs and draw them.
   *
   * Many runs are fetched in batches of growing size, and the chart is redrawn
   * after each batch, so the first curves show before the backend has
   * analyzed every run.
   *
   * @param {{force?: boolean}} [options] `force` refetches every shown run (after a
   *     reload); otherwise only runs missing from the cache for the current
   *     smoothing, method and width are fetched.
   */
  async loadCurves(options = {}) {
    const shown = this.runList.shownNames();
    const width = this.requestWidth();
    const params = { smoothing: this.settings.smoothing, method: this.settings.method, width };
    const key = `${params.smoothing}|${params.method}`;
    const reusable = !options.force && key === this.cache.key && width <= this.cache.width;
    const missing = reusable ? shown.filter((name) => !this.cache.curves.has(name)) : shown;
    if (missing.length === 0) {
      if (!reusable) {
        this.curvesRequest.cancel();
        this.cache = { key, width, curves: new Map() };
      }
      this.draw();
      return;
    }

    // Curves fetched for the same smoothing and method stay on the chart
    // until their replacement arrives; curves for other settings do not.
    const kept = key === this.cache.key ? this.cache.curves : new Map();
    const target = {
      key,
      width: reusable ? this.cache.width : width,
      curves: new Map(kept),
    };
    const batches = batchRuns(missing);

    this.setState("loading");
    this.controls.setStatus(`Loading ${formatCount(missing.length, "run")}…`);
    let result;
    try {
      result = await this.curvesRequest.run(async (signal) => {
        let loaded = 0;
        let pending = fetchCurves(batches[0], params, { signal });
        for (let index = 0; index < batches.length; index++) {
          const part = await pending;
          // Ask for the next batch before drawing, so the backend works meanwhile.
          if (index + 1 < batches.length) {
            pending = fetchCurves(batches[index + 1], params, { signal });
            // A rejection is handled when the loop awaits it; until then it is not "unhandled".
            pending.catch(() => {});
          }
          if (signal.aborted) {
            return;
          }
          for (const curve of part.curves) {
            target.curves.set(curve.run, curve);
          }
          loaded += batches[index].length;
          this.timings.curvesLoaded ??= performance.now();
          this.cache = target;
          this.hasData = true;
          const final = index + 1 === batches.length;
          this.draw({ final });
          if (!final) {
            this.controls.setStatus(`Loaded ${loaded} of ${formatCount(missing.length, "run")}…`);
          }
        }
      });
    } catch (error) {
      this.showError(error);
      return;
    }
    if (result.stale) {
      return;
    }
    this.timings.allDrawn ??= performance.now();
  }

  prepare(curve, logY) {
    let entry = this.prepared.get(curve);
    if (!entry) {
      entry = {};
      this.prepared.set(curve, entry);
    }
    const key = logY ? "log" : "linear";
    entry[key] ??= prepareSeries(curve.series, { logY });
    return entry[key];
  }

  shownCurves() {
    return this.runList
      .shownNames()
      .map((name) => this.cache.curves.get(name))
      .filter(Boolean);
  }

  /**
   * Redraw the chart, the table and the controls from the cache.
   *
   * @param {{final?: boolean}} [options] `final` (the default) marks the page ready;
   *     false keeps it loading because more batches are on their way.
   */
  draw(options = {}) {
    const final = options.final ?? true;
    const logY = this.settings.yScale === "log";
    const curves = this.shownCurves();
    const series = curves.map((curve) => ({
      run: curve.run,
      color: this.colors.get(curve.run) || "currentColor",
      prepared: this.prepare(curve, logY),
      suggestion: curve.analysis.suggestion,
      region: curve.analysis.region,
    }));
    this.xDomain = computeXDomain(series.map((entry) => entry.prepared));

    let emptyMessage = "";
    if (this.runList.shownNames().length === 0) {
      emptyMessage = "No run selected: tick a run in the list on the left.";
    } else if (!this.xDomain) {
      emptyMessage = "The selected runs have no point with a finite learning rate > 0.";
    }
    this.emptyHost.hidden = true;
    this.layout.hidden = false;
    this.errorHost.replaceChildren();
    this.dataSection.hidden = false;
    this.drawnWidth = this.chart.plotWidth();
    this.chart.update({
      series: this.xDomain ? series : [],
      xDomain: this.xDomain,
      zoom: this.zoom,
      logY,
      emptyMessage,
    });
    this.table.update(tableRows(curves, this.colors), this.stopReasons);
    this.skippedHost.replaceChildren(...[skippedList(this.doc, this.skipped)].filter(Boolean));
    this.syncControls();
    if (final) {
      this.controls.setStatus("");
    }

    this.drawCount += 1;
    this.root.setAttribute("data-draw-count", String(this.drawCount));
    this.setState(final ? "ready" : "loading");
    if (this.timings.chartDrawn === undefined && curves.length > 0) {
      this.timings.chartDrawn = performance.now();
      this.timings.firstRenderMs = this.timings.chartDrawn - this.timings.renderStart;
      // The next frame has been laid out and painted.
      this.win.requestAnimationFrame(() => {
        this.win.setTimeout(() => {
          this.timings.painted = performance.now();
          this.timings.firstPaintMs = this.timings.painted - this.timings.renderStart;
        }, 0);
      });
    }
  }

  setState(state) {
    this.root.setAttribute("data-state", state);
  }

  showEmpty() {
    this.curvesRequest.cancel();
    this.hasData = false;
    this.cache = { key: "", width: 0, curves: new Map() };
    this.layout.hidden = true;
    this.emptyHost.replaceChildren(
      emptyState(this.doc),
      ...[skippedList(this.doc, this.skipped)].filter(Boolean),
    );
    this.emptyHost.hidden = false;
    this.controls.setStatus("");
    this.setState("empty");
  }

  showError(error) {
    this.emptyHost.hidden = true;
    this.layout.hidden = false;
    this.errorHost.replaceChildren(errorState(this.doc, error, () => this.refresh()));
    // Data drawn before the failure stays visible under the message; without
    // any, the chart area is hidden rather than shown empty.
    this.dataSection.hidden = !this.hasData;
    this.controls.setStatus("");
    this.setState("error");
  }

  saveSettings() {
    const deselected = new Set(
      [...this.storedDeselected].filter((name) => !this.knownNames.has(name)),
    );
    for (const name of this.names) {
      if (!this.selected.has(name)) {
        deselected.add(name);
      }
    }
    this.storedDeselected = deselected;
    saveSettings(this.storage, {
      deselected: [...deselected],
      smoothing: this.settings.smoothing,
      method: this.settings.method,
      filter: this.runList.filter,
      yScale: this.settings.yScale,
    });
  }

  onSelectionChange() {
    this.settings.filter = this.runList.filter;
    this.saveSettings();
    this.loadCurves();
  }

  onSettingsChange(change, refetch) {
    Object.assign(this.settings, change);
    this.saveSettings();
    if (refetch) {
      this.loadCurves();
    } else {
      this.draw();
    }
  }

  onZoom(range) {
    this.zoom = range;
    if (this.requestWidth() > this.cache.width) {
      this.loadCurves();
    } else {
      this.draw();
    }
  }

  onResize() {
    if (this.requestWidth() > this.cache.width) {
      this.loadCurves();
    } else {
      this.draw();
    }
  }

  /**
   * Download the shown runs' curves and analysis.
   *
   * Curves that the backend downsampled for drawing are fetched again at the
   * maximum width the curves route accepts.
   *
   * @param {"csv"|"json"} kind
   */
  async download(kind) {
    let curves = this.shownCurves();
    const params = { smoothing: this.settings.smoothing, method: this.settings.method };
    const downsampled = curves.some((curve) => curve.series.learning_rates.length < curve.points);
    if (downsampled) {
      this.controls.setStatus("Preparing the download…");
      try {
        // NOTE: the curves route downsamples series longer than its maximum
        // width (8192), so the download of a longer curve is downsampled too.
        const full = await fetchCurves(
          curves.map((curve) => curve.run),
          { ...params, width: MAX_WIDTH },
        );
        curves = full.curves;
      } catch (error) {
        this.showError(error);
        return;
      }
      this.controls.setStatus("");
    }
    if (kind === "csv") {
      downloadText(this.doc, "lr_finder_curves.csv", curvesToCsv(curves), "text/csv");
    } else {
      downloadText(
        this.doc,
        "lr_finder_curves.json",
        curvesToJson(curves, params),
        "application/json",
      );
    }
  }
}
