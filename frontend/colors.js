//# allFunctionsCalledOnLoad
// Run colours: a fixed palette, assigned by each run's position in the sorted run list.
//
// TensorBoard offers plugins no access to its own run colours, and its two
// loaders list runs in different orders, so the plugin sorts run names itself
// and gives the i-th run the i-th palette colour. A run keeps its colour across
// reloads, filters and selections, as long as no run is added before it.

// Tableau 10: distinct hues that stay readable on light and dark backgrounds.
export const PALETTE = Object.freeze([
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
]);

/**
 * Compare two strings by Unicode code points, as Python's `sorted` does.
 *
 * JavaScript's `<` compares UTF-16 code units, which orders characters outside
 * the Basic Multilingual Plane differently from the backend's sort.
 *
 * @param {string} a
 * @param {string} b
 * @returns {number} negative, zero or positive.
 * @example compareCodePoints("b", "a") // 1
 */
export function compareCodePoints(a, b) {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) {
      return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    }
    const difference = x.value.codePointAt(0) - y.value.codePointAt(0);
    if (difference !== 0) {
      return difference;
    }
  }
}

/**
 * Return run names sorted by code points, without duplicates.
 *
 * @param {Iterable<string>} names
 * @returns {string[]}
 * @example sortRunNames(["b", "a", "b"]) // ["a", "b"]
 */
export function sortRunNames(names) {
  return [...new Set(names)].sort(compareCodePoints);
}

/**
 * Assign each run a palette colour by its position in the sorted run list.
 *
 * @param {Iterable<string>} names every run that holds data, in any order.
 * @param {readonly string[]} [palette=PALETTE]
 * @returns {Map<string, string>} run name -> CSS colour.
 * @example assignColors(["b", "a"]).get("a") // "#4e79a7"
 */
export function assignColors(names, palette = PALETTE) {
  const colors = new Map();
  sortRunNames(names).forEach((name, index) => {
    colors.set(name, palette[index % palette.length]);
  });
  return colors;
}
