/**
 * The alert code of any GBCS alert, whatever its family (catalogue.md §2.7): a DLMS data-notification's
 * first element, a GBZ alert header, or the leading INTEGER of an ASN.1 alert (CS02b, CS06, CCS08, ...).
 */
import { BerReader, TAG } from './ber.ts';
import { decodeGbcsMessage } from './message.ts';

/** Four upper-case hex digits, e.g. '8F66'; '0000' when the message is not an alert one can read. */
export function alertCodeOf(message: Buffer): string {
  const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  try {
    const m = decodeGbcsMessage(message);
    const b = m.body;
    if (b.kind === 'gbz-alert') return hex4(b.alert.alertCode);
    if (b.kind === 'dlms-notification') {
      const first = b.notification.body.type === 'structure' ? b.notification.body.items[0] : b.notification.body;
      return first && first.type === 'long-unsigned' ? hex4(first.value) : '0000';
    }
    if (b.kind === 'cs02b-alert') return hex4(b.alert.alertCode);
    const top = BerReader.of(m.apdu.payload, 'alert');
    const seq = top.read(TAG.SEQUENCE, 'alert');
    const r = top.inner(seq, 'alert');
    return hex4(r.small('alertCode', 0, 0xffff, 'alert code'));
  } catch {
    return '0000';
  }
}
