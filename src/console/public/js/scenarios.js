import { get, post, SANDBOX } from './api.js';
import { h, $, clear, state, announce, fmtTime } from './dom.js';
import { showRequest } from './timeline.js';

// Guided scenarios (GET /api/scenarios, runs stepped with POST /api/scenarios/runs/:id/next): pick
// one, read the narration, run it a step at a time and watch its requests and the cells change.
// A run starts in a fresh sandbox of the shared world: the page moves into that sandbox (and picks
// the run up again there), so that the timeline, devices and clock shown are the run's.

const HELD_RUN = 'dcc-sim-scenario-run';

const EUI_RE = /\b(?:[0-9A-F]{2}-){7}[0-9A-F]{2}\b/g;

let ctx = null;
let scenarios = [];
let run = null; // the RunSummary
let lastResult = null;

const panel = () => $('#scenarios');

export async function initScenarios(c) {
  ctx = c;
  const el = panel();
  if (!c.world.features?.scenarios) {
    clear(el, h('p', { class: 'muted' }, 'This simulator serves no guided scenarios: use the form below.'));
    return;
  }
  try {
    scenarios = await get('/api/scenarios');
  } catch (e) {
    clear(el, h('p', { class: 'error' }, `Scenarios could not be loaded: ${e.message}`));
    return;
  }
  const held = sessionStorage.getItem(HELD_RUN);
  if (held && SANDBOX) {
    try {
      const r = await get(`/api/scenarios/runs/${encodeURIComponent(held)}`);
      if (r.sandbox?.id === SANDBOX) run = r;
    } catch {
      sessionStorage.removeItem(HELD_RUN); // forgotten, or the server restarted
    }
  }
  draw();
}

function chosen() {
  const name = $('#sc-pick')?.value ?? scenarios[0]?.name;
  return scenarios.find((s) => s.name === name) ?? scenarios[0];
}

function draw() {
  const el = panel();
  const s = run ? scenarios.find((x) => x.name === run.scenario) : chosen();
  const picker = h('div', { class: 'row' },
    h('label', { for: 'sc-pick' }, 'Scenario'),
    h('select', { id: 'sc-pick', disabled: run && !done() ? true : null, onchange: pick },
      scenarios.map((x) => h('option', { value: x.name, selected: x.name === s?.name ? true : null }, x.title))),
    h('button', { type: 'button', id: 'sc-start', class: run ? 'secondary' : null, onclick: start }, run ? 'Start again' : 'Start'),
  );
  if (!s) return clear(el, h('p', { class: 'muted' }, 'No scenarios.'));
  const position = run?.position ?? 0;
  const next = run && !done() ? s.steps[position] : null;
  clear(el,
    picker,
    h('p', {}, s.summary),
    s.sources?.length ? h('details', {}, h('summary', {}, 'Sources'), h('ul', {}, s.sources.map((x) => h('li', {}, x)))) : null,
    h('ol', { class: 'scenario-steps', 'aria-label': 'Steps' },
      s.steps.map((st, i) => {
        const ok = run?.steps[i]?.ok;
        const status = ok === true ? 'done' : ok === false ? 'failed' : run && i === position ? 'next' : '';
        return h('li', { class: [status === 'done' && 'done', status === 'next' && 'current'], 'aria-current': status === 'next' ? 'step' : null },
          st.title, ' ',
          status === 'done' ? state('ok', 'done') : status === 'failed' ? state('bad', 'failed') : status === 'next' ? h('span', { class: 'muted' }, '(next)') : null);
      }),
    ),
    run
      ? h('div', {},
          next ? h('div', { class: 'narration', id: 'sc-narration' }, h('strong', {}, `Step ${position + 1}: ${next.title}. `), next.narration) : null,
          h('div', { class: 'row' },
            next ? h('button', { type: 'button', id: 'sc-next', onclick: step }, `Run step ${position + 1}`) : null,
            next ? h('button', { type: 'button', class: 'secondary', id: 'sc-finish', onclick: finish }, 'Run the rest') : null,
            done() ? h('p', { id: 'sc-done', class: run.status === 'passed' ? null : 'error', role: 'status' },
              state(run.status === 'passed' ? 'ok' : 'bad', run.status === 'passed' ? 'Scenario passed' : 'Scenario failed')) : null,
          ),
          lastResult ? renderResult(lastResult) : null,
        )
      : h('p', { class: 'muted' }, 'Start the scenario to run it a step at a time in a sandbox of its own: a fresh copy of the shared world, so the shared world and its clock do not change and the scenario can run again.'),
  );
}

