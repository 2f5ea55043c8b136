import { get, put } from './api.js';
import { h, $, clear, fmtTime, state, announce } from './dom.js';
import { openDialog } from './dialog.js';
import { onEvent, showRequest, prettyXml } from './timeline.js';

// A mailbox per party (#mailboxes, #mailboxes/EUI): the parties with their Receive Response Service
// and mailbox counts, then one party's asynchronous responses and alerts, newest first, each opening
// the request inspector (decoded DUIS and GBCS) or, for an alert, its XML; the URL is set here too.

const PAGE = 25;
let shown = null; // { eui, before, filters }
let refreshTimer = null;

const STATUS = {
  delivered: ['ok', 'delivered'],
  pending: ['pending', 'waiting'],
  'no-url': ['empty', 'kept: no URL'],
  'receiver-failing': ['bad', 'receiver failing'],
};

export async function showParties() {
  shown = null;
  const root = $('#mailboxes');
  const list = await get('/api/parties');
  clear(root,
    h('p', { class: 'muted' }, 'Every asynchronous response and alert the DCC queued for a party is kept here, delivered or not. A party without a Receive Response Service URL only has its mailbox.'),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'results', id: 'parties-table' },
        h('caption', { class: 'visually-hidden' }, 'Parties and their mailboxes'),
        h('thead', {}, h('tr', {}, ['Party', 'EUI', 'Roles', 'Receive Response Service', 'In mailbox', 'Not delivered'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.map((p) =>
          h('tr', { dataset: { eui: p.eui } },
            h('td', {}, h('a', { href: `#mailboxes/${p.eui}` }, p.name)),
            h('td', { class: 'mono' }, p.eui),
            h('td', {}, p.isDcc ? 'DCC' : p.userRoles.join(', ') || '—'),
            h('td', { class: 'mono' }, p.responseUrl ?? h('span', { class: 'muted' }, 'not set')),
            h('td', { class: 'num' }, String(p.inbox.total)),
            h('td', { class: 'num' }, String(p.inbox.undelivered)),
          ))),
      ),
    ),
  );
}

async function showXml(eui, entry) {
  // one entry with its XML: the page that starts just after it
  const page = await get(`/api/parties/${eui}/inbox`, { before: entry.deliveryId + 1, limit: 1, xml: 1 });
  const xml = page.entries[0]?.xml;
  openDialog(`${entry.kind} ${entry.responseCode} — delivery #${entry.deliveryId}`,
    xml ? h('pre', { class: 'xml' }, prettyXml(xml)) : h('p', { class: 'muted' }, 'Its XML was dropped by retention after delivery.'));
}

