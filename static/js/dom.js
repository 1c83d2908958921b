// DOM construction that never parses markup: every string becomes a text node or an attribute
// value, so user data cannot turn into HTML. Nothing in the SPA assigns innerHTML.

/**
 * Creates an element. `attrs`: `class`, `text` (textContent), `dataset` (object), `on<event>`
 * (listener), `hidden`/`disabled` style booleans; anything else is set with setAttribute.
 * Children: nodes, strings (as text) or arrays of them; null/false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * A URL safe to put in src/href: only http(s) URLs and same-origin paths, resolved against the
 * page. Anything else (javascript:, data:, garbage) gives null.
 */
export function safeURL(url) {
  if (typeof url !== 'string' || url === '') return null;
  try {
    const resolved = new URL(url, location.origin);
    return resolved.protocol === 'http:' || resolved.protocol === 'https:' ? resolved.href : null;
  } catch {
    return null;
  }
}

/** An avatar: the image when there is a usable URL, else the initials of `name`. */
export function avatar(url, name, size = 'md') {
  const initials = h('span', { class: `avatar avatar-${size}`, 'aria-hidden': 'true', text: initialsOf(name) });
  const src = safeURL(url);
  if (!src) return initials;
  const image = h('img', { class: `avatar avatar-${size}`, src, alt: '', loading: 'lazy', decoding: 'async' });
  image.addEventListener('error', () => image.replaceWith(initials), { once: true });
  return image;
}

function initialsOf(name) {
  const words = String(name ?? '').split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => Array.from(word)[0]);
  return (letters.join('') || '?').toUpperCase();
}

let toastTimer = 0;

/** A short status message at the bottom of the screen (announced to screen readers). */
export function toast(message, kind = 'info') {
  const node = document.getElementById('toast');
  if (!node) return;
  node.textContent = message;
  node.dataset.kind = kind;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 4000);
}
