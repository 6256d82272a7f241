//# allFunctionsCalledOnLoad
// The chart: loss against a log-scaled learning rate, drawn in SVG.
//
// One <path> per series (raw and smoothed loss of each run), so 200 runs of
// 10,000 points cost 400 DOM nodes, not millions; the paths are downsampled to
// the pixel columns (downsample.js). Hover, crosshair and zoom work on a
// transparent overlay and never rebuild the paths.

import { PATH_TRANSFORM, seriesPath } from "./downsample.js";
import { clear, element, replaceChildrenIfChanged, svgElement } from "./dom.js";
import { formatCount, formatLearningRate, formatLoss } from "./format.js";
import { computeYRange, decadeTicks, linearScale, linearTicks, logScale } from "./scales.js";
import { nearestIndex } from "./series.js";

export const MARGIN = Object.freeze({ top: 16, right: 20, bottom: 44, left: 64 });
export const HEIGHT = 420;

// Beyond this many runs, suggestion labels would cover the chart; the table lists the values.
const MAX_LABELLED_RUNS = 5;

// Up to this many runs, each region is also shaded over the plot's full height.
// With more runs the overlapping shades turn grey, so only the band along each
// smoothed curve marks its region.
const MAX_FULL_HEIGHT_REGIONS = 3;

// The tooltip lists the runs nearest to the pointer first, and at most this many.
const MAX_TOOLTIP_RUNS = 10;

// A drag shorter than this (pixels) is a click, not a zoom.
const MIN_DRAG = 4;

/** The SVG chart with its tooltip and notes. */
export class Chart {
  /**
   * @param {Document} doc
   * @param {HTMLElement} container
   * @param {{onZoom: function([number, number]|null): void}} callbacks `onZoom` gets
   *     the learning-rate range dragged across, or null on a double-click (reset).
   */
  constructor(doc, container, callbacks) {
    this.doc = doc;
    this.callbacks = callbacks;
    this.view = null;
    this.hoverFrame = 0;
    this.drag = null;
    // Prepared series -> their path elements (see `seriesPaths`).
    this.pathCache = new WeakMap();

    this.frame = element(doc, "div", { class: "chart-frame" });
    this.svg = svgElement(doc, "svg", {
      class: "chart",
      role: "img",
      "aria-label": "Loss against learning rate",
      height: HEIGHT,
    });
    this.tooltip = element(doc, "div", { class: "tooltip", role: "status", hidden: true });
    this.notes = element(doc, "div", { class: "chart-notes" });
    this.frame.append(this.svg, this.tooltip);
    container.append(this.frame, this.notes);

    const clipId = "lr-finder-plot-clip";
    this.clipRect = svgElement(doc, "rect");
    const defs = svgElement(doc, "defs", {}, [
      svgElement(doc, "clipPath", { id: clipId }, [this.clipRect]),
    ]);
    this.axisLayer = svgElement(doc, "g", { class: "axes" });
    const clipped = { "clip-path": `url(#${clipId})` };
    this.regionLayer = svgElement(doc, "g", { class: "regions", ...clipped });
    this.rawLayer = svgElement(doc, "g", { class: "raw-lines", ...clipped });
    this.smoothLayer = svgElement(doc, "g", { class: "smoothed-lines", ...clipped });
    this.markerLayer = svgElement(doc, "g", { class: "suggestions", ...clipped });
    this.clipLayer = svgElement(doc, "g", { class: "clip-marker" });
    this.hoverLayer = svgElement(doc, "g", { class: "hover", "pointer-events": "none" });
    this.brush = svgElement(doc, "rect", { class: "brush", visibility: "hidden" });
    this.overlay = svgElement(doc, "rect", { class: "overlay", fill: "transparent" });
    this.message = svgElement(doc, "text", { class: "chart-message", "text-anchor": "middle" });
    this.svg.append(
      defs,
      this.axisLayer,
      this.regionLayer,
      this.rawLayer,
      this.smoothLayer,
      this.markerLayer,
      this.clipLayer,
      this.hoverLayer,
      this.brush,
      this.message,
      this.overlay,
    );
    this.bindPointer();
  }

  /** Return the pixel width of the plot area (inside the axes). */
  plotWidth() {
    return Math.max(16, this.totalWidth() - MARGIN.left - MARGIN.right);
  }

  totalWidth() {
    return Math.max(200, Math.floor(this.frame.clientWidth || 800));
  }

