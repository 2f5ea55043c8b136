import { get, post } from './api.js';
import { h, $, clear, state, announce } from './dom.js';
import { drawDevice } from './devices.js';
import { onEvent, stepsList, showRequest, entryTitle, setTimelineDevice } from './timeline.js';
import { initScenarios } from './scenarios.js';

// Training: guided scenarios, and a form that builds a 6.21 or 6.15.1 for a device, signs it as
// the chosen party and sends it, showing why the DCC accepts or refuses it.

let trainingEui = null;

export function trainingDevice() {
  return trainingEui;
}

export async function setTrainingDevice(eui, changed = new Set()) {
  trainingEui = eui;
  if (!$('#tab-training').hidden) setTimelineDevice(eui);
  const input = $('#s-device');
  if (input && input.value !== eui) input.value = eui ?? '';
  const el = $('#training-device');
  if (!eui) {
    clear(el, h('p', { class: 'muted' }, 'Choose a device to see its cells here.'));
    return;
  }
  try {
    await drawDevice(el, eui, { changed, headingId: 'training-device-heading' });
  } catch (e) {
    clear(el, h('p', { class: 'error' }, `Device ${eui}: ${e.message}`));
  }
}

function partyOptions(parties, filter, defaultText) {
  return [h('option', { value: '' }, defaultText), ...parties.filter(filter).map((p) => h('option', { value: p.eui }, `${p.name} (${p.eui})`))];
}

// The form's two requests, by body element; their variants and names come from the registry.
const FORM_REQUESTS = ['RequestHandoverOfDCCControlledDevice', 'UpdateSecurityCredentialsKRP'];

export async function initTraining(world, parties) {
  const form = $('#send-form');
  const services = await get('/api/services');
  const offered = FORM_REQUESTS.map((el) => services.find((s) => s.bodyElement === el)).filter(Boolean);
  const signers = parties.filter((p) => p.canSign && !p.isDcc);
  const holders = parties.filter((p) => p.certificateRoles.length);
  clear(form,
    h('fieldset', { class: 'wide' },
      h('legend', {}, 'Service request'),
      offered.map((s, i) => h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'service', value: s.variant, checked: i === 0 }), `${s.variant} ${s.displayName}`)),
    ),
    h('div', { class: 'field wide' },
      h('label', { for: 's-device' }, 'Device EUI'),
      h('div', { class: 'row' },
        h('input', { id: 's-device', name: 'device', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: '00-DB-5A-0E-…', size: 26 }),
        h('button', { type: 'button', class: 'secondary', id: 's-find', title: 'an ESME whose supplier cells still hold the ACB certificates (awaiting the 6.21 handover)' }, 'Find a DCC-controlled ESME'),
      ),
    ),
    h('div', { class: 'field' },
      h('label', { for: 's-role' }, 'Remote party role'),
      h('select', { id: 's-role', name: 'role' }, h('option', { value: 'Supplier' }, 'Supplier'), h('option', { value: 'NetworkOperator' }, 'Network operator')),
    ),
    h('div', { class: 'field' },
      h('label', { for: 's-sender' }, 'Send and sign as'),
      h('select', { id: 's-sender', name: 'sender' }, partyOptions(signers, () => true, 'the registered party')),
    ),
    h('div', { class: 'field wide' },
      h('label', { for: 's-certs' }, 'Certificates of'),
      h('select', { id: 's-certs', name: 'certificatesOf', 'aria-describedby': 's-certs-help' }, partyOptions(holders, () => true, 'the party registration data expects')),
      h('small', { id: 's-certs-help', class: 'help' }, 'Pick another network operator to see the network operator check (SECMP0063) refuse it.'),
    ),
    h('div', { class: 'field' },
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'applyTimeBasedCpvChecks', id: 's-time', checked: true }), 'Apply time-based CPV checks'),
    ),
    h('div', { class: 'field' },
      h('label', { for: 's-exec' }, `Execution date-time, UTC (${offered[1]?.variant ?? 'credentials update'}, optional)`),
      h('input', { id: 's-exec', name: 'executionDateTime', type: 'datetime-local', step: 1 }),
    ),
    h('div', { class: 'field wide actions' }, h('button', { type: 'submit', id: 's-send' }, 'Sign and send')),
  );

  $('#s-find').addEventListener('click', async () => {
    const r = await get('/api/console/devices', { type: 'ESME', dccControlled: 'true', limit: 1 });
    if (r.devices[0]) {
      await setTrainingDevice(r.devices[0].eui);
      announce(`Device ${r.devices[0].eui} chosen`);
    } else announce('No DCC-controlled ESME left in this world');
  });
  let timer;
  $('#s-device').addEventListener('input', (e) => {
    clearTimeout(timer);
    const v = e.target.value.trim();
    timer = setTimeout(() => {
      if (/^([0-9A-Fa-f]{2}-?){7}[0-9A-Fa-f]{2}$/.test(v)) setTrainingDevice(v.toUpperCase().replace(/-/g, '').match(/../g).join('-'));
    }, 300);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = {
      service: f.get('service'),
      device: String(f.get('device')).trim(),
      role: f.get('role'),
      sender: f.get('sender') || undefined,
      certificatesOf: f.get('certificatesOf') || undefined,
      applyTimeBasedCpvChecks: f.get('applyTimeBasedCpvChecks') === 'on',
      executionDateTime: f.get('executionDateTime') ? new Date(`${f.get('executionDateTime')}Z`).toISOString() : undefined,
    };
    await send(body);
  });

  onEvent('request', (e) => {
    if (trainingEui && e.device?.eui === trainingEui && !$('#tab-training').hidden) setTrainingDevice(trainingEui, new Set(e.changedCells));
  });
  onEvent('cells', (e) => {
    if (trainingEui && e.device === trainingEui) setTrainingDevice(trainingEui, new Set(e.changedCells));
  });
  await setTrainingDevice(null);
  await initScenarios({ world, parties, setTrainingDevice, showOutcome, trainingDevice });
}

