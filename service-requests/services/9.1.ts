/**
 * 9.1 Request Customer Identification Number: the DCC draws a CIN and its ACB sets it on the ESME (ECS50) or
 * the GSME (GCS36), the User's RequestID travelling in other-information (‡, as RTDS). The consumer reads it off
 * the meter's display to prove to the User that they are at the premises.
 */
import { decodeGbcsMessage } from '../../devices/index.ts';
import { deviceCommandService, emptyBody } from './device-command.ts';
import { cinFor, esmeCin, gsmeCin } from './display-commands.ts';

/** The CIN a 9.1 command sets: the ESME's octet-string, or the GSME's Update CIN string (after event, time, provider). */
export function cinOfCommand(command: Buffer): string | undefined {
  const { body } = decodeGbcsMessage(command);
  if (body.kind === 'dlms-request') {
    const d = body.request.data[0];
    return d?.type === 'octet-string' ? d.value.toString('latin1') : undefined;
  }
  if (body.kind === 'gbz') {
    const p = body.gbz.components[0]?.payload;
    return p && p.length > 12 ? p.subarray(13, 13 + p[12]!).toString('latin1') : undefined;
  }
  return undefined;
}

export const requestCustomerIdentificationNumber = deviceCommandService({
  variant: '9.1',
  displayName: 'Request Customer Identification Number',
  body: emptyBody('RequestCustomerIdentificationNumber'),
  // an Other User (the matrix's only role): no registration relationship with the meter is needed
  sender: 'anyUser',
  command(_b, type, { counter, now }) {
    if (type === 'ESME') return { useCase: 'ECS50', messageCode: 0x0058, payload: esmeCin(counter, cinFor(counter, now)), viaAcb: true };
    if (type === 'GSME') return { useCase: 'GCS36', messageCode: 0x0083, payload: gsmeCin(now, cinFor(counter, now)), viaAcb: true };
    return `a CIN is shown by an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'request-cin', body: () => ({ kind: 'RequestCustomerIdentificationNumber' as const }) },
  // DUIS answers 9.1 with a CINMessage: the device's response and the CIN, which the consumer reads off the meter
  deviceResponseContent(response, command) {
    const cin = cinOfCommand(command);
    return cin ? { cinMessage: { gbcsPayload: response, cin } } : { gbcsPayload: response };
  },
});