  /**
   * Redraw the chart.
   *
   * @param {{series: {run: string, color: string, prepared: ReturnType<
   *     import("./series.js").prepareSeries>, suggestion: number|null,
   *     region: number[]|null}[], xDomain: [number, number]|null,
   *     zoom: [number, number]|null, logY: boolean, emptyMessage: string}} view
   */
  update(view) {
    const doc = this.doc;
    const width = this.totalWidth();
    const plotWidth = this.plotWidth();
    const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    const left = MARGIN.left;
    const top = MARGIN.top;
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
    for (const rect of [this.clipRect, this.overlay]) {
      rect.setAttribute("x", left);
      rect.setAttribute("y", top);
      rect.setAttribute("width", plotWidth);
      rect.setAttribute("height", plotHeight);
    }
    for (const layer of [this.axisLayer, this.markerLayer, this.clipLayer]) {
      clear(layer);
    }
    this.hideHover();
    clear(this.notes);

    const domain = view.zoom || view.xDomain;
    if (!domain || view.series.length === 0) {
      this.view = null;
      for (const layer of [this.regionLayer, this.rawLayer, this.smoothLayer]) {
        clear(layer);
      }
      this.message.setAttribute("x", left + plotWidth / 2);
      this.message.setAttribute("y", top + plotHeight / 2);
      this.message.textContent = view.emptyMessage;
      return;
    }
    this.message.textContent = "";

    const xScale = logScale(domain, [left, left + plotWidth]);
    const yRange = computeYRange(
      view.series.map((entry) => entry.prepared),
      { log: view.logY, xDomain: domain },
    );
    const yScale = view.logY
      ? logScale(yRange.domain, [top + plotHeight, top])
      : linearScale(yRange.domain, [top + plotHeight, top]);
    this.view = { ...view, xScale, yScale, domain, plotWidth, plotHeight };

    this.drawAxes(xScale, yScale, view.logY, plotWidth, plotHeight);

    const mapping = {
      x: xScale.affine,
      y: yScale,
      visible: [Math.log10(domain[0]), Math.log10(domain[1])],
      clamp: [top - plotHeight, top + 2 * plotHeight],
    };
    const mappingKey = pathMappingKey(mapping);
    const labelled = view.series.filter((entry) => entry.suggestion !== null);
    const showLabels = labelled.length <= MAX_LABELLED_RUNS;
    this.svg.classList.toggle("many-runs", !showLabels);
    const fullHeightRegions = view.series.length <= MAX_FULL_HEIGHT_REGIONS;
    let labelIndex = 0;
    const regionNodes = [];
    const rawNodes = [];
    const smoothNodes = [];

    for (const entry of view.series) {
      const { prepared, color } = entry;
      const paths = this.seriesPaths(entry, mapping, mappingKey);
      if (hasRegion(entry)) {
        if (fullHeightRegions) {
          const x0 = xScale.map(entry.region[0]);
          const x1 = xScale.map(entry.region[1]);
          regionNodes.push(
            svgElement(doc, "rect", {
              class: "region",
              "data-run": entry.run,
              x: Math.min(x0, x1),
              y: top,
              width: Math.max(1, Math.abs(x1 - x0)),
              height: plotHeight,
              fill: color,
            }),
          );
        }
        regionNodes.push(paths.band);
      }
      rawNodes.push(paths.raw);
      smoothNodes.push(paths.smooth);
      if (entry.suggestion !== null && entry.suggestion > 0) {
        const x = xScale.map(entry.suggestion);
        const marker = svgElement(doc, "g", { class: "suggestion", "data-run": entry.run }, [
          svgElement(doc, "line", {
            x1: x,
            x2: x,
            y1: top,
            y2: top + plotHeight,
            stroke: color,
          }),
        ]);
        const index = nearestIndex(prepared.logX, Math.log10(entry.suggestion));
        const y = index >= 0 ? yScale.map(prepared.smooth[index]) : Number.NaN;
        if (Number.isFinite(y)) {
          marker.appendChild(svgElement(doc, "circle", { cx: x, cy: y, r: 4, fill: color }));
        }
        if (showLabels) {
          const label = formatLearningRate(entry.suggestion);
          const textX = x + 4 > left + plotWidth - 60 ? x - 4 : x + 4;
          marker.appendChild(
            svgElement(doc, "text", {
              x: textX,
              y: top + 14 + 14 * labelIndex,
              fill: color,
              "text-anchor": textX < x ? "end" : "start",
              text: `suggested ${label}`,
            }),
          );
          labelIndex++;
        }
        this.markerLayer.appendChild(marker);
      }
    }
    replaceChildrenIfChanged(this.regionLayer, regionNodes);
    replaceChildrenIfChanged(this.rawLayer, rawNodes);
    replaceChildrenIfChanged(this.smoothLayer, smoothNodes);

    this.drawNotes(view, yRange, plotWidth);
  }

