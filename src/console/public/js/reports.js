import { getOptional, at } from './api.js';
import { h, s, $, clear, fmtTime } from './dom.js';

// The post-commissioning report (GET /api/reports/post-commissioning): totals, a table and an
// inline SVG chart per network operator or per supplier, reasons, and CSV downloads. Each count in
// the table opens the Devices tab on exactly those devices (the device search classifies as the
// report does).

let world = null;

const STATES = [
  { key: 'compliant', label: 'Compliant', colour: '#2e8b57' },
  { key: 'pending', label: 'Pending', colour: '#e0a800' },
  { key: 'nonCompliant', label: 'Non-compliant', colour: '#c0392b' },
];

const shorten = (t, n) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);
const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(1)}%` : '—');
const num = (n) => n.toLocaleString('en-GB');

function csvCell(v) {
  const t = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

// What each view is about, in the rule's words.
const PER = {
  networkOperator: {
    label: 'network operator', rows: (r) => r.byNetworkOperator, filter: 'networkOperator', csv: 'network_operator',
    about: 'Per network operator: the commissioned ESMEs and GPFs at the supply points registered to it, whose network operator cells should hold its certificates (a GPF may keep the ACB\'s) within the window.',
  },
  supplier: {
    label: 'supplier', rows: (r) => r.bySupplier, filter: 'supplier', csv: 'supplier',
    about: 'Per supplier: the commissioned ESMEs and GPFs at the supply points registered to it. The supplier places the registered network operator\'s certificates in their network operator cells within the window (IEDP 5.3): non-compliant devices are overdue, pending ones still due.',
  },
};

/** A count that opens the Devices tab on exactly those devices. */
function devicesLink(per, p, compliance, type, n, text) {
  if (!p.eui || n === 0) return text;
  const q = new URLSearchParams({ [per.filter]: p.eui, compliance, ...(type ? { type } : {}) });
  return h('a', { href: `#devices?${q}`, 'aria-label': `${text} ${compliance} devices of ${p.name ?? p.eui}: show them`, dataset: { compliance } }, text);
}

/** The per-party table as CSV, built in the page and saved as a file. */
function tableCsv(r, per) {
  const head = [`${per.csv}_eui`, per.csv, 'devices', 'compliant', 'pending', 'non_compliant', 'compliant_pct', 'pending_pct', 'non_compliant_pct', 'esme_devices', 'esme_non_compliant', 'gpf_devices', 'gpf_non_compliant'];
  const rows = per.rows(r).map((p) => [
    p.eui, p.name, p.devices, p.compliant, p.pending, p.nonCompliant, p.compliantPct, p.pendingPct, p.nonCompliantPct,
    p.byType?.ESME?.devices ?? 0, p.byType?.ESME?.nonCompliant ?? 0, p.byType?.GPF?.devices ?? 0, p.byType?.GPF?.nonCompliant ?? 0,
  ]);
  return [head, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A horizontal stacked bar per party: shares of its devices in each state. */
export function chart(rows, label = 'network operator') {
  const labelW = 380;
  const barW = 520;
  const rowH = 26;
  const top = 28;
  const height = top + rows.length * rowH + 26;
  const width = labelW + barW + 80;
  const title = `Post-commissioning state of ESMEs and GPFs per ${label}, as shares of its devices`;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc', class: 'report-chart' },
    s('title', { id: 'chart-title' }, title),
    s('desc', { id: 'chart-desc' }, rows.map((p) => `${p.name ?? p.eui}: ${p.compliantPct}% compliant, ${p.pendingPct}% pending, ${p.nonCompliantPct}% non-compliant of ${p.devices}`).join('; ')),
    // axis
    [0, 25, 50, 75, 100].map((t) => [
      s('line', { x1: labelW + (barW * t) / 100, x2: labelW + (barW * t) / 100, y1: top - 6, y2: height - 22, stroke: '#c9ced6', 'stroke-width': 1 }),
      s('text', { x: labelW + (barW * t) / 100, y: top - 10, 'text-anchor': t === 100 ? 'end' : t === 0 ? 'start' : 'middle', 'font-size': 11, fill: '#5a6270' }, `${t}%`),
    ]),
    rows.map((p, i) => {
      const y = top + i * rowH;
      let x = labelW;
      const segs = STATES.map((st) => {
        const n = p[st.key];
        const w = p.devices ? (barW * n) / p.devices : 0;
        const seg = s('g', {},
          s('rect', { x, y: y + 3, width: Math.max(0, w), height: rowH - 8, fill: st.colour }, s('title', {}, `${p.name ?? p.eui}: ${st.label} ${num(n)} (${pct(n, p.devices)})`)),
          w > 34 ? s('text', { x: x + w / 2, y: y + rowH / 2 + 4, 'text-anchor': 'middle', 'font-size': 11, fill: st.key === 'pending' ? '#1c1f24' : '#ffffff' }, pct(n, p.devices)) : null,
        );
        x += w;
        return seg;
      });
      return s('g', {},
        s('text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', 'font-size': 12, fill: '#1c1f24' }, shorten(p.name ?? p.eui ?? 'unregistered', 58)),
        segs,
        s('text', { x: labelW + barW + 8, y: y + rowH / 2 + 4, 'font-size': 11, fill: '#5a6270' }, num(p.devices)),
      );
    }),
    s('text', { x: labelW + barW + 8, y: top - 10, 'font-size': 11, fill: '#5a6270' }, 'devices'),
  );
  return h('figure', { class: 'chart' },
    svg,
    h('figcaption', {}, h('ul', { class: 'legend' }, STATES.map((st) => h('li', {}, h('span', { class: ['swatch', st.key === 'nonCompliant' ? 'non-compliant' : st.key], 'aria-hidden': 'true' }), st.label)))),
  );
}

