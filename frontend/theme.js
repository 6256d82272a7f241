// Light or dark theme: TensorBoard's dark mode when the host is TensorBoard,
// otherwise the browser's prefers-color-scheme.
//
// TensorBoard 2.21 toggles the class "dark-mode" on its page's body (its own
// toggle, which defaults to prefers-color-scheme). The plugin's frame is
// same-origin, so the class can be read and observed; any access error (a
// foreign parent) falls back to the media query.

/**
 * Return the host TensorBoard page's body, or null if the parent is not a readable TensorBoard.
 *
 * @param {Window} win
 * @returns {HTMLElement|null}
 */
export function hostBody(win) {
  try {
    const parent = win.parent;
    if (!parent || parent === win) {
      return null;
    }
    const doc = parent.document;
    // tb-webapp is the root element of TensorBoard's Angular app.
    if (!doc || !doc.body || !doc.querySelector("tb-webapp")) {
      return null;
    }
    return doc.body;
  } catch {
    return null;
  }
}

/**
 * Tell whether the dark theme applies.
 *
 * @param {Window} win
 * @returns {boolean}
 */
export function isDark(win) {
  const body = hostBody(win);
  if (body) {
    return body.classList.contains("dark-mode");
  }
  try {
    return Boolean(win.matchMedia && win.matchMedia("(prefers-color-scheme: dark)").matches);
  } catch {
    return false;
  }
}

/**
 * Apply the theme to the document (attribute `data-theme` on the root) and follow its changes.
 *
 * @param {Window} win
 * @param {function(boolean): void} [onChange] called after each change with `dark`.
 * @returns {function(): void} stops following.
 */
export function followTheme(win, onChange = () => {}) {
  const root = win.document.documentElement;
  const apply = () => {
    const dark = isDark(win);
    if (root.getAttribute("data-theme") !== (dark ? "dark" : "light")) {
      root.setAttribute("data-theme", dark ? "dark" : "light");
      onChange(dark);
    }
  };
  apply();

  const stops = [];
  const body = hostBody(win);
  const Observer = body && body.ownerDocument.defaultView.MutationObserver;
  if (Observer) {
    const observer = new Observer(apply);
    observer.observe(body, { attributes: true, attributeFilter: ["class"] });
    stops.push(() => observer.disconnect());
  }
  try {
    const query = win.matchMedia && win.matchMedia("(prefers-color-scheme: dark)");
    if (query && query.addEventListener) {
      query.addEventListener("change", apply);
      stops.push(() => query.removeEventListener("change", apply));
    }
  } catch {
    // No media queries: the theme stays as applied.
  }
  return () => stops.forEach((stop) => stop());
}
