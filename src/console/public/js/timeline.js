import { get, at } from './api.js';
import { h, $, clear, fmtTime, party, state, announce } from './dom.js';
import { openDialog } from './dialog.js';
import { showCertificate } from './slots.js';
import { hexView } from './hex.js';

// The live request timeline: recent requests from the log, then every new one as the server sends
// it (server-sent events), each with its pipeline steps, response code, reason and changed cells.

const listeners = { request: [], cells: [], clock: [] };
export const onEvent = (kind, fn) => listeners[kind].push(fn);
let focusDevice = null; // the EUI of the device on screen, for the "only this device" filter
let lastId = 0;

export function setTimelineDevice(eui) {
  focusDevice = eui;
  applyFilter();
}

function applyFilter() {
  const only = $('#timeline-follow').checked;
  const service = $('#timeline-service')?.value ?? '';
  const outcome = $('#timeline-outcome')?.value ?? '';
  const originator = $('#timeline-party')?.value ?? '';
  // the downloads carry the same filters: every matching request, not only those on screen
  const query = Object.entries({ service, outcome, originator, device: only && focusDevice !== null ? focusDevice : '' }).filter(([, v]) => v !== '');
  for (const format of ['csv', 'json']) {
    const a = $(`#timeline-export-${format}`);
    if (a) a.href = `/api/console/requests/export?${new URLSearchParams([['format', format], ...query])}`;
  }
  for (const li of $('#timeline').children) {
    li.hidden = (only && focusDevice !== null && li.dataset.device !== focusDevice)
      || (service !== '' && li.dataset.service !== service)
      || (outcome !== '' && li.dataset.outcome !== outcome)
      || (originator !== '' && li.dataset.party !== originator);
  }
}

// Paging back through the whole log with the filters applied on the server as well.
let oldestId = null;
let pagedBack = 0;
async function loadOlder() {
  const service = $('#timeline-service').value;
  const outcome = $('#timeline-outcome').value;
  const originator = $('#timeline-party').value;
  const page = await get('/api/console/requests', { before: oldestId ?? undefined, limit: 30, service: service || undefined, outcome: outcome || undefined, originator: originator || undefined });
  const list = $('#timeline');
  for (const e of page) {
    list.append(renderEntry(e, false));
    oldestId = oldestId === null ? e.id : Math.min(oldestId, e.id);
  }
  pagedBack += page.length;
  $('#timeline-older').disabled = page.length < 30;
  applyFilter();
  announce(page.length ? `${page.length} older requests` : 'No older requests');
}

// The services' names, from the registry (GET /api/services), by variant.
const SERVICE_NAMES = {};

export function entryTitle(e) {
  // the DCC's own credentials command (no DUIS request): its first step names the event ordered
  if (e.endpoint === 'recovery') return `DCC ${e.steps?.[0]?.step === 'order' ? e.steps[0].detail.split(' ')[0] : 'credentials'} command (no DUIS request)`;
  const svc = e.serviceReferenceVariant ?? '?';
  const leg = e.commandVariant === 4 ? ' (pre-command leg)' : e.commandVariant === 5 ? ' (signed pre-command)' : '';
  return `${svc}${SERVICE_NAMES[svc] ? ' ' + SERVICE_NAMES[svc] : ''}${leg}`;
}

// Each step is a button: focusing or clicking it shows its detail beneath the steps, so keyboard
// and touch users read what a mouse user sees on hover. One Tab stop per list (the failed step, else
// the first); the arrow keys move between steps.
export function stepsList(steps) {
  const detail = h('p', { class: 'step-detail', hidden: true });
  const show = (s, button) => {
    detail.textContent = `${s.step}: ${s.detail || 'no detail'}`;
    detail.hidden = false;
    for (const b of list.querySelectorAll('button')) b.setAttribute('aria-expanded', String(b === button));
  };
  const list = h('ol', { class: 'steps', 'aria-label': 'pipeline steps' },
    steps.map((s) => h('li', { class: s.ok ? '' : 'failed' },
      h('button', {
        type: 'button', class: 'step', title: s.detail, 'aria-expanded': 'false',
        onfocus: (e) => show(s, e.currentTarget), onclick: (e) => show(s, e.currentTarget),
      }, `${s.ok ? '✓' : '✗'} ${s.step}`),
    )),
  );
  detail.id = `step-detail-${++stepDetails}`;
  const buttons = [...list.querySelectorAll('button')];
  const stop = Math.max(0, steps.findIndex((s) => !s.ok));
  buttons.forEach((b, i) => {
    b.setAttribute('aria-controls', detail.id);
    b.tabIndex = i === stop ? 0 : -1;
  });
  list.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    const to = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? buttons.length - 1 : null;
    if (i < 0 || to === null || !buttons[to]) return;
    e.preventDefault();
    buttons[i].tabIndex = -1;
    buttons[to].tabIndex = 0;
    buttons[to].focus();
  });
  return h('div', { class: 'steps-box' }, list, detail);
}
let stepDetails = 0;