function urlForm(p) {
  const input = h('input', { id: 'mb-url', name: 'url', type: 'url', value: p.responseUrl ?? '', placeholder: 'http://127.0.0.1:1880/duis', spellcheck: 'false', autocomplete: 'off', size: 40 });
  const status = h('span', { id: 'mb-url-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const save = async (url) => {
    try {
      const r = await put(`/api/parties/${p.eui}/response-url`, { url });
      status.textContent = r.responseUrl ? `Saved: responses go to ${r.responseUrl}` : 'Cleared: responses are kept in the mailbox only';
      announce(status.textContent);
      // waiting responses go out at once: show them delivered (focus stays on the form's status)
      for (const ms of [500, 2000]) setTimeout(() => refresh(true), ms);
    } catch (e) {
      status.textContent = e.message;
      status.classList.add('error');
    }
  };
  return h('form', { class: 'search', id: 'mb-url-form', onsubmit: (e) => { e.preventDefault(); status.classList.remove('error'); void save(input.value.trim() || null); } },
    h('div', { class: 'field' }, h('label', { for: 'mb-url' }, 'Receive Response Service URL'), input),
    h('div', { class: 'field actions' },
      h('button', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', class: 'secondary', onclick: () => { input.value = ''; void save(null); } }, 'Clear')),
    status,
  );
}

function filterForm(eui, f) {
  return h('form', { class: 'search', id: 'mb-filters', 'aria-label': 'Filter the mailbox', onsubmit: (e) => {
    e.preventDefault();
    const d = new FormData(e.target);
    void showMailbox(eui, { kind: d.get('kind'), code: d.get('code').trim(), requestId: d.get('requestId').trim() });
  } },
    h('div', { class: 'field' }, h('label', { for: 'mb-kind' }, 'Kind'),
      h('select', { id: 'mb-kind', name: 'kind' }, [['', 'any'], ['response', 'response'], ['device-alert', 'device alert'], ['dcc-alert', 'DCC alert']].map(([v, t]) => h('option', { value: v, selected: f.kind === v }, t)))),
    h('div', { class: 'field' }, h('label', { for: 'mb-code' }, 'Code'), h('input', { id: 'mb-code', name: 'code', value: f.code ?? '', placeholder: 'I0, E21…', size: 8 })),
    h('div', { class: 'field' }, h('label', { for: 'mb-rid' }, 'RequestID'), h('input', { id: 'mb-rid', name: 'requestId', value: f.requestId ?? '', spellcheck: 'false', size: 36 })),
    h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Filter')),
  );
}

export async function showMailbox(eui, filters = {}, before = undefined) {
  shown = { eui, filters, before };
  const root = $('#mailboxes');
  let page;
  try {
    page = await get(`/api/parties/${eui}/inbox`, { ...filters, before, limit: PAGE });
  } catch (e) {
    clear(root, h('p', { class: 'error', role: 'alert' }, e.message), h('a', { href: '#mailboxes' }, '← All parties'));
    return;
  }
  const p = page.party;
  clear(root,
    h('p', {}, h('a', { href: '#mailboxes' }, '← All parties')),
    h('h2', { id: 'mailbox-heading', tabindex: '-1' }, `${p.name} `, h('span', { class: 'mono muted' }, p.eui)),
    h('p', { id: 'mb-summary' }, `${p.inbox.total} in the mailbox, ${p.inbox.undelivered} not delivered; ${page.total} match${before ? ' (older page)' : ''}.`),
    urlForm(p),
    filterForm(eui, filters),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'results', id: 'mailbox-table' },
        h('caption', { class: 'visually-hidden' }, `Mailbox of ${p.name}, newest first`),
        h('thead', {}, h('tr', {}, ['Created', 'Kind', 'Code', 'RequestID', 'Delivery', 'Attempts', 'Delivered', 'Last error', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, page.entries.length ? page.entries.map((e) => {
          const [kind, text] = STATUS[e.status] ?? ['empty', e.status];
          return h('tr', { dataset: { deliveryId: e.deliveryId, status: e.status } },
            h('td', {}, fmtTime(e.createdAt)),
            h('td', {}, e.kind),
            h('td', { class: 'mono' }, e.responseCode),
            h('td', { class: 'mono' }, e.requestId ?? '—'),
            h('td', {}, state(kind, text)),
            h('td', { class: 'num' }, String(e.attempts)),
            h('td', {}, fmtTime(e.deliveredAt)),
            h('td', { class: e.lastError && e.status === 'receiver-failing' ? 'error' : 'muted' }, e.lastError ?? ''),
            h('td', {}, e.requestLogId
              ? h('button', { type: 'button', class: 'link', onclick: () => showRequest(e.requestLogId) }, 'DUIS and GBCS')
              : h('button', { type: 'button', class: 'link', onclick: () => showXml(eui, e) }, 'XML')),
          );
        }) : h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'Nothing in this mailbox yet.'))),
      ),
    ),
    h('nav', { class: 'pager', 'aria-label': 'Mailbox pages' },
      h('button', { type: 'button', class: 'secondary', disabled: !before, onclick: () => showMailbox(eui, filters) }, '↑ Newest'),
      h('button', { type: 'button', class: 'secondary', disabled: page.nextBefore === null, onclick: () => showMailbox(eui, filters, page.nextBefore) }, 'Older →'),
    ),
  );
}

// Not while someone is typing in the page's forms, unless asked for.
async function refresh(force = false) {
  if (!shown || shown.before || (!force && document.activeElement?.closest?.('#mailboxes form'))) return;
  const status = $('#mb-url-status')?.textContent;
  await showMailbox(shown.eui, shown.filters);
  if (status) $('#mb-url-status').textContent = status;
}

export function initMailboxes() {
  // a new request may have put something in the mailbox shown: look again, at most once a second
  onEvent('request', () => {
    if (!shown || refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refresh();
    }, 1000);
  });
}

export async function routeMailboxes(eui) {
  if (eui) {
    await showMailbox(eui);
    $('#mailbox-heading')?.focus();
  } else await showParties();
}