/** Another scenario picked once a run is over: that run is put aside, so Start starts the one picked. */
function pick() {
  if (done()) {
    run = null;
    lastResult = null;
  }
  draw();
}

/** A step may move the simulated clock (the 7-day rule): tell the page when it jumped. */
function clockMoved(iso) {
  const shown = Date.parse($('#clock-now')?.dateTime ?? '');
  if (iso && (!Number.isFinite(shown) || Math.abs(Date.parse(iso) - shown) > 60_000)) window.dispatchEvent(new CustomEvent('dcc-clock', { detail: iso }));
}

const done = () => run && (run.status === 'passed' || run.status === 'failed');

async function start() {
  const s = chosen();
  lastResult = null;
  try {
    run = await post(`/api/scenarios/${encodeURIComponent(s.name)}/runs`);
  } catch (e) {
    announce(`The scenario could not start: ${e.message}`);
    return;
  }
  if (run.sandbox && run.sandbox.id !== SANDBOX) {
    // follow the run into its sandbox: the page there picks it up
    sessionStorage.setItem(HELD_RUN, run.runId);
    location.assign(`/?sandbox=${run.sandbox.id}#training`);
    return;
  }
  draw();
  announce(`Scenario started: ${s.title}. Step 1: ${s.steps[0]?.title}`);
  $('#sc-next')?.focus();
}

async function step() {
  const b = $('#sc-next');
  if (b) b.disabled = true;
  try {
    lastResult = await post(`/api/scenarios/runs/${run.runId}/next`);
  } catch (e) {
    announce(`The step could not run: ${e.message}`);
    if (b) b.disabled = false;
    return;
  }
  run = await get(`/api/scenarios/runs/${run.runId}`);
  draw();
  clockMoved(lastResult.simulatedTime);
  await showDeviceOf(lastResult);
  announce(`${lastResult.title}: ${lastResult.ok ? 'done' : 'failed'}. ${lastResult.happened.join('. ')}`);
  ($('#sc-next') ?? $('#sc-start'))?.focus();
}

async function finish() {
  try {
    run = await post(`/api/scenarios/runs/${run.runId}/finish`);
  } catch (e) {
    announce(`The scenario could not finish: ${e.message}`);
    return;
  }
  lastResult = run.results.at(-1) ?? null;
  draw();
  if (lastResult) clockMoved(lastResult.simulatedTime);
  if (lastResult) await showDeviceOf(lastResult);
  announce(`Scenario ${run.status}`);
}

/** The device a step is about: what its requests targeted or its cells changed, else the first device EUI it names. */
async function showDeviceOf(r) {
  const parties = new Set(ctx.parties.map((p) => p.eui));
  const dashed = (e) => e.replace(/-/g, '').match(/../g).join('-').toUpperCase();
  let eui = [...r.cellsChanged.map((c) => dashed(c.device)), ...r.requests.map((q) => dashed(q.target))].find((e) => !parties.has(e));
  // a device the narration names may not be in the inventory yet (about to be pre-notified): ask before showing it
  for (const e of eui ? [] : r.happened.flatMap((t) => t.match(EUI_RE) ?? []).filter((x) => !parties.has(x))) {
    const found = await get('/api/console/devices', { eui: e, limit: 1 }).catch(() => null);
    if (found?.devices?.some((d) => dashed(d.eui) === e)) {
      eui = e;
      break;
    }
  }
  eui ??= ctx.trainingDevice();
  if (!eui) return;
  const changed = new Set(r.cellsChanged.filter((c) => dashed(c.device) === eui).map((c) => c.cell));
  await ctx.setTrainingDevice(eui, changed);
  $('#training-device .slot.changed')?.scrollIntoView({ block: 'nearest' });
}