// A request's outcome is its final one: acknowledged (I99) and then discarded by the device is a
// failure, shown as one with the device's reason, never as a green acknowledgement.
const succeeded = (e) => e.succeeded ?? e.accepted;
const refusedByDevice = (e) => e.accepted && !succeeded(e);

export function outcomeText(e) {
  if (!e.accepted) return `${e.responseCode} refused`;
  const final = e.finalResponseCode ?? e.responseCode;
  if (refusedByDevice(e)) return `${e.responseCode} accepted, then ${final} refused by the device`;
  return final === e.responseCode ? `${e.responseCode} accepted` : `${e.responseCode} accepted, ${final} carried out`;
}

function renderEntry(e, fresh) {
  const li = h('li', { class: ['tl', succeeded(e) ? 'accepted' : 'refused', fresh && 'fresh'], dataset: { id: e.id, service: e.serviceReferenceVariant ?? '', party: e.originator?.eui ?? '', device: e.device?.eui ?? '', code: e.responseCode, final: e.finalResponseCode ?? e.responseCode, outcome: succeeded(e) ? 'success' : 'failure' } },
    h('div', { class: 'tl-head' },
      h('span', { class: 'tl-title' }, entryTitle(e)),
      state(succeeded(e) ? 'ok' : 'bad', outcomeText(e)),
    ),
    h('div', { class: 'tl-meta' }, `${fmtTime(e.receivedAt)} · ${party(e.originator)} → ${e.device ? `${e.device.type ?? ''} ${e.device.eui}` : 'DCC'}`),
    e.reason ? h('p', { class: 'reason' }, h('strong', {}, `Refused at ${e.failedStep}: `), e.reason) : null,
    refusedByDevice(e) ? h('p', { class: 'reason' }, h('strong', {}, `${e.finalResponseCode}: `), e.finalReason ?? 'refused by the device, no reason given') : null,
    stepsList(e.steps),
    e.changedCells.length ? h('div', { class: 'cells-changed' }, `Cells changed: ${e.changedCells.join(', ')}`) : null,
    // a URL per request (#request/ID), opened here without leaving the tab
    h('button', { type: 'button', class: 'link', onclick: () => { history.replaceState(null, '', `#request/${e.id}`); void showRequest(e.id); } }, 'Details: DUIS and GBCS'),
  );
  return li;
}

function add(e, fresh) {
  if (e.id <= lastId && fresh) return;
  lastId = Math.max(lastId, e.id);
  const list = $('#timeline');
  const li = renderEntry(e, fresh);
  list.prepend(li);
  while (list.children.length > 100 + pagedBack) list.lastElementChild.remove();
  oldestId = oldestId === null ? e.id : Math.min(oldestId, e.id);
  applyFilter();
  if (fresh) setTimeout(() => li.classList.remove('fresh'), 4000);
}

export async function initTimeline() {
  $('#timeline-follow').addEventListener('change', applyFilter);
  const services = await get('/api/services');
  for (const s of services) SERVICE_NAMES[s.variant] = s.displayName;
  const select = $('#timeline-service');
  for (const s of services) select.append(h('option', { value: s.variant }, `${s.variant} ${s.displayName}`));
  select.addEventListener('change', applyFilter);
  $('#timeline-outcome').addEventListener('change', applyFilter);
  // the parties that send (DCC Users, and the DCC for what it originates)
  const parties = $('#timeline-party');
  for (const p of await get('/api/parties')) parties.append(h('option', { value: p.eui }, p.name ? `${p.name} (${p.eui})` : p.eui));
  parties.addEventListener('change', applyFilter);
  $('#timeline-older').addEventListener('click', () => void loadOlder());
  const recent = await get('/api/console/requests', { limit: 30 });
  for (const e of recent.reverse()) add(e, false);
  connect();
}

function connect() {
  const live = $('#live-state');
  const es = new EventSource(at('/api/console/events'));
  es.addEventListener('open', () => {
    live.textContent = 'live';
    live.className = 'live on';
  });
  es.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.className = 'live off';
  });
  es.addEventListener('hello', (m) => listeners.clock.forEach((f) => f(JSON.parse(m.data).now)));
  es.addEventListener('clock', (m) => listeners.clock.forEach((f) => f(JSON.parse(m.data).now)));
  es.addEventListener('request', (m) => {
    const e = JSON.parse(m.data);
    add(e, true);
    announce(`${entryTitle(e)}: ${outcomeText(e)}${succeeded(e) ? '' : `, ${e.accepted ? e.finalReason : e.reason}`}`);
    listeners.request.forEach((f) => f(e));
  });
  es.addEventListener('cells', (m) => {
    const e = JSON.parse(m.data);
    listeners.cells.forEach((f) => f(e));
  });
}