/** Sends through the console route and shows the outcome; returns the result. */
export async function send(body) {
  const out = $('#send-result');
  clear(out, h('p', { class: 'muted' }, 'Signing and sending…'));
  const button = $('#s-send');
  button.disabled = true;
  try {
    const r = await post('/api/console/send', body);
    showOutcome(r);
    const changed = new Set(r.legs.flatMap((l) => l.changedCells));
    if (body.device) await setTrainingDevice(r.device, changed);
    // bring what matters into view: the first changed cell, or why it was refused
    if (r.accepted) $('#training-device .slot.changed')?.scrollIntoView({ block: 'nearest' });
    else $('#send-result .outcome')?.scrollIntoView({ block: 'nearest' });
    return r;
  } catch (e) {
    clear(out, h('div', { class: 'outcome bad' }, h('p', { class: 'reason' }, `Could not build the request: ${e.message}`)));
    announce(`Could not build the request: ${e.message}`);
    return null;
  } finally {
    button.disabled = false;
  }
}

export function showOutcome(r) {
  const out = $('#send-result');
  const last = r.legs[r.legs.length - 1];
  // a refusal stops the exchange, so the refused leg is always the last one
  // the final outcome: acknowledged and then discarded by the device is a failure, with the device's reason
  const ok = r.succeeded ?? r.accepted;
  clear(out,
    h('div', { class: ['outcome', ok ? 'ok' : 'bad'], dataset: { accepted: String(r.accepted), code: last.responseCode, outcome: ok ? 'success' : 'failure' } },
      h('p', { class: 'headline' },
        state(ok ? 'ok' : 'bad', !r.accepted ? 'Refused' : ok ? 'Accepted' : 'Refused by the device'), ' ', h('strong', {}, last.responseCode),
        !r.accepted ? ` at step ${last.failedStep}` : ok ? '' : [' then ', h('strong', {}, r.finalResponseCode)]),
      !r.accepted ? h('p', { class: 'reason' }, h('strong', {}, 'Why: '), last.reason)
        : ok ? h('p', {}, r.summary) : h('p', { class: 'reason' }, h('strong', {}, 'Why: '), r.finalReason),
      h('p', { class: 'muted' }, `Signed as ${r.sender.name ?? r.sender.eui}; certificates of ${r.certificatesOf.name ?? r.certificatesOf.eui}.`),
      r.legs.map((l) =>
        h('div', { class: 'leg' },
          h('div', {}, `${entryTitle({ serviceReferenceVariant: r.service, commandVariant: l.commandVariant })} → /api/v1/${l.endpoint}: `, h('strong', {}, l.responseCode)),
          stepsList(l.steps),
          h('button', { type: 'button', class: 'link', onclick: () => showRequest(l.requestLogId) }, 'DUIS and GBCS of this leg'),
        ),
      ),
    ),
  );
  announce(r.summary);
}
