/**
 * An alert a device raises on demand (fault injection: power outage, tamper, any code a tester names), framed
 * as the RTDS generic alerts are (catalogue.md §1.16, §2.7): an ESME or CHF sends a DLMS data-notification
 * {alert code, date-time}, a GSME or GPF a GBZ alert header; critical codes go as 0x1000 signed with the
 * device's DS key, the others as 0x1001 MAC'd to the recipient's KA key. The device's own alert counter moves on.
 */
import type { KeyObject } from 'node:crypto';
import type { Eui } from '../../pki/index.ts';
import { encodeApdu, signApdu } from '../gbcs/apdu.ts';
import { encodeDataNotification, invokeIdFor } from '../gbcs/dlms.ts';
import { encodeDlmsDateTime } from '../gbcs/dlms-time.ts';
import { encodeGbzAlert, zigbeeTime } from '../gbcs/gbz.ts';
import { wrapWithMac } from '../gbcs/mac.ts';
import { cloneState, type DeviceCredentials, type DeviceSecurityState } from './state.ts';

/** Alert codes GBCS sends critical (signed), by their framing in RTDS (catalogue.md §2.7). */
const CRITICAL = new Set([0x8f30, 0x8f36, 0x8f0a, 0x8f66, 0x8f67, 0x8f72, 0x8f85, 0x8f86, 0x8f87, 0x8f88, 0x8f8a, 0x8f8b]);

export const GENERIC_CRITICAL_ALERT = 0x1000;
export const GENERIC_NON_CRITICAL_ALERT = 0x1001;

export function isCriticalAlertCode(code: number): boolean {
  return CRITICAL.has(code);
}

/**
 * The alert, and the state with the alert counter moved on. `recipientKa`: the recipient's KA public key,
 * required for a non-critical alert (its MAC).
 */
export function raiseAlertOnDemand(
  state: DeviceSecurityState,
  creds: DeviceCredentials,
  o: { alertCode: number; now: Date; to: Eui; recipientKa?: KeyObject },
): { state: DeviceSecurityState; alert: Buffer } {
  if (!Number.isInteger(o.alertCode) || o.alertCode < 0 || o.alertCode > 0xffff) throw new RangeError(`alert code ${o.alertCode} is not two bytes`);
  const critical = isCriticalAlertCode(o.alertCode);
  if (!critical && !o.recipientKa) throw new RangeError('a non-critical alert is MACed: the recipient KA key is required');
  const next = cloneState(state);
  next.alertCounter += 1n;
  const code = Buffer.alloc(2);
  code.writeUInt16BE(o.alertCode);
  const payload = state.type === 'GSME' || state.type === 'GPF'
    ? encodeGbzAlert({ componentCount: 0, alertCode: o.alertCode, time: zigbeeTime(o.now), rest: Buffer.alloc(0) })
    : encodeDataNotification({
      invokeId: invokeIdFor(next.alertCounter),
      body: { type: 'structure', items: [{ type: 'long-unsigned', value: o.alertCode }, { type: 'octet-string', value: encodeDlmsDateTime(o.now) }] },
    });
  const apdu = encodeApdu({
    cra: 'alert', counter: next.alertCounter, originator: state.eui, target: o.to,
    messageCode: critical ? GENERIC_CRITICAL_ALERT : GENERIC_NON_CRITICAL_ALERT, payload,
  });
  return { state: next, alert: critical ? signApdu(apdu, creds.dsKey) : wrapWithMac(apdu, creds.kaKey, o.recipientKa!) };
}