// --- one request taken apart -----------------------------------------------------------------

export function prettyXml(xml) {
  // not XML (the DCC's own order is JSON): shown as it is; a parse error would also break the page's CSP
  if (!xml.trimStart().startsWith('<')) return xml;
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return xml;
  const out = [];
  const walk = (node, depth) => {
    const pad = '  '.repeat(depth);
    const attrs = [...node.attributes].map((a) => ` ${a.name}="${a.value}"`).join('');
    const kids = [...node.childNodes].filter((n) => n.nodeType === 1 || (n.nodeType === 3 && n.nodeValue.trim()));
    if (kids.length === 0) out.push(`${pad}<${node.nodeName}${attrs}/>`);
    else if (kids.length === 1 && kids[0].nodeType === 3) out.push(`${pad}<${node.nodeName}${attrs}>${kids[0].nodeValue.trim()}</${node.nodeName}>`);
    else {
      out.push(`${pad}<${node.nodeName}${attrs}>`);
      for (const k of kids) {
        if (k.nodeType === 1) walk(k, depth + 1);
        else out.push(`${pad}  ${k.nodeValue.trim()}`);
      }
      out.push(`${pad}</${node.nodeName}>`);
    }
  };
  walk(doc.documentElement, 0);
  return out.join('\n');
}

function fieldList(fields) {
  return h('dl', { class: 'fields' },
    fields.map((f) => [
      h('dt', {}, f.label),
      h('dd', {}, f.value, f.certificateId ? [' ', h('button', { type: 'button', class: 'link', onclick: () => showCertificate(f.certificateId) }, 'certificate')] : null),
    ]),
  );
}

export async function showRequest(id) {
  const r = await get(`/api/console/requests/${id}`);
  openDialog(`${entryTitle(r)} — request #${r.id}`,
    h('dl', { class: 'fields' },
      h('dt', {}, 'Outcome'), h('dd', { dataset: { outcome: succeeded(r) ? 'success' : 'failure' } }, state(succeeded(r) ? 'ok' : 'bad', outcomeText(r))),
      r.reason ? [h('dt', {}, 'Reason'), h('dd', { class: 'error' }, `${r.failedStep}: ${r.reason}`)] : null,
      refusedByDevice(r) ? [h('dt', {}, 'Reason'), h('dd', { class: 'error' }, r.finalReason ?? 'refused by the device, no reason given')] : null,
      r.deviceAlertCode ? [h('dt', {}, 'Device alert'), h('dd', {}, `${r.deviceAlertCode}: the GBCS alert code of the device's refusal; the requester is told by the ${r.finalResponseCode} response below, which carries this RequestID`)] : null,
      h('dt', {}, 'RequestID'), h('dd', { class: 'mono' }, r.requestId ?? '—'),
      h('dt', {}, 'Received'), h('dd', {}, `${fmtTime(r.receivedAt)} on /api/v1/${r.endpoint}`),
      h('dt', {}, 'From'), h('dd', {}, r.originator ? `${r.originator.name ?? ''} (${r.originator.eui})` : '—'),
      h('dt', {}, 'Device'), h('dd', {}, r.device ? `${r.device.type ?? ''} ${r.device.eui}` : '—'),
      h('dt', {}, 'Cells changed'), h('dd', {}, r.changedCells.length ? r.changedCells.join(', ') : 'none'),
    ),
    h('h3', {}, 'Pipeline'),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Step'), h('th', { scope: 'col' }, 'Result'), h('th', { scope: 'col' }, 'Detail'))),
      h('tbody', {}, r.steps.map((s) => h('tr', {}, h('td', {}, s.step), h('td', {}, state(s.ok ? 'ok' : 'bad', s.ok ? 'passed' : 'failed')), h('td', {}, s.detail)))),
    ),
    h('h3', {}, 'DUIS'),
    r.duis.map((d, i) =>
      h('section', { class: 'gbcs', 'aria-label': d.title },
        h('h4', {}, d.title),
        d.error ? h('p', { class: 'error' }, d.error) : fieldList(d.fields),
        h('details', { open: i === 0 && !d.fields.length ? true : null }, h('summary', {}, 'XML'), h('pre', { class: 'xml' }, prettyXml(d.xml))),
      ),
    ),
    h('h3', {}, 'GBCS'),
    r.deviceAnswer ? h('p', { class: ['device-answer', succeeded(r) ? null : 'error'] }, h('strong', {}, "The device's answer: "), r.deviceAnswer) : null,
    r.gbcs.length ? r.gbcs.map((g) => hexView(g)) : h('p', { class: 'muted' }, 'No GBCS message in this exchange.'),
  );
}

export { clear };
