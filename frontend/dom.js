//# allFunctionsCalledOnLoad
// Small DOM builders. Text always goes through textContent, never innerHTML:
// run names are directory names and may contain markup.

export const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Create an HTML element.
 *
 * @param {Document} doc
 * @param {string} tag
 * @param {Object<string, string|number|boolean|null|undefined>} [attributes] set with
 *     setAttribute; `class` and `text` (textContent) are accepted too; false,
 *     null and undefined values are skipped.
 * @param {(Node|string|null|undefined)[]} [children] strings become text nodes.
 * @returns {HTMLElement}
 * @example element(document, "span", {class: "name", text: "<b>run</b>"})
 */
export function element(doc, tag, attributes = {}, children = []) {
  const node = doc.createElement(tag);
  applyAttributes(node, attributes);
  appendChildren(doc, node, children);
  return node;
}

/**
 * Create an SVG element.
 *
 * @param {Document} doc
 * @param {string} tag
 * @param {Object<string, string|number|boolean|null|undefined>} [attributes] as for `element`.
 * @param {(Node|string|null|undefined)[]} [children]
 * @returns {SVGElement}
 */
export function svgElement(doc, tag, attributes = {}, children = []) {
  const node = doc.createElementNS(SVG_NS, tag);
  applyAttributes(node, attributes);
  appendChildren(doc, node, children);
  return node;
}

function applyAttributes(node, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) {
      continue;
    }
    if (name === "text") {
      node.textContent = String(value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

function appendChildren(doc, node, children) {
  for (const child of children) {
    if (child === null || child === undefined) {
      continue;
    }
    node.appendChild(typeof child === "string" ? doc.createTextNode(child) : child);
  }
}

/**
 * Remove every child of a node.
 *
 * @param {Node} node
 */
export function clear(node) {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}

/**
 * Replace the children of a node, unless they already are `nodes` in this order.
 *
 * Re-inserting the same nodes would make the browser lay them out and, for
 * SVG paths, build their geometry again.
 *
 * @param {Node} parent
 * @param {Node[]} nodes
 * @returns {boolean} whether the children were replaced.
 */
export function replaceChildrenIfChanged(parent, nodes) {
  const current = parent.childNodes;
  let same = current.length === nodes.length;
  for (let i = 0; same && i < nodes.length; i++) {
    same = current[i] === nodes[i];
  }
  if (!same) {
    parent.replaceChildren(...nodes);
  }
  return !same;
}

/**
 * Copy text to the clipboard, falling back to a hidden textarea where the
 * Clipboard API is missing or not allowed (some frames deny it).
 *
 * @param {Document} doc
 * @param {string} text
 * @returns {Promise<boolean>} whether the text was copied.
 */
export async function copyText(doc, text) {
  const clipboard = doc.defaultView?.navigator?.clipboard;
  if (clipboard && typeof clipboard.writeText === "function") {
    try {
      await clipboard.writeText(text);
      return true;
    } catch {
      // Fall through to the textarea below.
    }
  }
  const area = element(doc, "textarea", { readonly: true, style: "position:fixed;opacity:0" });
  area.value = text;
  doc.body.appendChild(area);
  area.select();
  let copied = false;
  try {
    copied = doc.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}
