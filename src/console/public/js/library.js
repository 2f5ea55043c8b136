import { get, post } from './api.js';
import { h, $, clear, announce } from './dom.js';
import { showRequest } from './timeline.js';

// The request library (#library): every service dcc-sim carries out, its example filled in for a device,
// the XML editable, then signed as the party its RequestID names and sent (both legs for a critical one),
// each leg opening the request inspector; or signed only and copied as a curl command.

let entries = [];

function serviceOption(e) {
  const tags = [e.critical ? 'critical' : null, e.nonDevice ? 'DCC' : null].filter(Boolean).join(', ');
  return h('option', { value: e.example ?? '', disabled: !e.example }, `${e.variant} ${e.name}${tags ? ` (${tags})` : ''}${e.example ? '' : ' — no example yet'}`);
}

function curlOf(origin, signed) {
  const url = `${origin}/api/v1/${signed.endpoint}`;
  return `curl -sS -X POST '${url}' -H 'Content-Type: application/xml' --data-binary @- <<'DUIS'\n${signed.xml}\nDUIS`;
}

async function fill(status) {
  const example = $('#library-service').value;
  const device = $('#library-device').value.trim();
  if (!example) throw new Error('choose a service');
  const role = $('#library-role').value || undefined;
  // no device given: the library picks one of the world the service suits
  const r = await post('/api/console/library/example', { example, device: device || undefined, role });
  $('#library-xml').value = r.xml;
  // what the library did first for the example to be usable (8.13), in the timeline too
  status.textContent = `${r.prepared ? `${r.prepared[0].toUpperCase()}${r.prepared.slice(1)}. ` : ''}Example filled in for ${r.device}${device ? '' : ', a device the service suits'}. Edit it, then sign and send.`;
}

function showResult(r) {
  const out = $('#library-result');
  clear(out,
    h('p', { class: `outcome ${r.succeeded ? 'ok' : 'bad'}`, id: 'library-outcome' }, `${r.succeeded ? '✓' : '✗'} ${r.finalResponseCode}${r.finalReason ? `: ${r.finalReason}` : ''}`),
    h('p', { class: 'mono' }, `RequestID ${r.requestId}`),
    h('ol', { id: 'library-legs' }, r.legs.map((l) =>
      h('li', {},
        h('button', { type: 'button', class: 'link', onclick: () => void showRequest(l.requestLogId) }, `${l.endpoint} CV ${l.commandVariant}: ${l.responseCode}`),
        l.reason ? h('span', { class: 'muted' }, ` — ${l.reason}`) : null))),
  );
  announce(`Final outcome ${r.finalResponseCode}`);
}

export async function initLibrary() {
  const root = $('#library');
  entries = await get('/api/console/library');
  const status = h('p', { id: 'library-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const withExample = entries.filter((e) => e.example).length;
  const run = (fn) => async () => {
    status.classList.remove('error');
    try {
      await fn();
    } catch (e) {
      status.textContent = e.message;
      status.classList.add('error');
    }
  };
  clear(root,
    h('p', { class: 'muted' }, `${entries.length} service request variants are carried out; ${withExample} have an example to start from. Fill one in for a device, edit the XML freely (or paste any DUIS request), then sign it as the party its RequestID names and send it, or copy it as curl.`),
    h('form', { class: 'search', id: 'library-form', onsubmit: (e) => { e.preventDefault(); void run(() => fill(status))(); } },
      h('div', { class: 'field' }, h('label', { for: 'library-service' }, 'Service'), h('select', { id: 'library-service' }, entries.map(serviceOption))),
      h('div', { class: 'field' }, h('label', { for: 'library-device' }, 'Device EUI'), h('input', { id: 'library-device', spellcheck: 'false', autocomplete: 'off', size: 24, placeholder: 'any device the service suits' })),
      h('div', { class: 'field' }, h('label', { for: 'library-role' }, 'As'), h('select', { id: 'library-role' },
        h('option', { value: '' }, 'the service’s sender'), h('option', { value: 'Supplier' }, 'Supplier'), h('option', { value: 'NetworkOperator' }, 'Network operator'))),
      h('div', { class: 'field actions' }, h('button', { type: 'submit', id: 'library-fill' }, 'Fill in')),
    ),
    h('label', { for: 'library-xml' }, 'DUIS request (unsigned; a signature is replaced when sent)'),
    h('textarea', { id: 'library-xml', rows: 16, spellcheck: 'false', class: 'xml' }),
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'library-send', onclick: run(async () => {
        const xml = $('#library-xml').value;
        if (!xml.trim()) throw new Error('fill in or paste a request first');
        status.textContent = 'Sending…';
        showResult(await post('/api/console/library/send', { xml }));
        status.textContent = 'Sent. Open a leg to see the DUIS and GBCS both ways.';
      }) }, 'Sign and send'),
      h('button', { type: 'button', id: 'library-curl', class: 'secondary', onclick: run(async () => {
        const xml = $('#library-xml').value;
        if (!xml.trim()) throw new Error('fill in or paste a request first');
        const signed = await post('/api/console/library/sign', { xml });
        const text = curlOf(location.origin, signed);
        clear($('#library-result'), h('pre', { id: 'library-curl-text', class: 'xml' }, text));
        try {
          await navigator.clipboard.writeText(text);
          status.textContent = `Signed as RequestID ${signed.requestId} and copied as curl (send it once: the counter is used up then).`;
        } catch {
          status.textContent = `Signed as RequestID ${signed.requestId}; copy the curl command below.`;
        }
      }) }, 'Copy as curl'),
    ),
    status,
    h('div', { id: 'library-result', 'aria-live': 'polite' }),
  );
}

/** Prefills the device from the device being shown elsewhere (#library/EUI). */
export function routeLibrary(eui) {
  if (eui) $('#library-device').value = eui;
}