  /**
   * Return the band, raw and smoothed path elements of one series, up to date for `mapping`.
   *
   * Each prepared series keeps its elements. So a redraw with the same scales
   * rebuilds no path string, and the browser parses no path again: a toggle of
   * the log y axis and back, or a batch of runs that leaves the axes as they were.
   *
   * @param {{run: string, color: string, prepared: object, region: number[]|null}} entry
   * @param {object} mapping the mapping of `seriesPath`, without `smooth`, `beyond`
   *     and the band's visible range.
   * @param {string} mappingKey `pathMappingKey(mapping)`.
   * @returns {{band: SVGPathElement, raw: SVGPathElement, smooth: SVGPathElement}} the
   *     band is drawn only for a series with a region.
   */
  seriesPaths(entry, mapping, mappingKey) {
    const { prepared, region } = entry;
    let paths = this.pathCache.get(prepared);
    if (!paths) {
      paths = {
        key: null,
        bandKey: null,
        band: this.pathElement("region-band"),
        raw: this.pathElement("raw"),
        smooth: this.pathElement("smoothed"),
      };
      this.pathCache.set(prepared, paths);
    }
    if (paths.key !== mappingKey) {
      paths.key = mappingKey;
      paths.raw.setAttribute("d", seriesPath(prepared.logX, prepared.raw, mapping));
      paths.smooth.setAttribute(
        "d",
        seriesPath(prepared.logX, prepared.smooth, { ...mapping, smooth: true }),
      );
    }
    const bandKey = hasRegion(entry) ? `${mappingKey} ${region[0]} ${region[1]}` : null;
    if (bandKey !== null && paths.bandKey !== bandKey) {
      paths.bandKey = bandKey;
      const band = {
        ...mapping,
        visible: [Math.log10(region[0]), Math.log10(region[1])],
        beyond: false,
        smooth: true,
      };
      paths.band.setAttribute("d", seriesPath(prepared.logX, prepared.smooth, band));
    }
    for (const node of [paths.band, paths.raw, paths.smooth]) {
      setAttributeIfChanged(node, "data-run", entry.run);
      setAttributeIfChanged(node, "stroke", entry.color);
    }
    return paths;
  }

  pathElement(className) {
    return svgElement(this.doc, "path", { class: className, transform: PATH_TRANSFORM });
  }

  drawAxes(xScale, yScale, logY, plotWidth, plotHeight) {
    const doc = this.doc;
    const left = MARGIN.left;
    const top = MARGIN.top;
    const bottom = top + plotHeight;
    const layer = this.axisLayer;

    const maxXTicks = Math.max(2, Math.floor(plotWidth / 60));
    for (const tick of decadeTicks(xScale.domain[0], xScale.domain[1], maxXTicks)) {
      const x = xScale.map(tick.value);
      layer.appendChild(
        svgElement(doc, "line", {
          class: tick.major ? "grid major" : "grid",
          x1: x,
          x2: x,
          y1: top,
          y2: bottom,
        }),
      );
      layer.appendChild(
        svgElement(doc, "text", {
          class: "tick x-tick",
          x,
          y: bottom + 16,
          "text-anchor": "middle",
          text: tick.label,
        }),
      );
    }
    const yTicks = logY
      ? decadeTicks(yScale.domain[0], yScale.domain[1], 6)
      : linearTicks(yScale.domain[0], yScale.domain[1], 6);
    for (const tick of yTicks) {
      const y = yScale.map(tick.value);
      layer.appendChild(
        svgElement(doc, "line", { class: "grid", x1: left, x2: left + plotWidth, y1: y, y2: y }),
      );
      layer.appendChild(
        svgElement(doc, "text", {
          class: "tick y-tick",
          x: left - 6,
          y: y + 4,
          "text-anchor": "end",
          text: tick.label,
        }),
      );
    }
    layer.appendChild(
      svgElement(doc, "rect", {
        class: "frame",
        x: left,
        y: top,
        width: plotWidth,
        height: plotHeight,
        fill: "none",
      }),
    );
    layer.appendChild(
      svgElement(doc, "text", {
        class: "axis-label",
        x: left + plotWidth / 2,
        y: bottom + 36,
        "text-anchor": "middle",
        text: "learning rate (log scale)",
      }),
    );
    layer.appendChild(
      svgElement(doc, "text", {
        class: "axis-label",
        transform: `translate(14 ${top + plotHeight / 2}) rotate(-90)`,
        "text-anchor": "middle",
        text: logY ? "loss (log scale)" : "loss",
      }),
    );
  }

