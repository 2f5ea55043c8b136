import { get } from './api.js';
import { h, s, fmtTime } from './dom.js';

// A meter's page panel (GET /api/console/devices/{eui}/meter): what the emulated ESME, GSME or GPF holds now by
// the simulated clock (the values its section-4 reads return), with today's half-hour profile as an inline SVG.
// A GPF's registers, profile and credit are its mirror of the paired GSME's meter (mirrorOf), as its reads return them.

export const METERED = ['ESME', 'GSME', 'GPF'];

const num = (n) => n.toLocaleString('en-GB');
/** A register in the unit a person reads: kWh, kvarh, m³ (the meter counts Wh, varh, dm³). */
function reading(value, unit) {
  const big = { Wh: 'kWh', varh: 'kvarh', dm3: 'm³' }[unit] ?? unit;
  return `${(value / 1000).toLocaleString('en-GB', { minimumFractionDigits: 3, maximumFractionDigits: 3 })} ${big}`;
}
const unitText = (u) => (u === 'dm3' ? 'dm³' : u);
const hhmm = (iso) => iso.slice(11, 16);
const hex = (code) => code.toString(16).toUpperCase().padStart(4, '0');

/** Today's half hours as vertical bars, 00:00 to 24:00 UTC; the slots still to come are empty. */
function profileChart(p) {
  const width = 640;
  const height = 170;
  const left = 48;
  const bottom = 22;
  const top = 10;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const slotW = plotW / 48;
  const max = Math.max(1, ...p.slots.map((x) => x.value));
  const unit = unitText(p.unit);
  const total = p.slots.reduce((a, x) => a + x.value, 0);
  const peak = p.slots.reduce((b, x) => (!b || x.value > b.value ? x : b), null);
  const title = `Half-hour profile for ${p.day} (UTC), ${p.quantity === 'gasVolume' ? 'gas volume' : 'active import'} in ${unit}`;
  const desc = p.slots.length
    ? `${p.slots.length} complete half hours so far, ${num(total)} ${unit} in all; the highest ${num(peak.value)} ${unit} from ${hhmm(peak.start)}.`
    : 'No half hour of today is complete yet.';
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'meter-chart-title meter-chart-desc', class: 'meter-chart' },
    s('title', { id: 'meter-chart-title' }, title),
    s('desc', { id: 'meter-chart-desc' }, desc),
    [0, 0.5, 1].map((f) => [
      s('line', { x1: left, x2: left + plotW, y1: top + plotH * (1 - f), y2: top + plotH * (1 - f), stroke: '#c9ced6', 'stroke-width': 1 }),
      s('text', { x: left - 6, y: top + plotH * (1 - f) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5a6270' }, num(Math.round(max * f))),
    ]),
    [0, 6, 12, 18, 24].map((hr) =>
      s('text', { x: left + hr * 2 * slotW, y: height - 6, 'text-anchor': hr === 0 ? 'start' : hr === 24 ? 'end' : 'middle', 'font-size': 11, fill: '#5a6270' }, `${String(hr).padStart(2, '0')}:00`)),
    p.slots.map((x) => {
      const i = (Date.parse(x.start) - Date.parse(`${p.day}T00:00:00Z`)) / 1_800_000;
      const bh = (plotH * x.value) / max;
      return s('rect', { x: left + i * slotW + 1, y: top + plotH - bh, width: Math.max(1, slotW - 2), height: bh, fill: '#2f6fb0' },
        s('title', {}, `${hhmm(x.start)}: ${num(x.value)} ${unit}`));
    }),
  );
  return h('figure', { class: 'chart meter-profile' }, svg, h('figcaption', { class: 'muted' }, desc));
}

function table(id, caption, head, rows) {
  return h('table', { id },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows),
  );
}

