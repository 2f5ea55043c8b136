import { get, post } from './api.js';
import { h, clear, state, announce } from './dom.js';
import { showRequest } from './timeline.js';

// DCC operations on a device's page: the credentials commands the DCC signs itself, with no DUIS
// request behind them (POST /api/recovery): the SMKI Recovery Event, the contingency event, and the
// WAN provider's and Transitional CoS party's own updates. They replace trust anchors no User can
// reach, so the order is reviewed and confirmed before it is sent, and it names who ordered it and
// why: each device's command is a request-log row carrying both (the audit trail).

const DCC = { recovery: '90-B3-D5-1F-30-00-00-01', acb: '90-B3-D5-1F-30-00-00-02', transitionalCoS: '90-B3-D5-1F-30-00-00-04', wanProvider: '90-B3-D5-1F-30-00-00-07' };

const EVENTS = {
  recovery: { text: 'SMKI Recovery Event (CS02b anyExceptAbnormalRootByRecovery, signed by the DCC\'s Recovery key)', groups: ['recovery', 'supplier', 'networkOperator', 'acb', 'transitionalCoS', 'wanProvider'] },
  contingency: { text: 'Contingency event: root lost (CS02b anyByContingency, signed by the root\'s contingency key; replaces the root too; once per device)', groups: ['recovery', 'supplier', 'networkOperator', 'acb', 'transitionalCoS', 'wanProvider'] },
  'wan-provider': { text: 'WAN provider\'s own update (CS02b wanProviderByWanProvider; comms hubs only)', groups: ['wanProvider'] },
  'transitional-cos': { text: 'Transitional CoS party\'s own update (CS02b transCoSByTransCoS)', groups: ['transitionalCoS'] },
};

const GROUPS = {
  recovery: 'Recovery cell',
  supplier: 'Supplier cells (DS, KA, top-up KA)',
  networkOperator: 'Network operator cells (DS, KA)',
  acb: 'ACB cells',
  transitionalCoS: 'Transitional CoS cell',
  wanProvider: 'WAN provider cell',
};

// Kept per device: the page is redrawn whenever a cell changes (the order's own result among them),
// and the outcome must stay on screen.
let kept = { eui: null, el: null };

/** The DCC operations panel for the device a view shows. */
export function recoveryPanel(view, parties) {
  const eui = view.device.euiDashed;
  if (kept.eui === eui) return kept.el;
  kept = { eui, el: build(view, parties) };
  return kept.el;
}

