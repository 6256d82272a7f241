// Entry module of the LR Finder dashboard.
//
// TensorBoard's plugin_entry.html imports this module (served at
// /data/plugin/lr_finder/index.js) and calls render(). The other modules and
// style.css are loaded relative to this file, from the same origin.
//
// The modules whose functions draw the first chart start with the magic
// comment `//# allFunctionsCalledOnLoad`. Chrome 136 and later then compile
// all their functions when the modules load, before the page requests any
// data, instead of one by one at their first call during the first draw.
// Other browsers ignore the comment.

import { App } from "./app.js";

/**
 * Build the dashboard in the current document and load its data.
 *
 * Timings of the first render (performance.now() values, in milliseconds) are
 * published in `window.__lrFinderTimings` for the benchmark.
 *
 * @returns {Promise<App>} resolves after the first data load (or its error state).
 */
export async function render() {
  const timings = { renderStart: performance.now() };
  window.__lrFinderTimings = timings;

  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("style.css", import.meta.url).toString();
  const styled = new Promise((resolve) => {
    link.addEventListener("load", resolve);
    link.addEventListener("error", resolve);
  });
  document.head.appendChild(link);
  // Without the stylesheet the layout is wrong for one frame and the chart
  // measures the wrong width; wait for it (it comes from the same server).
  await styled;

  const app = new App(window, timings);
  await app.start();
  return app;
}
