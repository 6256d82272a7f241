// User settings: defaults, the deep-link keys of the URL hash, and localStorage.
//
// Deep links. TensorBoard passes the plugin the keys of its URL hash that start
// with "p.lr_finder." (through experimental.GetURLPluginData, prefix removed).
// The plugin reads:
//   p.lr_finder.runs       the selected runs: a JSON array of run names
//                          (["adam/lr_finder","sgd/lr_finder"], URL-encoded),
//                          or names separated by commas when no name contains one
//   p.lr_finder.smoothing  a number in [0, 0.999]
//   p.lr_finder.method     a suggestion method offered by the runs route
//   p.lr_finder.filter     the regular expression of the run filter
//   p.lr_finder.yscale     "log" or "linear"
// for example #lr_finder&p.lr_finder.runs=%5B%22adam%2Flr_finder%22%5D&p.lr_finder.yscale=log.
// A deep link wins over the stored settings.
//
// NOTE: TensorBoard 2.21 parses its URL hash for GetURLPluginData only on a
// hashchange event, so after a full page load it returns {} until the hash
// changes. The page then parses the parent's hash itself (parseHashPluginData).

export const STORAGE_KEY = "lrFinder.settings.v1";
export const MAX_SMOOTHING = 0.999;

/**
 * Parse the run list of a deep link.
 *
 * @param {unknown} value the value of `p.lr_finder.runs`.
 * @returns {string[]|null} the run names, or null when the value is missing or
 *     not a list of strings.
 * @example parseRunList('["a,b","c"]') // ["a,b", "c"]
 * @example parseRunList("a,b") // ["a", "b"]
 */
export function parseRunList(value) {
  if (typeof value !== "string" || value.trim() === "") {
    return null;
  }
  const text = value.trim();
  if (text.startsWith("[")) {
    try {
      const parsed = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((name) => typeof name === "string")) {
        return parsed;
      }
    } catch {
      // Not JSON after all: a run name may start with "[".
    }
  }
  return text.split(",").filter((name) => name !== "");
}

/**
 * Clamp a smoothing factor to [0, 0.999], or return null if it is not a number.
 *
 * @param {unknown} value a number or a numeric string.
 * @returns {number|null}
 * @example parseSmoothing("0.9") // 0.9
 */
export function parseSmoothing(value) {
  if (value === null || value === undefined || value === "") {
    return null;
  }
  const number = Number(value);
  if (!Number.isFinite(number)) {
    return null;
  }
  return Math.min(MAX_SMOOTHING, Math.max(0, number));
}

/**
 * Read the `p.<pluginName>.*` keys of a TensorBoard URL hash, as GetURLPluginData does.
 *
 * TensorBoard splits the hash (without "#") on "&", each part on "=", and
 * URL-decodes both sides. A part with no "=" is the tab name, and a part with
 * more than one "=" is ignored.
 *
 * @param {string} hash e.g. location.hash of the TensorBoard page.
 * @param {string} pluginName
 * @returns {Object<string, string>} the keys without their prefix.
 * @example parseHashPluginData("#lr_finder&p.lr_finder.yscale=log", "lr_finder") // {yscale: "log"}
 */
export function parseHashPluginData(hash, pluginName) {
  const prefix = `p.${pluginName}.`;
  const data = {};
  const text = typeof hash === "string" ? hash.replace(/^#/, "") : "";
  for (const part of text.split("&")) {
    const pieces = part.split("=");
    if (pieces.length !== 2) {
      continue;
    }
    let key;
    let value;
    try {
      key = decodeURIComponent(pieces[0]);
      value = decodeURIComponent(pieces[1]);
    } catch {
      continue;
    }
    if (key.startsWith(prefix)) {
      data[key.slice(prefix.length)] = value;
    }
  }
  return data;
}

/**
 * Read the settings of a deep link from TensorBoard's URL plugin data.
 *
 * @param {unknown} data the payload of experimental.GetURLPluginData (an object
 *     of strings), or null.
 * @returns {{runs?: string[], smoothing?: number, method?: string, filter?: string,
 *     yScale?: string}} only the keys present and valid.
 * @example parseUrlData({yscale: "log", smoothing: "2"}) // {smoothing: 0.999, yScale: "log"}
 */
export function parseUrlData(data) {
  const settings = {};
  if (!data || typeof data !== "object") {
    return settings;
  }
  const runs = parseRunList(data.runs);
  if (runs !== null) {
    settings.runs = runs;
  }
  const smoothing = parseSmoothing(data.smoothing);
  if (smoothing !== null) {
    settings.smoothing = smoothing;
  }
  if (typeof data.method === "string" && data.method !== "") {
    settings.method = data.method;
  }
  if (typeof data.filter === "string") {
    settings.filter = data.filter;
  }
  if (data.yscale === "log" || data.yscale === "linear") {
    settings.yScale = data.yscale;
  }
  return settings;
}

/**
 * Read the stored settings; any failure (no storage, blocked storage, bad JSON) gives {}.
 *
 * @param {Storage|null|undefined} storage usually `window.localStorage`.
 * @returns {{deselected?: string[], smoothing?: number, method?: string, filter?: string,
 *     yScale?: string}}
 */
export function loadSettings(storage) {
  try {
    const text = storage ? storage.getItem(STORAGE_KEY) : null;
    const parsed = text ? JSON.parse(text) : null;
    if (!parsed || typeof parsed !== "object") {
      return {};
    }
    const settings = {};
    if (Array.isArray(parsed.deselected)) {
      settings.deselected = parsed.deselected.filter((name) => typeof name === "string");
    }
    const smoothing = parseSmoothing(parsed.smoothing);
    if (smoothing !== null) {
      settings.smoothing = smoothing;
    }
    if (typeof parsed.method === "string") {
      settings.method = parsed.method;
    }
    if (typeof parsed.filter === "string") {
      settings.filter = parsed.filter;
    }
    if (parsed.yScale === "log" || parsed.yScale === "linear") {
      settings.yScale = parsed.yScale;
    }
    return settings;
  } catch {
    return {};
  }
}

/**
 * Store the settings; storage that is missing or full is ignored.
 *
 * The deselected runs are stored rather than the selected ones, so a run that
 * appears later starts selected.
 *
 * @param {Storage|null|undefined} storage
 * @param {{deselected: string[], smoothing: number, method: string, filter: string,
 *     yScale: string}} settings
 * @returns {boolean} whether the settings were stored.
 */
export function saveSettings(storage, settings) {
  try {
    if (!storage) {
      return false;
    }
    storage.setItem(STORAGE_KEY, JSON.stringify(settings));
    return true;
  } catch {
    return false;
  }
}

/**
 * Return window.localStorage, or null where reading it throws (blocked storage in some frames).
 *
 * @param {Window} win
 * @returns {Storage|null}
 */
export function safeLocalStorage(win) {
  try {
    return win.localStorage || null;
  } catch {
    return null;
  }
}