function totalsLine(t) {
  return `${num(t.devices)} devices: ${num(t.compliant)} compliant (${t.compliantPct}%), ${num(t.pending)} pending (${t.pendingPct}%), ${num(t.nonCompliant)} non-compliant (${t.nonCompliantPct}%)`;
}

async function load({ per: view = 'networkOperator', ...query }) {
  const el = $('#report-body');
  clear(el, h('p', { class: 'muted' }, 'Counting…'));
  let r;
  try {
    r = await getOptional('/api/reports/post-commissioning', { ...query, limit: 0 }); // totals only: no page of devices
  } catch (e) {
    clear(el, h('p', { class: 'error', role: 'alert' }, `The report failed: ${e.message}`));
    return;
  }
  if (!r) {
    clear(el, h('p', { class: 'muted' }, 'This simulator serves no post-commissioning report.'));
    return;
  }
  const per = PER[view] ?? PER.networkOperator;
  const rows = [...per.rows(r)].sort((a, b) => b.devices - a.devices);
  const csvName = `post-commissioning-by-${per.csv.replace('_', '-')}-${r.at.slice(0, 10)}.csv`;
  const type = query.type ?? '';
  clear(el,
    h('p', {}, h('strong', {}, `As at ${fmtTime(r.at)}: `), totalsLine(r.totals)),
    h('p', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', onclick: () => download(csvName, tableCsv(r, per)) }, 'Download this table as CSV'),
      world?.features?.postCommissioningCsv ? h('a', { href: at(`/api/reports/post-commissioning.csv?${new URLSearchParams(query)}`), download: '' }, 'Download every device as CSV') : null,
    ),
    h('p', { class: 'muted' }, per.about),
    h('section', { class: 'panel', 'aria-labelledby': 'chart-h' }, h('h2', { id: 'chart-h' }, `Per ${per.label}`), chart(rows, per.label)),
    h('section', { class: 'panel', 'aria-labelledby': 'table-h' },
      h('h2', { id: 'table-h' }, 'Table'),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'report-table', dataset: { per: view } },
          h('caption', { class: 'visually-hidden' }, `Post-commissioning state per ${per.label}; each count opens its devices`),
          h('thead', {}, h('tr', {}, [per.label[0].toUpperCase() + per.label.slice(1), 'Devices', 'Compliant', 'Pending', 'Non-compliant', 'ESME non-compliant', 'GPF non-compliant'].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
          h('tbody', {}, rows.map((p) => h('tr', { dataset: { eui: p.eui ?? '' } },
            h('th', { scope: 'row' }, p.name ?? 'unregistered', h('div', { class: 'muted mono' }, p.eui ?? '')),
            h('td', { class: 'num' }, num(p.devices)),
            h('td', { class: 'num' }, devicesLink(per, p, 'compliant', type, p.compliant, num(p.compliant)), ` (${p.compliantPct}%)`),
            h('td', { class: 'num' }, devicesLink(per, p, 'pending', type, p.pending, num(p.pending)), ` (${p.pendingPct}%)`),
            h('td', { class: 'num' }, devicesLink(per, p, 'non-compliant', type, p.nonCompliant, num(p.nonCompliant)), ` (${p.nonCompliantPct}%)`),
            h('td', { class: 'num' }, p.byType?.ESME ? `${num(p.byType.ESME.nonCompliant)} of ${num(p.byType.ESME.devices)}` : '—'),
            h('td', { class: 'num' }, p.byType?.GPF ? `${num(p.byType.GPF.nonCompliant)} of ${num(p.byType.GPF.devices)}` : '—'),
          ))),
        ),
      ),
    ),
    r.byReason?.length
      ? h('section', { class: 'panel', 'aria-labelledby': 'reasons-h' },
          h('h2', { id: 'reasons-h' }, 'Why'),
          h('table', {},
            h('thead', {}, h('tr', {}, ['Reason', 'Non-compliant', 'Pending'].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
            h('tbody', {}, r.byReason.map((x) => h('tr', {}, h('td', {}, x.description), h('td', { class: 'num' }, num(x.nonCompliant)), h('td', { class: 'num' }, num(x.pending))))),
          ),
        )
      : null,
    r.rules?.length ? h('details', {}, h('summary', {}, 'The rules'), h('ul', {}, r.rules.map((t) => h('li', {}, t)))) : null,
  );
}

export async function initReports(w) {
  world = w;
  const el = $('#report');
  if (!w.features?.postCommissioningReport) {
    clear(el, h('p', { class: 'muted' }, 'This simulator serves no post-commissioning report yet.'));
    return;
  }
  const form = h('form', { class: 'report-controls', 'aria-label': 'Report scope' },
    h('div', { class: 'field' }, h('label', { for: 'r-per' }, 'Report per'),
      h('select', { id: 'r-per', name: 'per' }, h('option', { value: 'networkOperator' }, 'network operator'), h('option', { value: 'supplier' }, 'supplier'))),
    h('div', { class: 'field' }, h('label', { for: 'r-type' }, 'Device type'),
      h('select', { id: 'r-type', name: 'type' }, h('option', { value: '' }, 'ESME and GPF'), h('option', { value: 'ESME' }, 'ESME'), h('option', { value: 'GPF' }, 'GPF'))),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Refresh')),
  );
  const query = () => Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => v !== ''));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load(query());
  });
  form.addEventListener('change', () => load(query()));
  window.addEventListener('dcc-clock', () => load(query()));
  clear(el, form, h('div', { id: 'report-body', 'aria-live': 'polite' }));
  await load(query());
}
