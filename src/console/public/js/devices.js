import { faultsPanel } from './faults.js';
import { meterPanel, METERED } from './meter.js';
import { get } from './api.js';
import { h, $, clear, state, COMPLIANCE_TEXT, party, fmtDate, announce } from './dom.js';
import { deviceHeader, renderSlots } from './slots.js';
import { onEvent, setTimelineDevice } from './timeline.js';
import { recoveryPanel } from './recovery.js';

// Devices: a search over the inventory (keyset pages, server-side filters on indexes) and the
// chosen device's cells, refreshed as requests change them.

let seq = 0;
let page = {};
let lastPage = null;
let shownEui = null;
let allParties = [];

function filters() {
  const f = new FormData($('#search'));
  return Object.fromEntries([...f.entries()].filter(([, v]) => v !== ''));
}

async function search(cursor = {}) {
  const mine = ++seq;
  page = cursor;
  const status = $('#results-status');
  status.textContent = 'Searching…';
  let r;
  try {
    r = await get('/api/console/devices', { ...filters(), ...cursor, limit: 25 });
  } catch (e) {
    if (mine === seq) status.textContent = `Search failed: ${e.message}`;
    return;
  }
  if (mine !== seq) return; // a later keystroke has already asked again
  lastPage = r;
  const tbody = $('#results tbody');
  clear(tbody, r.devices.map((d) =>
    h('tr', { class: d.eui === shownEui ? 'selected' : null, dataset: { eui: d.eui } },
      h('td', {}, h('a', { href: `#devices/${d.eui}`, class: 'mono', 'aria-label': `Show ${d.type} ${d.eui}` }, d.eui)),
      h('td', {}, d.type),
      h('td', {}, d.status, d.commissionedAt ? h('div', { class: 'muted' }, fmtDate(d.commissionedAt)) : null),
      h('td', { class: 'mono' }, d.mpxn ?? '—'),
      h('td', {}, party(d.supplier)),
      h('td', {}, party(d.networkOperator)),
      h('td', {}, state(d.compliance, COMPLIANCE_TEXT[d.compliance], d.complianceReasonText ?? undefined),
        d.complianceReasonText ? h('div', { class: 'muted' }, d.complianceReasonText) : null),
    ),
  ));
  const n = r.total.toLocaleString('en-GB') + (r.totalCapped ? '+' : '');
  status.textContent = r.devices.length ? `${n} device${r.total === 1 ? '' : 's'} match; showing ${r.devices[0].eui} to ${r.devices.at(-1).eui}.` : 'No device matches.';
  $('#page-prev').disabled = !r.hasPrevious;
  $('#page-next').disabled = !r.hasMore;
}