function build(view, parties) {
  const eui = view.device.euiDashed;
  const defaults = {
    recovery: DCC.recovery, acb: DCC.acb, transitionalCoS: DCC.transitionalCoS, wanProvider: DCC.wanProvider,
    supplier: view.registeredSupplier?.eui ?? '', networkOperator: view.registeredNetworkOperator?.eui ?? DCC.acb,
  };
  const byName = [...parties].sort((a, b) => a.name.localeCompare(b.name));
  const partySelect = (id, label, value, withNone) => h('select', { id, 'aria-label': label },
    withNone ? h('option', { value: '' }, '— nobody —') : null,
    byName.map((p) => h('option', { value: p.eui, selected: p.eui === value }, `${p.name} (${p.eui})`)));

  const event = h('select', { id: 'dcc-op-event', name: 'event' }, Object.entries(EVENTS).map(([k, e]) => h('option', { value: k }, e.text)));
  const devices = h('textarea', { id: 'dcc-op-devices', rows: 2, spellcheck: 'false', 'aria-describedby': 'dcc-op-devices-help' });
  devices.value = eui;
  // the devices a compromised or departed network operator strands (src/compliance/network-change.ts)
  const operators = byName.filter((p) => p.userRoles.some((r) => r === 'ED' || r === 'GT'));
  const holding = h('select', { id: 'dcc-op-holding' }, h('option', { value: '' }, '— nobody —'), operators.map((p) => h('option', { value: p.eui }, `${p.name} (${p.eui})`)));
  const rows = Object.entries(GROUPS).map(([g, text]) => {
    const check = h('input', { type: 'checkbox', id: `dcc-op-cells-${g}`, dataset: { group: g } });
    const who = partySelect(`dcc-op-of-${g}`, `Whose certificates go into the ${text}`, defaults[g], false);
    return { g, check, who, row: h('div', { class: 'dcc-op-cells', dataset: { group: g } }, check, h('label', { for: check.id }, text), ' ← ', who) };
  });
  const registeredTo = h('select', { id: 'dcc-op-registered-to' }, h('option', { value: '' }, 'any other operator'), operators.map((p) => h('option', { value: p.eui }, `${p.name} (${p.eui})`)));
  const timeChecks = h('select', { id: 'dcc-op-time-checks' },
    h('option', { value: '' }, 'as RTDS\'s commands do (disapplied, but applied by the WAN provider\'s update)'),
    h('option', { value: 'apply' }, 'apply'), h('option', { value: 'disapply' }, 'disapply'));
  const reason = h('input', { id: 'dcc-op-reason', size: 50, 'aria-describedby': 'dcc-op-reason-help' });
  const by = h('input', { id: 'dcc-op-by', size: 20 });
  const review = h('div', { class: 'dcc-op-review', hidden: true, role: 'region', 'aria-label': 'Confirm the order' });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const result = h('div', { class: 'dcc-op-result' });

  const showGroups = () => {
    const allowed = EVENTS[event.value].groups;
    for (const r of rows) {
      r.row.hidden = !allowed.includes(r.g);
      if (r.row.hidden) r.check.checked = false;
    }
    // the one group an own-update event may replace is the only sensible choice
    if (allowed.length === 1) rows.find((r) => r.g === allowed[0]).check.checked = true;
    review.hidden = true;
  };
  event.addEventListener('change', showGroups);
  // the registration filter narrows the stranded devices only
  const holdingChanged = () => (registeredTo.disabled = !holding.value);
  holding.addEventListener('change', holdingChanged);
  holdingChanged();

  const order = () => {
    const named = devices.value.split(/[\s,]+/).filter(Boolean);
    const place = rows.filter((r) => !r.row.hidden && r.check.checked).map((r) => ({ cells: r.g, certificatesOf: r.who.value }));
    return {
      event: event.value,
      ...(named.length ? { devices: named } : {}),
      ...(holding.value ? { holding: holding.value, ...(registeredTo.value ? { registeredTo: registeredTo.value } : {}) } : {}),
      ...(timeChecks.value ? { applyTimeBasedCpvChecks: timeChecks.value === 'apply' } : {}),
      ...(place.length ? { place } : {}),
      reason: reason.value.trim(),
      requestedBy: `${by.value.trim() || 'anonymous'} (console)`,
    };
  };

  const fail = (text) => {
    status.textContent = text;
    status.classList.add('error');
    announce(text);
  };

  const send = async (o) => {
    review.hidden = true;
    status.classList.remove('error');
    status.textContent = 'Ordering…';
    clear(result);
    let r;
    try {
      r = await post('/api/recovery', o);
    } catch (e) {
      fail(`The DCC refused the order, nothing was done: ${e.message}`);
      return;
    }
    status.textContent = `${r.event} (${r.mode}, ${r.messageCode}) ordered by ${r.requestedBy}: ${r.carriedOut} device(s) carried it out, ${r.failed} did not.`;
    announce(status.textContent);
    clear(result, h('table', { class: 'results' },
      h('caption', {}, 'What each device did'),
      h('thead', {}, h('tr', {}, ['Device', 'Outcome', 'Cells changed', 'Request log'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, r.devices.map((d) => {
        const ok = d.outcome === 'I0' && d.replacements.every((x) => x.status === 0);
        return h('tr', { dataset: { device: d.device, outcome: ok ? 'carried-out' : 'refused' } },
          h('td', {}, h('a', { href: `#devices/${d.device}`, class: 'mono' }, d.device)),
          h('td', {}, state(ok ? 'ok' : 'bad', ok ? `${d.outcome} carried out` : d.outcome !== 'I0' ? `${d.outcome} refused` : d.changedCells.length ? 'I0 partly carried out' : 'I0 but no cell replaced'),
            d.reason ? h('div', { class: 'reason' }, d.reason) : null),
          h('td', {}, d.changedCells.length ? d.changedCells.join(', ') : 'none'),
          h('td', {}, h('a', {
            href: `#request/${d.requestLogId}`,
            onclick: (e) => { e.preventDefault(); void showRequest(d.requestLogId); },
          }, `#${d.requestLogId}: the order and its annotated GBCS`)),
        );
      })),
    ));
  };

  const form = h('form', { class: 'dcc-op-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: event.id }, 'Event'), event),
    h('div', { class: 'field' }, h('label', { for: devices.id }, 'Devices'), devices,
      h('small', { id: 'dcc-op-devices-help', class: 'help' }, 'EUI-64s, one a line (dashes optional)')),
    h('div', { class: 'field' }, h('label', { for: holding.id }, 'And every device whose network operator cells still hold the certificates of'), holding,
      h('small', { class: 'help' }, 'a network operator, where registration data now names another')),
    h('div', { class: 'field' }, h('label', { for: registeredTo.id }, 'whose supply points are now registered to'), registeredTo),
    h('fieldset', {}, h('legend', {}, 'Cells to replace, and whose current certificates go in them'), rows.map((r) => r.row)),
    h('div', { class: 'field' }, h('label', { for: timeChecks.id }, 'Time-based certification path checks (GBCS CS02b [1])'), timeChecks),
    h('div', { class: 'field' }, h('label', { for: reason.id }, 'Reason'), reason,
      h('small', { id: 'dcc-op-reason-help', class: 'help' }, 'kept with each command in the request log')),
    h('div', { class: 'field' }, h('label', { for: by.id }, 'Ordered by'), by),
    h('button', { type: 'submit', class: 'danger' }, 'Review the order…'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.classList.remove('error');
    status.textContent = '';
    const o = order();
    // The API says what is wrong with an order; these are only the things a user must fill in first.
    if (!o.devices && !o.holding) return fail('Name at least one device, or a party whose certificates the devices hold.');
    if (!o.place) return fail('Tick the cells to replace.');
    if (!o.reason) return fail('Give a reason: the request log keeps it as the audit trail.');
    if (!by.value.trim()) return fail('Say who orders it: the request log keeps it as the audit trail.');
    const who = (v) => byName.find((p) => p.eui === v)?.name ?? v;
    // how many devices "holding" stands for, before anyone confirms an order on all of them
    let stranded = '';
    if (o.holding) {
      try {
        const s = await get(`/api/network-operators/${encodeURIComponent(o.holding)}/stranded`, { limit: 1, registeredTo: o.registeredTo });
        stranded = `${s.total} device(s) whose network operator cells hold ${who(o.holding)}'s certificates where ${o.registeredTo ? `${who(o.registeredTo)} is now registered` : 'it is no longer registered'}`;
      } catch (err) {
        return fail(`Cannot count the devices holding ${who(o.holding)}'s certificates: ${err.message}`);
      }
    }
    clear(review,
      h('h4', {}, 'Confirm: the DCC will sign and send this itself'),
      h('ul', {},
        h('li', {}, EVENTS[o.event].text),
        h('li', {}, `to ${o.devices ? o.devices.join(', ') : ''}${o.devices && o.holding ? ' and ' : ''}${stranded}`),
        o.place.map((p) => h('li', {}, `${GROUPS[p.cells]} ← ${who(p.certificatesOf)}`)),
        o.applyTimeBasedCpvChecks === undefined ? null : h('li', {}, `time-based certification path checks ${o.applyTimeBasedCpvChecks ? 'applied' : 'disapplied'}`),
        h('li', {}, `ordered by ${o.requestedBy}: ${o.reason}`)),
      h('p', {}, 'The cells are replaced on the devices at once; only another such order changes them back.'),
      h('button', { type: 'button', id: 'dcc-op-confirm', class: 'danger', onclick: () => void send(o) }, 'Carry out the order'), ' ',
      h('button', { type: 'button', class: 'secondary', onclick: () => { review.hidden = true; form.querySelector('[type=submit]').focus(); } }, 'Cancel'),
    );
    review.hidden = false;
    review.querySelector('#dcc-op-confirm').focus();
  });
  form.addEventListener('input', () => (review.hidden = true));
  showGroups();

  return h('section', { class: 'panel dcc-operations', id: 'dcc-operations', 'aria-labelledby': 'dcc-ops-heading' },
    h('h3', { id: 'dcc-ops-heading' }, 'DCC operations: SMKI recovery'),
    h('p', { class: 'muted' }, 'Credentials commands the DCC originates with no DUIS request, for cells no User can reach any more (a compromised or departed party\'s certificates). Each device\'s command is a row of the request log naming who ordered it and why.'),
    h('details', {}, h('summary', {}, 'Order a recovery, contingency, WAN provider or Transitional CoS command'), form, review),
    status, result,
  );
}
