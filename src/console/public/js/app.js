import { get, post } from './api.js';
import { $, $$, fmtTime, announce } from './dom.js';
import { initDialog } from './dialog.js';
import { initTimeline, onEvent, showRequest } from './timeline.js';
import { initDevices, showDevice, hideDevice, searchFor } from './devices.js';
import { initTraining, trainingDevice, setTrainingDevice } from './training.js';
import { initReports } from './reports.js';
import { initMailboxes, routeMailboxes } from './mailboxes.js';
import { initLibrary, routeLibrary } from './library.js';
import { initSandboxes } from './sandboxes.js';

// The console's entry point: tabs by URL hash (#devices, #devices/EUI, #training, #reports,
// #mailboxes, #mailboxes/EUI, #library, #library/EUI), the
// simulated clock, and the live timeline shared by every tab.

let reportsLoaded = false;
let libraryLoaded = false;

function setClock(now) {
  const t = $('#clock-now');
  t.dateTime = now;
  t.textContent = fmtTime(now);
}

let world = null;

async function route() {
  // #devices?supplier=…&compliance=…: the Devices tab searching for exactly those (the reports link there)
  const [path, search] = location.hash.slice(1).split('?');
  const hash = decodeURIComponent(path) || 'devices';
  const [tab, arg] = hash.split('/');
  // #request/ID: one request's DUIS and GBCS, over whatever tab is showing (a URL per request)
  if (tab === 'request' && /^\d+$/.test(arg ?? '')) {
    await showRequest(Number(arg));
    return;
  }
  const name = ['devices', 'training', 'reports', 'mailboxes', 'library'].includes(tab) ? tab : 'devices';
  for (const s of $$('.tab')) s.hidden = s.id !== `tab-${name}`;
  for (const a of $$('.tabs a[data-tab]')) {
    if (a.dataset.tab === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `dcc-sim console — ${name[0].toUpperCase()}${name.slice(1)}`;
  if (name === 'devices') {
    if (search !== undefined) await searchFor(Object.fromEntries(new URLSearchParams(search)));
    if (arg) await showDevice(arg);
    else hideDevice();
  } else if (name === 'training') {
    if (arg) await setTrainingDevice(arg);
    else if (trainingDevice()) await setTrainingDevice(trainingDevice());
  } else if (name === 'reports' && !reportsLoaded) {
    reportsLoaded = true;
    await initReports(world);
  } else if (name === 'mailboxes') {
    await routeMailboxes(arg);
  } else if (name === 'library') {
    if (!libraryLoaded) {
      libraryLoaded = true;
      await initLibrary();
    }
    routeLibrary(arg);
  }
}

async function main() {
  initDialog();
  // a page left open on a sandbox someone dropped says so, rather than failing on every call
  if (!(await initSandboxes())) {
    document.body.dataset.ready = 'true';
    return;
  }
  let parties;
  [world, parties] = await Promise.all([get('/api/console/world'), get('/api/console/parties')]);
  $('#world-badge').textContent = `${world.profile ?? 'world'} · ${world.devices.toLocaleString('en-GB')} devices${world.networkOperatorCheck ? '' : ' · NO check off'}`;
  setClock(world.now);
  onEvent('clock', setClock);
  window.addEventListener('dcc-clock', (e) => setClock(e.detail));

  $('#clock-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await post('/api/clock', { advance: $('#clock-advance').value });
    setClock(r.now);
    announce(`Simulated time is now ${fmtTime(r.now)}`);
    window.dispatchEvent(new CustomEvent('dcc-clock', { detail: r.now }));
  });
  $('#clock-real').addEventListener('click', async () => {
    // Real time may be earlier than the simulated time: moving back can undo the 7-day rule's
    // story and leaves future-dated commands waiting, so the user says yes first.
    const shown = Date.parse($('#clock-now').dateTime);
    if (Number.isFinite(shown) && shown > Date.now() + 60_000 && !confirm(`Real time moves the simulated clock back from ${fmtTime(new Date(shown).toISOString())} to ${fmtTime(new Date().toISOString())}. Move it back?`)) return;
    const r = await post('/api/clock', { real: true });
    setClock(r.now);
    announce(`Simulated time follows the real clock: ${fmtTime(r.now)}`);
    window.dispatchEvent(new CustomEvent('dcc-clock', { detail: r.now }));
  });

  await initTimeline();
  await initDevices(world, parties);
  await initTraining(world, parties);
  initMailboxes();
  window.addEventListener('hashchange', route);
  await route();
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  document.body.dataset.ready = 'error';
  const p = document.createElement('p');
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.textContent = `The console could not start: ${e.message}`;
  document.querySelector('main')?.prepend(p);
});
