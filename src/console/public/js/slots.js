import { get, at } from './api.js';
import { h, fmtDate, fmtTime, state, MATCH_TEXT, COMPLIANCE_TEXT, party } from './dom.js';
import { openDialog } from './dialog.js';

// A device's trust-anchor cells drawn as slots: holder, role, key usage, serial, validity, and
// whether it is the party registration data expects — in colour and in words.

export function deviceHeader(view, headingId, { level = 'h2' } = {}) {
  const d = view.device;
  const c = view.compliance;
  return [
    h('div', { class: 'device-head' },
      h(level, { id: headingId, tabindex: '-1' }, `${d.type} ${d.euiDashed}`),
      state(c.state, c.state === 'not-applicable' ? (d.type === 'ESME' || d.type === 'GPF' ? 'NO cells: assessed from commissioning' : 'no NO cells') : `NO cells: ${COMPLIANCE_TEXT[c.state]}`, c.note),
    ),
    h('dl', { class: 'device-meta' },
      h('dt', {}, 'Status'), h('dd', {}, d.status, d.commissionedAt ? ` since ${fmtDate(d.commissionedAt)}` : ''),
      h('dt', {}, 'MPxN'), h('dd', { class: 'mono' }, d.mpxn ?? '—'),
      h('dt', {}, 'Registered supplier'), h('dd', {}, view.registeredSupplier ? `${view.registeredSupplier.name} (${view.registeredSupplier.eui})` : '—'),
      h('dt', {}, 'Registered network operator'), h('dd', {}, view.registeredNetworkOperator ? `${view.registeredNetworkOperator.name} (${view.registeredNetworkOperator.eui})` : '—'),
      h('dt', {}, 'Comms hub'), h('dd', { class: 'mono' }, view.commsHub ?? '—'),
      h('dt', {}, 'Post-commissioning'), h('dd', {}, c.note),
      ...(view.pendingCommands.length
        ? [h('dt', {}, 'Future-dated'), h('dd', {}, view.pendingCommands.map((p) => `${party(p.originator)} at ${fmtTime(p.executeAt)}`).join('; '))]
        : []),
    ),
  ];
}

export function renderSlots(view, changed = new Set()) {
  return h('ul', { class: 'slots', 'aria-label': `Trust-anchor cells of ${view.device.euiDashed}` },
    view.slots.map((slot) => renderSlot(slot, changed.has(slot.cell))),
  );
}

function renderSlot(slot, isChanged) {
  const c = slot.certificate;
  const holder = c ? (c.holder ?? c.holderEui ?? c.kind) : 'empty';
  return h('li', { class: ['slot', slot.match, isChanged && 'changed'], dataset: { cell: slot.cell, match: slot.match } },
    h('h3', {},
      h('span', {}, slot.label, ' ', h('span', { class: 'slot-role' }, `${slot.remotePartyRole} · ${slot.keyUsage}${slot.cellUsage === 'prepaymentTopUp' ? ' · top-up' : ''}`)),
      isChanged ? h('span', { class: 'changed-tag' }, 'Changed') : null,
    ),
    h('div', { class: 'holder', dataset: { role: 'holder' } }, holder),
    c
      ? h('dl', {},
          h('dt', {}, 'Holder EUI'), h('dd', { class: 'mono' }, c.holderEui ?? '—'),
          h('dt', {}, 'Role'), h('dd', {}, c.role ?? c.kind),
          h('dt', {}, 'Key usage'), h('dd', {}, c.keyUsage),
          h('dt', {}, 'Serial'), h('dd', { class: 'mono' }, c.serial),
          h('dt', {}, 'Valid'), h('dd', {}, `${fmtDate(c.notBefore)} → ${fmtDate(c.notAfter)}`, c.revoked ? h('strong', {}, ' (revoked)') : ''),
        )
      : null,
    h('p', { class: 'note' }, state(slot.match, MATCH_TEXT[slot.match]), ' ', slot.note),
    c
      ? h('div', { class: 'slot-actions' },
          h('button', { type: 'button', class: 'link', onclick: () => showCertificate(c.id), 'aria-label': `Certificate details of ${slot.label}` }, 'Details'),
          h('a', { href: at(`/api/console/certificates/${c.id}/pem`), download: '', 'aria-label': `Download ${slot.label} certificate as PEM` }, 'PEM'),
        )
      : null,
  );
}

export async function showCertificate(id) {
  const c = await get(`/api/console/certificates/${id}`);
  openDialog(`Certificate ${c.serial}`,
    h('dl', { class: 'fields' },
      h('dt', {}, 'Label'), h('dd', {}, c.label ?? '—'),
      h('dt', {}, 'Kind'), h('dd', {}, c.kind),
      h('dt', {}, 'Subject'), h('dd', {}, c.subject ? `${c.subject.name ?? ''} (${c.subject.eui})` : '—'),
      h('dt', {}, 'Subject DN'), h('dd', { class: 'mono' }, c.subjectDn),
      h('dt', {}, 'Issuer DN'), h('dd', { class: 'mono' }, c.issuerDn),
      h('dt', {}, 'Remote party role'), h('dd', {}, c.role === null ? '—' : `${c.role} (${c.roleCode})`),
      h('dt', {}, 'Key usage'), h('dd', {}, c.keyUsage),
      h('dt', {}, 'Serial'), h('dd', { class: 'mono' }, `${c.serial} (${c.serialDecimal})`),
      h('dt', {}, 'Validity'), h('dd', {}, `${fmtTime(c.notBefore)} → ${fmtTime(c.notAfter)} `, state(c.validNow ? 'ok' : 'bad', c.validNow ? 'valid now' : 'not valid now', 'by the simulated clock')),
      h('dt', {}, 'Revocation'), h('dd', {}, c.revoked ? state('bad', `revoked ${fmtTime(c.revokedAt)} (${c.revocationReason ?? 'no reason'})`) : state('ok', 'not revoked')),
      h('dt', {}, 'Subject key id'), h('dd', { class: 'mono' }, c.ski || '—'),
      h('dt', {}, 'Authority key id'), h('dd', { class: 'mono' }, c.aki ?? '—'),
      h('dt', {}, 'SHA-256'), h('dd', { class: 'mono' }, c.fingerprint),
    ),
    h('p', {}, h('a', { href: at(`/api/console/certificates/${c.id}/pem`), download: '' }, 'Download PEM')),
    h('pre', { class: 'pem', 'aria-label': 'PEM' }, c.pem),
  );
}
