import { get, post, del, SANDBOX } from './api.js';
import { h, $, clear, announce } from './dom.js';

// The world switcher: the shared world or one of its training sandboxes (private copies with their
// own clock, POST /api/sandboxes). Entering a sandbox reloads the page at /?sandbox=ID, so that
// every view, the live timeline included, shows that world; the header says which one it is.

/** Opens the console on a world: a sandbox id, or null for the shared world; the tab stays. */
export function enterWorld(id) {
  location.assign(`${id ? `/?sandbox=${id}` : '/'}${location.hash}`);
}

/** Draws the switcher; false when the page names a sandbox that no longer exists (the page says so). */
export async function initSandboxes() {
  const el = $('#world-switch');
  const list = await get('/api/sandboxes');
  const current = SANDBOX ? list.find((s) => s.id === SANDBOX) : null;
  document.body.dataset.world = SANDBOX ? 'sandbox' : 'shared';
  if (SANDBOX && !current) {
    clear(el, h('p', { class: 'error', role: 'alert', id: 'world-gone' }, `Sandbox ${SANDBOX} does not exist any more. `, h('a', { href: `/${location.hash}` }, 'Back to the shared world')));
    return false;
  }
  const status = h('span', { id: 'sandbox-status', class: 'visually-hidden', role: 'status' });
  const name = h('input', { id: 'sandbox-name', type: 'text', maxlength: 80, placeholder: 'name (optional)', 'aria-label': 'New sandbox name' });
  const act = (label, fn) => async () => {
    try {
      await fn();
    } catch (e) {
      status.textContent = `${label} failed: ${e.message}`;
      announce(status.textContent);
    }
  };
  clear(el,
    h('label', { for: 'world-pick', class: 'world-label' }, 'World'),
    h('select', { id: 'world-pick', onchange: (e) => enterWorld(e.target.value || null) },
      h('option', { value: '' }, 'Shared world'),
      list.map((s) => h('option', { value: s.id, selected: s.id === SANDBOX ? true : null }, `Sandbox: ${s.name}`))),
    current
      ? [
          h('span', { id: 'world-banner', class: 'badge sandbox-badge', title: 'a private copy of the shared world: what happens here stays here' }, `Sandbox “${current.name}” · own clock`),
          h('button', { type: 'button', id: 'sandbox-reset', onclick: act('Reset', async () => {
            if (!confirm(`Reset sandbox “${current.name}” to the copy made when it was created? Its requests, device changes and clock since then are lost.`)) return;
            await post(`/api/sandboxes/${current.id}/reset`);
            location.reload();
          }) }, 'Reset'),
          h('button', { type: 'button', id: 'sandbox-drop', class: 'secondary', onclick: act('Drop', async () => {
            if (!confirm(`Drop sandbox “${current.name}” and its files?`)) return;
            await del(`/api/sandboxes/${current.id}`);
            enterWorld(null);
          }) }, 'Drop'),
          h('button', { type: 'button', id: 'sandbox-leave', class: 'secondary', onclick: () => enterWorld(null) }, 'Back to shared world'),
        ]
      : [
          name,
          h('button', { type: 'button', id: 'sandbox-new', onclick: act('New sandbox', async () => {
            const s = await post('/api/sandboxes', name.value.trim() ? { name: name.value.trim() } : {});
            enterWorld(s.id);
          }) }, 'New sandbox'),
        ],
    status,
  );
  return true;
}