export async function meterPanel(eui) {
  const panel = h('section', { class: 'panel meter', id: 'device-meter', 'aria-labelledby': 'meter-heading' });
  let m;
  try {
    m = await get(`/api/console/devices/${encodeURIComponent(eui)}/meter`);
  } catch (e) {
    panel.append(h('h3', { id: 'meter-heading' }, 'Meter'), h('p', { class: 'error', role: 'alert' }, `The meter could not be read: ${e.message}`));
    return panel;
  }
  const facts = [
    ['Simulated time', fmtTime(m.now)],
    m.type === 'GPF' ? ['Mirror of', m.mirrorOf ? `GSME ${m.mirrorOf}` : 'no GSME (none in its comms hub\'s HAN)'] : null,
    m.supply ? ['Supply', `${m.supply.state}${m.supply.since ? ` since ${fmtTime(m.supply.since)}` : ''}`] : null,
    m.prepayment ? ['Payment mode', m.prepayment.paymentMode] : null,
    ['Displayed message', m.message ? `“${m.message.text}” (since ${fmtTime(m.message.since)})` : 'none'],
    ['Supplier name', m.supplier ? `${m.supplier.name}${m.supplier.telephone ? `, ${m.supplier.telephone}` : ''}` : 'not set'],
    ['Firmware version', m.firmwareVersion],
  ].filter(Boolean);
  const t = m.tariff;
  panel.append(
    h('h3', { id: 'meter-heading' }, 'Meter'),
    h('p', { class: 'muted' }, m.type === 'GPF'
      ? (m.mirrorOf
        ? `What the emulated GPF holds now, by the simulated clock: its mirror of GSME ${m.mirrorOf}'s meter, the values its reads return.`
        : 'What the emulated GPF holds now, by the simulated clock: no GSME is paired with it, so its reads return a gas meter of its own.')
      : `What the emulated ${m.type} holds now, by the simulated clock: the values its reads return.`),
    h('dl', { class: 'device-meta', id: 'meter-facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    table('meter-registers', 'Registers', ['Register', 'Reading', `Count`],
      m.registers.map((r) => h('tr', { dataset: { quantity: r.quantity } },
        h('th', { scope: 'row' }, r.label), h('td', { class: 'num' }, reading(r.value, r.unit)), h('td', { class: 'num mono' }, `${num(r.value)} ${unitText(r.unit)}`)))),
    h('h4', {}, `Today's half-hour profile (${m.profile.day}, UTC)`),
    profileChart(m.profile),
    m.prepayment
      ? table('meter-credit', "Credit and debt (the device's currency units)", ['Item', 'Amount'],
        [['Meter balance', m.prepayment.balance], ['Emergency credit', m.prepayment.emergencyCredit], ['Accumulated debt', m.prepayment.accumulatedDebt],
          ['Payment-based debt', m.prepayment.paymentDebt], ['Time-based debt 1', m.prepayment.timeDebt1], ['Time-based debt 2', m.prepayment.timeDebt2]]
          .map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, num(v)))))
      : null,
    h('h4', {}, 'Active tariff'),
    t
      ? h('dl', { class: 'device-meta', id: 'meter-tariff' },
        h('dt', {}, 'Activated'), h('dd', {}, fmtTime(t.activatedAt)),
        h('dt', {}, 'In force now'), h('dd', {}, t.inForce ?? '—'),
        h('dt', {}, 'Standing charge'), h('dd', {}, t.standingCharge ? `${t.standingCharge.value} × 10^${t.standingCharge.scale} ${t.currency ?? ''} per day` : '—'),
        h('dt', {}, 'TOU prices'), h('dd', {}, t.touPrices.length ? `${t.touPrices.join(', ')}${t.priceScale !== null ? ` × 10^${t.priceScale}` : ''} ${t.currency ?? ''} per kWh` : '—'),
        h('dt', {}, 'Day profiles'), h('dd', {}, String(t.dayProfiles)))
      : h('p', { class: 'muted', id: 'meter-tariff' }, 'No tariff activated: the meter counts everything in TOU register 1.'),
    m.events.length
      ? table('meter-events', `Last ${m.events.length} log entries, newest first`, ['Time', 'Log', 'Code'],
        m.events.map((e) => h('tr', {}, h('td', {}, fmtTime(e.at)), h('td', {}, e.log), h('td', { class: 'mono' }, hex(e.code)))))
      : h('p', { class: 'muted', id: 'meter-events' }, 'The event logs are empty.'),
  );
  return panel;
}