  drawNotes(view, yRange, plotWidth) {
    const doc = this.doc;
    const notes = [];
    if (yRange.clipped) {
      const value = formatLoss(yRange.clipValue);
      const left = MARGIN.left;
      const top = MARGIN.top;
      this.clipLayer.append(
        svgElement(doc, "line", { x1: left, x2: left + plotWidth, y1: top, y2: top }),
        svgElement(doc, "text", {
          x: left + plotWidth - 4,
          y: top + 12,
          "text-anchor": "end",
          text: `▲ clipped above y=${value}`,
        }),
      );
      const hidden = yRange.hiddenPoints;
      notes.push(
        `The diverged tail is clipped above y=${value}: ${formatCount(hidden, "raw point")} ` +
          `${hidden === 1 ? "lies" : "lie"} above the chart.`,
      );
    }

    let droppedX = 0;
    let droppedRaw = 0;
    for (const entry of view.series) {
      droppedX += entry.prepared.droppedX;
      droppedRaw += entry.prepared.droppedRaw;
    }
    if (droppedX > 0) {
      notes.push(
        `Not drawn: ${formatCount(droppedX, "point")} whose learning rate is not a finite ` +
          "number > 0 (the log axis cannot show them).",
      );
    }
    if (droppedRaw > 0) {
      const rule = view.logY ? "not a finite number > 0 (log axis)" : "NaN or infinite";
      notes.push(`Not drawn: ${formatCount(droppedRaw, "loss", "losses")} that are ${rule}.`);
    }
    for (const text of notes) {
      this.notes.appendChild(element(doc, "div", { class: "note", text }));
    }
  }

