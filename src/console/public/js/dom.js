// Small DOM helpers: build elements without innerHTML (no markup injection from data).

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

export function fmtTime(iso) {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/:00Z$/, 'Z');
}

export function fmtDate(iso) {
  return iso ? iso.slice(0, 10) : '—';
}

export function party(ref) {
  if (!ref) return '—';
  return ref.name ? `${ref.name}` : ref.eui;
}

/** A labelled state: colour from the class, meaning from the words (never colour alone). */
export function state(kind, text, title) {
  const symbol = { expected: '✓', compliant: '✓', ok: '✓', interim: '◐', pending: '◐', unexpected: '✗', 'non-compliant': '✗', bad: '✗', empty: '○', 'not-applicable': '–' }[kind] ?? '';
  return h('span', { class: ['state', kind], title }, `${symbol} ${text}`.trim());
}

export const COMPLIANCE_TEXT = {
  compliant: 'Compliant',
  pending: 'Pending',
  'non-compliant': 'Non-compliant',
  'not-applicable': 'n/a',
};

export const MATCH_TEXT = {
  expected: 'Expected',
  interim: 'Interim',
  unexpected: 'Unexpected',
  empty: 'Empty',
};

export function announce(text) {
  const a = document.getElementById('announcer');
  if (!a) return;
  a.textContent = '';
  setTimeout(() => (a.textContent = text), 30);
}