export async function initDevices(world, parties) {
  allParties = parties;
  const opt = (value, text) => h('option', { value }, text);
  const byName = (a, b) => a.name.localeCompare(b.name);
  $('#f-supplier').append(...parties.filter((p) => p.userRoles.some((r) => r === 'IS' || r === 'GS' || r === 'ES')).sort(byName).map((p) => opt(p.eui, p.name)));
  $('#f-no').append(...parties.filter((p) => p.userRoles.some((r) => r === 'ED' || r === 'GT')).sort(byName).map((p) => opt(p.eui, p.name)));
  $('#f-type').append(...world.deviceTypes.map((t) => opt(t, t)));
  $('#f-status').append(...world.statuses.map((t) => opt(t, t)));
  $('#f-compliance').append(...world.complianceStates.map((t) => opt(t, COMPLIANCE_TEXT[t])));

  let timer;
  const form = $('#search');
  form.addEventListener('input', (e) => {
    if (e.target.tagName !== 'INPUT' || e.target.type === 'checkbox') return;
    clearTimeout(timer);
    timer = setTimeout(() => search(), 250);
  });
  form.addEventListener('change', (e) => {
    if (e.target.tagName === 'SELECT' || e.target.type === 'checkbox') search();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  form.addEventListener('reset', () => setTimeout(() => search(), 0));
  $('#page-next').addEventListener('click', () => lastPage?.last && search({ after: lastPage.last }));
  $('#page-prev').addEventListener('click', () => lastPage?.first && search({ before: lastPage.first }));

  onEvent('request', (e) => {
    if (shownEui && e.device?.eui === shownEui) refreshDevice(new Set(e.changedCells));
  });
  onEvent('cells', (e) => {
    if (shownEui && e.device === shownEui) refreshDevice(new Set(e.changedCells));
  });
  // the 7-day rule runs on the simulated clock: a new time can change states
  window.addEventListener('dcc-clock', () => {
    if (shownEui) refreshDevice(new Set());
    search(page);
  });
  await search();
}

/** Fills the search form with these filters (the rest cleared) and searches: a report's count opens here. */
export async function searchFor(params) {
  const form = $('#search');
  form.reset();
  for (const [name, value] of Object.entries(params)) {
    const field = form.elements.namedItem(name);
    if (!field) continue;
    if (field.type === 'checkbox') field.checked = value === 'true';
    else {
      // a party the list does not offer (no supplier or network operator role) is added, not dropped
      if (field.tagName === 'SELECT' && ![...field.options].some((o) => o.value === value)) field.append(h('option', { value }, value));
      field.value = value;
    }
  }
  await search();
  $('#results-status').focus();
}

/** Draws a device's view into a container; `changed` cells are highlighted. */
export async function drawDevice(container, eui, { changed = new Set(), headingId, level = 'h2', extra = [] } = {}) {
  const view = await get(`/api/console/devices/${encodeURIComponent(eui)}`);
  clear(container, deviceHeader(view, headingId, { level }), h('h3', {}, 'Trust-anchor cells'), renderSlots(view, changed), extra);
  container.hidden = false;
  return view;
}

const backLink = () => h('p', { class: 'back' }, h('a', { href: '#devices' }, '↑ Back to the search results'));

let drawSeq = 0;

async function refreshDevice(changed) {
  // drawn aside and swapped in whole: a later refresh (a request, then the clock) overtakes this one
  const mine = ++drawSeq;
  const eui = shownEui;
  const box = h('div');
  const view = await drawDevice(box, eui, { changed, headingId: 'device-heading', extra: [] });
  const panels = [METERED.includes(view.device.type) ? await meterPanel(eui) : null, await faultsPanel(eui, view.device.type), recoveryPanel(view, allParties)];
  if (mine !== drawSeq || eui !== shownEui) return;
  clear($('#device'), backLink(), [...box.childNodes], panels);
  if (changed.size) announce(`Cells changed on ${eui}: ${[...changed].join(', ')}`);
}

export async function showDevice(eui) {
  shownEui = eui;
  drawSeq += 1;
  setTimelineDevice(eui);
  for (const tr of $('#results tbody').children) tr.classList.toggle('selected', tr.dataset.eui === eui);
  const el = $('#device');
  try {
    const view = await drawDevice(el, eui, { headingId: 'device-heading' });
    el.prepend(backLink());
    if (METERED.includes(view.device.type)) el.append(await meterPanel(eui));
    el.append(await faultsPanel(eui, view.device.type));
    el.append(recoveryPanel(view, allParties));
    $('#device-heading').focus();
    el.scrollIntoView({ block: 'start' });
  } catch (e) {
    clear(el, h('p', { class: 'error', id: 'device-heading' }, `Device ${eui}: ${e.message}`));
    el.hidden = false;
  }
}

export function hideDevice() {
  const wasShown = shownEui;
  shownEui = null;
  if (wasShown) setTimeout(() => $(`#results tbody tr[data-eui="${wasShown}"] a`)?.focus(), 0);
  setTimelineDevice(null);
  $('#device').hidden = true;
}