  bindPointer() {
    const overlay = this.overlay;
    overlay.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || !this.view) {
        return;
      }
      this.drag = { start: this.localX(event), current: this.localX(event) };
      overlay.setPointerCapture(event.pointerId);
    });
    overlay.addEventListener("pointermove", (event) => {
      const x = this.localX(event);
      const y = this.localY(event);
      if (this.drag) {
        this.drag.current = x;
        this.drawBrush();
      }
      cancelAnimationFrame(this.hoverFrame);
      this.hoverFrame = requestAnimationFrame(() => this.showHover(x, y));
    });
    overlay.addEventListener("pointerup", (event) => {
      if (!this.drag) {
        return;
      }
      const { start, current } = this.drag;
      this.drag = null;
      this.brush.setAttribute("visibility", "hidden");
      overlay.releasePointerCapture(event.pointerId);
      if (Math.abs(current - start) >= MIN_DRAG && this.view) {
        const scale = this.view.xScale;
        const low = scale.invert(Math.min(start, current));
        const high = scale.invert(Math.max(start, current));
        this.callbacks.onZoom([low, high]);
      }
    });
    overlay.addEventListener("pointerleave", () => {
      cancelAnimationFrame(this.hoverFrame);
      this.hideHover();
    });
    overlay.addEventListener("dblclick", () => {
      this.callbacks.onZoom(null);
    });
  }

  localX(event) {
    const box = this.svg.getBoundingClientRect();
    const left = MARGIN.left;
    return Math.min(left + this.plotWidth(), Math.max(left, event.clientX - box.left));
  }

  localY(event) {
    return event.clientY - this.svg.getBoundingClientRect().top;
  }

  drawBrush() {
    const { start, current } = this.drag;
    this.brush.setAttribute("x", Math.min(start, current));
    this.brush.setAttribute("y", MARGIN.top);
    this.brush.setAttribute("width", Math.abs(current - start));
    this.brush.setAttribute("height", HEIGHT - MARGIN.top - MARGIN.bottom);
    this.brush.setAttribute("visibility", "visible");
  }

  hideHover() {
    clear(this.hoverLayer);
    this.tooltip.hidden = true;
  }

  /**
   * Show the crosshair and the tooltip for a pointer position (pixels in the SVG).
   *
   * @param {number} x
   * @param {number} y
   */
  showHover(x, y) {
    const view = this.view;
    if (!view) {
      return;
    }
    const doc = this.doc;
    const logX = Math.log10(view.xScale.invert(x));
    const nearest = [];
    for (const entry of view.series) {
      const index = nearestIndex(entry.prepared.logX, logX);
      if (index < 0) {
        continue;
      }
      const raw = entry.prepared.raw[index];
      const smooth = entry.prepared.smooth[index];
      const shownY = view.yScale.map(Number.isFinite(smooth) ? smooth : raw);
      nearest.push({
        entry,
        lr: entry.prepared.x[index],
        raw,
        smooth,
        px: view.xScale.map(entry.prepared.x[index]),
        py: shownY,
        distance: Number.isFinite(shownY) ? Math.abs(shownY - y) : Infinity,
      });
    }
    nearest.sort((a, b) => a.distance - b.distance);
    const listed = nearest.slice(0, MAX_TOOLTIP_RUNS);

    clear(this.hoverLayer);
    const top = MARGIN.top;
    this.hoverLayer.appendChild(
      svgElement(doc, "line", {
        class: "crosshair",
        x1: x,
        x2: x,
        y1: top,
        y2: top + view.plotHeight,
      }),
    );
    for (const point of listed) {
      if (Number.isFinite(point.py) && point.py >= top && point.py <= top + view.plotHeight) {
        this.hoverLayer.appendChild(
          svgElement(doc, "circle", {
            cx: point.px,
            cy: point.py,
            r: 3.5,
            fill: point.entry.color,
            class: "hover-point",
          }),
        );
      }
    }

    const rows = listed.map((point) =>
      element(doc, "tr", {}, [
        element(doc, "td", {}, [
          element(doc, "span", { class: "swatch", style: `background:${point.entry.color}` }),
        ]),
        element(doc, "td", { class: "run-name", text: point.entry.run }),
        element(doc, "td", { class: "num", text: formatLearningRate(point.lr) }),
        element(doc, "td", { class: "num", text: formatLoss(point.raw) }),
        element(doc, "td", { class: "num", text: formatLoss(point.smooth) }),
      ]),
    );
    const header = element(doc, "tr", {}, [
      element(doc, "th"),
      element(doc, "th", { text: "run" }),
      element(doc, "th", { text: "learning rate" }),
      element(doc, "th", { text: "loss" }),
      element(doc, "th", { text: "smoothed" }),
    ]);
    const children = [element(doc, "table", {}, [header, ...rows])];
    if (nearest.length > listed.length) {
      const more = nearest.length - listed.length;
      children.push(
        element(doc, "div", { class: "muted", text: `and ${formatCount(more, "more run")}` }),
      );
    }
    this.tooltip.replaceChildren(...children);
    this.tooltip.hidden = false;

    // Keep the tooltip inside the frame, beside the pointer on the side with more room.
    const frameWidth = this.frame.clientWidth;
    const tipWidth = this.tooltip.offsetWidth;
    const tipHeight = this.tooltip.offsetHeight;
    const leftSide = x > frameWidth / 2;
    const tipX = leftSide ? Math.max(0, x - tipWidth - 16) : Math.min(x + 16, frameWidth - tipWidth);
    const below = y + 16 + tipHeight <= HEIGHT;
    const tipY = below ? y + 16 : Math.max(0, y - tipHeight - 16);
    this.tooltip.style.left = `${tipX}px`;
    this.tooltip.style.top = `${tipY}px`;
  }
}

// Tell whether a series has a region that the log x axis can show.
function hasRegion(entry) {
  return Boolean(entry.region) && entry.region[0] > 0 && entry.region[1] > 0;
}

/**
 * Return a string that is equal for two mappings only when all their numbers
 * are equal, so that equal keys give equal paths.
 *
 * @param {{x: {origin: number, low: number, factor: number}, y: {kind: string,
 *     affine: {origin: number, low: number, factor: number}}, visible: number[],
 *     clamp: number[]}} mapping
 * @returns {string}
 */
export function pathMappingKey(mapping) {
  const { x, y, visible, clamp } = mapping;
  return [
    x.origin,
    x.low,
    x.factor,
    y.kind,
    y.affine.origin,
    y.affine.low,
    y.affine.factor,
    visible[0],
    visible[1],
    clamp[0],
    clamp[1],
  ].join(" ");
}

function setAttributeIfChanged(node, name, value) {
  if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}
