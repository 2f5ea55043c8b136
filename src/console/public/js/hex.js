import { h } from './dom.js';

// A GBCS message as hex with its field annotations: choosing a field highlights its bytes, and
// choosing a byte finds the innermost field that holds it.

export function hexView(g) {
  const bytes = g.hex.match(/../g) ?? [];
  const spans = bytes.map((b, i) => h('span', { class: 'b', dataset: { i } }, b));
  const lines = [];
  for (let row = 0; row < bytes.length; row += 16) {
    lines.push(h('span', { class: 'off' }, row.toString(16).toUpperCase().padStart(4, '0')), '  ');
    for (let i = row; i < Math.min(row + 16, bytes.length); i++) lines.push(spans[i], i % 16 === 7 ? '  ' : ' ');
    lines.push('\n');
  }
  // nesting depth from containment (annotations come parents first)
  const stack = [];
  const anns = g.annotations.map((a) => {
    while (stack.length && stack[stack.length - 1].offset + stack[stack.length - 1].length <= a.offset) stack.pop();
    const depth = stack.length;
    stack.push(a);
    return { ...a, depth };
  });
  const rows = anns.map((a) =>
    h('tr', { dataset: { offset: a.offset, length: a.length } },
      h('td', { class: 'num mono' }, a.offset),
      h('td', { class: 'num mono' }, a.length),
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => highlight(a, rowOf(a)), 'aria-label': `${a.label}: bytes ${a.offset} to ${a.offset + a.length - 1}` },
        '\u00a0'.repeat(a.depth * 2) + a.label)),
      h('td', { class: 'mono' }, a.value ?? ''),
    ),
  );
  const rowOf = (a) => rows[anns.indexOf(a)];
  let current = null;
  const highlight = (a, row) => {
    spans.forEach((s) => s.classList.remove('hl'));
    rows.forEach((r) => r.classList.remove('hl'));
    for (let i = a.offset; i < a.offset + a.length && i < spans.length; i++) spans[i].classList.add('hl');
    row?.classList.add('hl');
    current = a;
  };
  const hex = h('div', { class: 'hex', 'aria-label': `${g.length} bytes in hex` }, lines);
  hex.addEventListener('click', (e) => {
    const i = Number(e.target?.dataset?.i);
    if (!Number.isInteger(i)) return;
    let best = null;
    for (const a of anns) if (a.offset <= i && i < a.offset + a.length && (!best || a.depth >= best.depth)) best = a;
    if (best) {
      highlight(best, rowOf(best));
      rowOf(best).scrollIntoView({ block: 'nearest' });
    }
  });
  void current;
  return h('section', { class: 'gbcs', 'aria-label': `GBCS ${g.source}` },
    h('h4', {}, `${g.source} — ${g.length} bytes`),
    h('p', { class: 'muted' }, g.summary),
    h('div', { class: 'gbcs-grid' },
      hex,
      h('div', { class: 'ann' },
        h('table', {},
          h('caption', { class: 'visually-hidden' }, 'Field annotations'),
          h('thead', {}, h('tr', {}, h('th', { class: 'num', scope: 'col' }, 'Offset'), h('th', { class: 'num', scope: 'col' }, 'Len'), h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Value'))),
          h('tbody', {}, rows),
        ),
      ),
    ),
  );
}
