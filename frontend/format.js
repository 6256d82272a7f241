//# allFunctionsCalledOnLoad
// Number formatting and parsing of the JSON values the backend sends.
//
// TensorBoard's `http_util.Respond` writes NaN and the infinities as the strings
// "NaN", "Infinity" and "-Infinity", so every number read from a response goes
// through `toNumber` or `toFloat64Array`.

const SPECIAL_VALUES = new Map([
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
]);

/**
 * Convert one JSON value of a response to a number.
 *
 * @param {unknown} value a number, one of the strings "NaN", "Infinity",
 *     "-Infinity", or null.
 * @returns {number|null} the number, or null for null, undefined and any other value.
 * @example toNumber("Infinity") // Infinity
 */
export function toNumber(value) {
  if (typeof value === "number") {
    return value;
  }
  if (typeof value === "string" && SPECIAL_VALUES.has(value)) {
    return SPECIAL_VALUES.get(value);
  }
  return null;
}

/**
 * Convert a JSON list of numbers to a Float64Array; null and unknown values become NaN.
 *
 * @param {unknown} values the list from a response (anything else gives an empty array).
 * @returns {Float64Array}
 * @example toFloat64Array([1, "NaN", null]) // Float64Array [1, NaN, NaN]
 */
export function toFloat64Array(values) {
  if (!Array.isArray(values)) {
    return new Float64Array(0);
  }
  const result = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const number = toNumber(values[i]);
    result[i] = number === null ? Number.NaN : number;
  }
  return result;
}

const BASE64_DTYPES = { float32: Float32Array, float64: Float64Array };

/**
 * Turn a series of the curves route into a Float64Array.
 *
 * A series is either a list of numbers (with "NaN" and "Infinity" strings) or,
 * with `encoding=base64`, `{dtype: "float32"|"float64", base64: string}`: the
 * little-endian bytes of the values. Typed arrays use the platform's byte
 * order, which is little-endian on every platform browsers run on.
 * Anything else gives an empty array.
 *
 * @param {any} value
 * @returns {Float64Array}
 * @example decodeSeries({dtype: "float32", base64: "AAAAPwAAAEA="}) // Float64Array [0.5, 2]
 */
export function decodeSeries(value) {
  if (Array.isArray(value)) {
    return toFloat64Array(value);
  }
  const Type = value && BASE64_DTYPES[value.dtype];
  if (!Type || typeof value.base64 !== "string") {
    return new Float64Array(0);
  }
  let bytes;
  try {
    bytes = base64Bytes(value.base64);
  } catch {
    return new Float64Array(0);
  }
  if (bytes.length % Type.BYTES_PER_ELEMENT !== 0) {
    return new Float64Array(0);
  }
  const count = bytes.length / Type.BYTES_PER_ELEMENT;
  return Float64Array.from(new Type(bytes.buffer, bytes.byteOffset, count));
}

// Decode base64 natively where the browser has Uint8Array.fromBase64, because
// the fallback's byte loop is otherwise compiled during the first draw.
function base64Bytes(text) {
  if (typeof Uint8Array.fromBase64 === "function") {
    return Uint8Array.fromBase64(text);
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

// Strip trailing zeros of a mantissa: "3.200" -> "3.2", "3.000" -> "3".
function trimZeros(text) {
  if (!text.includes(".")) {
    return text;
  }
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

/**
 * Format a number in the short form used on axes and in the table.
 *
 * Magnitudes in [1e-2, 1e4) are written as decimals with `digits` significant
 * digits. Smaller and larger ones use exponent form without "+" and without
 * trailing zeros, so learning rates read as they are written in code.
 *
 * @param {number|null|undefined} value
 * @param {number} [digits=3] significant digits, 1 to 17.
 * @returns {string} "–" for null or undefined, "NaN", "Infinity" or "-Infinity"
 *     for those values, otherwise the short form. The result parses as a
 *     Python or JavaScript float.
 * @example formatNumber(0.0031623) // "3.16e-3"
 * @example formatNumber(2.302585, 4) // "2.303"
 */
export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined) {
    return "–";
  }
  if (Number.isNaN(value)) {
    return "NaN";
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? "Infinity" : "-Infinity";
  }
  if (value === 0) {
    return "0";
  }
  // Rounding first decides the form: 9999.6 with 2 digits is 1e4.
  const rounded = Number(value.toPrecision(digits));
  const magnitude = Math.abs(rounded);
  if (magnitude >= 1e-2 && magnitude < 1e4) {
    // String() writes numbers in this range without an exponent and without trailing zeros.
    return String(rounded);
  }
  return formatExponent(value, digits);
}

function formatExponent(value, digits) {
  const [mantissa, exponent] = value.toExponential(Math.max(0, digits - 1)).split("e");
  return `${trimZeros(mantissa)}e${Number(exponent)}`;
}

/**
 * Format a learning rate (3 significant digits).
 *
 * @param {number|null|undefined} value
 * @returns {string}
 * @example formatLearningRate(3.2e-3) // "3.2e-3"
 */
export function formatLearningRate(value) {
  return formatNumber(value, 3);
}

/**
 * Format a loss (4 significant digits).
 *
 * @param {number|null|undefined} value
 * @returns {string}
 * @example formatLoss(0.123456) // "0.1235"
 */
export function formatLoss(value) {
  return formatNumber(value, 4);
}

/**
 * Format a count with its noun in singular or plural.
 *
 * @param {number} count
 * @param {string} singular
 * @param {string} [plural] defaults to `singular + "s"`.
 * @returns {string}
 * @example formatCount(1, "point") // "1 point"
 */
export function formatCount(count, singular, plural = `${singular}s`) {
  return `${count.toLocaleString("en-US")} ${count === 1 ? singular : plural}`;
}
