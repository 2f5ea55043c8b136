import { get, post, put, del } from './api.js';
import { h, clear, announce } from './dom.js';

// A device's injected faults on its page: what is set now (each cleared in one click), a form to inject
// one, and an alert raised on demand. The DUIS-visible effects show in the timeline and the mailboxes.

const KINDS = {
  CHF: [['hub-down', 'comms hub down (E20 for every device behind it)'], ['slow-wan', 'slow WAN (seconds)']],
  other: [['device-offline', 'offline (E21, no response)'], ['device-refuses', 'refuses every command (alert code)'], ['slow-wan', 'slow WAN (seconds)']],
};

export async function faultsPanel(eui, type) {
  const panel = h('section', { class: 'panel faults', id: 'device-faults', 'aria-labelledby': 'faults-heading' });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const act = (fn) => async () => {
    status.classList.remove('error');
    try {
      await fn();
      await draw();
    } catch (e) {
      status.textContent = e.message;
      status.classList.add('error');
    }
  };
  async function draw() {
    const all = await get('/api/faults');
    const mine = all.filter((f) => f.targetEui.replaceAll('-', '') === eui.replaceAll('-', '').toUpperCase());
    const kind = h('select', { id: 'fault-kind', 'aria-label': 'Fault' }, (KINDS[type] ?? KINDS.other).map(([k, t]) => h('option', { value: k }, t)));
    const detail = h('input', { id: 'fault-detail', size: 6, 'aria-label': 'Fault detail', placeholder: '8F30 / s' });
    const alert = h('input', { id: 'alert-code', size: 6, 'aria-label': 'Alert code', placeholder: '8F30' });
    clear(panel,
      h('h3', { id: 'faults-heading' }, 'Faults'),
      mine.length
        ? h('ul', { id: 'fault-list' }, mine.map((f) => h('li', {}, h('span', { class: 'state bad' }, f.kind), f.detail ? ` ${f.detail} ` : ' ',
          h('button', { type: 'button', class: 'secondary', onclick: act(async () => { await del(`/api/faults/${eui}?kind=${f.kind}`); status.textContent = `Cleared ${f.kind}`; announce(status.textContent); }) }, 'Clear'))))
        : h('p', { class: 'muted', id: 'fault-list' }, 'No fault injected: the device answers normally.'),
      h('div', { class: 'search' },
        kind, detail,
        h('button', { type: 'button', id: 'fault-inject', onclick: act(async () => {
          await put(`/api/faults/${eui}`, { kind: kind.value, ...(detail.value.trim() ? { detail: detail.value.trim() } : {}) });
          status.textContent = `Injected ${kind.value}`;
          announce(status.textContent);
        }) }, 'Inject'),
        type === 'CHF' ? null : alert,
        type === 'CHF' ? null : h('button', { type: 'button', id: 'alert-raise', class: 'secondary', onclick: act(async () => {
          const r = await post(`/api/devices/${eui}/alerts`, { alertCode: alert.value.trim() });
          status.textContent = `Alert ${r.alertCode} raised to ${r.to}`;
          announce(status.textContent);
        }) }, 'Raise alert')),
      status,
    );
  }
  await draw();
  return panel;
}