function holder(x) {
  return x ? `${x.name ?? x.eui ?? 'certificate'}${x.role ? ` (${x.role})` : ''}` : '(empty)';
}

/** One leg of a request taken apart (a critical request has two: the request and its signed pre-command). */
async function openRequest(requestId, commandVariant) {
  const legs = await get('/api/console/requests', { requestId, limit: 5 });
  const leg = legs.find((l) => l.commandVariant === commandVariant) ?? legs[0];
  if (leg) await showRequest(leg.id);
}

/** Buttons that take each leg apart: its DUIS and the annotated GBCS it carried. */
function legButtons(q) {
  const name = (l) => (q.legs.length < 2 ? 'DUIS and GBCS' : l.commandVariant === 5 ? 'DUIS and GBCS: signed pre-command, the device\'s answer' : 'DUIS and GBCS: the request, its pre-command');
  return q.legs.map((l) => h('button', { type: 'button', class: 'link', onclick: () => openRequest(q.requestId, l.commandVariant) }, name(l)));
}

/** A line naming request log entries (the DCC's own commands, no DUIS request) links each to its detail. */
function happenedLine(t) {
  const m = /request log (#\d+(?:, #\d+)*)/.exec(t);
  if (!m) return t;
  const ids = m[1].split(', ').map((x) => Number(x.slice(1)));
  const links = ids.flatMap((id, i) => [i ? ', ' : '', h('button', { type: 'button', class: 'link', onclick: () => showRequest(id) }, `#${id}`)]);
  return [t.slice(0, m.index), 'request log ', links, t.slice(m.index + m[0].length)];
}

function renderResult(r) {
  return h('section', { class: 'scenario-result', 'aria-labelledby': 'sc-result-h' },
    h('h3', { id: 'sc-result-h' }, `Step ${r.index + 1}: ${r.title} `, state(r.ok ? 'ok' : 'bad', r.ok ? 'done' : 'failed')),
    h('p', { class: 'muted' }, `Simulated time ${fmtTime(r.simulatedTime)}`),
    r.error ? h('p', { class: 'error' }, r.error) : null,
    r.happened.length ? h('ul', { class: 'happened' }, r.happened.map((t) => h('li', {}, happenedLine(t)))) : null,
    r.requests.length
      ? [h('h4', {}, 'Requests'), h('ul', { class: 'sc-requests' }, r.requests.map((q) =>
          h('li', { dataset: { service: q.service, requestId: q.requestId } },
            // the request's final outcome, whatever the step expected of it: a refusal is shown as one
            state((q.succeeded ?? true) ? 'ok' : 'bad', `${q.finalResponseCode ?? q.outcome} ${(q.succeeded ?? true) ? 'success' : 'failure'}`), ' ',
            h('strong', {}, q.description), ` from ${q.senderName}: `,
            q.legs.map((l) => `${l.endpoint} CV${l.commandVariant} ${l.responseCode}`).join(', '),
            q.asyncResponses.length ? `; device answered ${q.asyncResponses.map((a) => a.responseCode).join(', ')}` : '',
            q.reason ? h('div', { class: 'error' }, q.reason) : null,
            q.deviceDetail ? h('div', { class: 'error' }, q.deviceDetail) : null,
            legButtons(q),
          )))]
      : null,
    r.cellsChanged.length
      ? [h('h4', {}, 'Cells changed'), h('ul', { class: 'sc-cells' }, r.cellsChanged.map((c) => h('li', {}, h('span', { class: 'changed-tag' }, c.cell), ` ${holder(c.before)} → ${holder(c.after)}`)))]
      : null,
    r.assertions.length
      ? [h('h4', {}, 'Checks'), h('ul', { class: 'checks' }, r.assertions.map((a) => h('li', {}, state(a.ok ? 'ok' : 'bad', a.ok ? 'held' : 'failed'), ' ', a.message)))]
      : null,
  );
}
