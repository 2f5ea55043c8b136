/**
 * 8.13 Return Local Command Response: a User delivered a command locally (CommandVariant 2 or 6: the
 * DCC gave it the GBCS, an installer's hand-held terminal carried it over the HAN) and returns the
 * device's GBCS response to the DCC. Non-device: the DCC answers I0 with no content.
 *
 * What dcc-sim does with it: it takes the response as the device's answer to the original request
 * and records it in the request log (device, message code, counter, payload), after checking that it
 * is one: a GBCS response (not a command or an alert) from a device in the inventory that still takes
 * device services, addressed to the sender, and, when OriginalRequestID is given, answering that
 * request (same User, same device, the GBCS counter its RequestID counter). It changes nothing in the
 * inventory or the device's security state, and the device's signature is not verified (a handler gets no
 * device certificate from the shell yet). The response may be MAC'd to the User (general ciphering), as a
 * meter answers a command given to it locally (POST /api/han/local-delivery).
 */
import { decodeApdu, decodeGbcsMessage, GbcsError } from '../../devices/index.ts';
import { dashedEui, DCC_EUI, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts, type RequestId } from '../duis/index.ts';
import { parseRequestIdText } from '../duis/values.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { ServiceModule } from '../service.ts';

const { Sequence, checkAttributes, formatRequestId, readBase64, readRequestId, textEl, writeBase64 } = bodyKit;

interface Body {
  kind: 'ReturnLocalCommandResponse';
  originalRequestId?: RequestId;
  deviceGbcsResponse: Buffer;
}

/** dcc-sim's assignment of the E0813xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0813 = {
  notResponse: 'E081301', // DeviceGBCSResponse is not a GBCS response (undecodable, or a command or an alert)
  notForRequest: 'E081302', // not addressed to the sender, or not the answer to OriginalRequestID (User, device, counter)
  device: 'E081303', // the responding device is not in the inventory, or no longer takes device services
} as const;

/** Statuses at which a device takes commands, locally delivered ones included. */
const COMMANDABLE = ['InstalledNotCommissioned', 'Commissioned'];

/** The response's GBCS header, or why it is not a device's response. */
function responseOf(b: Body): ReturnType<typeof decodeApdu> | string {
  try {
    // a response MAC'd to the User (general ciphering, DD) carries the APDU inside
    const apdu = b.deviceGbcsResponse[0] === 0xdd ? decodeGbcsMessage(b.deviceGbcsResponse).apdu : decodeApdu(b.deviceGbcsResponse);
    return apdu.cra === 'response' ? apdu : `DeviceGBCSResponse is a GBCS ${apdu.cra}, not a response`;
  } catch (e) {
    if (e instanceof GbcsError) return `DeviceGBCSResponse is not a GBCS response: ${e.message}`;
    throw e;
  }
}

export const returnLocalCommandResponse: ServiceModule<Body> = {
  ...serviceFacts('8.13'),
  displayName: 'Return Local Command Response',
  body: {
    element: 'ReturnLocalCommandResponse',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const original = s.optional('OriginalRequestID');
      const originalRequestId = original ? readRequestId(original, `${path}/sr:OriginalRequestID`) : undefined;
      const deviceGbcsResponse = readBase64(s.required('DeviceGBCSResponse'), `${path}/sr:DeviceGBCSResponse`);
      s.end();
      return { kind: 'ReturnLocalCommandResponse', ...(originalRequestId ? { originalRequestId } : {}), deviceGbcsResponse };
    },
    write: (b) =>
      (b.originalRequestId ? textEl('OriginalRequestID', formatRequestId(b.originalRequestId)) : '') +
      textEl('DeviceGBCSResponse', writeBase64(b.deviceGbcsResponse, 'body.deviceGbcsResponse')),
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  // the device's answer to the newest command its User had delivered locally, returned by that User
  example: {
    name: 'return-local-response',
    prefers: 'localResponse',
    build(ctx) {
      const local = ctx.locallyDeliveredResponse?.() ?? ctx.fail('bad-argument',
        'the device has answered no command delivered to it locally: obtain one with command variant 2 (e.g. 4.1.1) and give it to the device (POST /api/han/local-delivery) first; the console\'s request library does both for you');
      const originalRequestId = parseRequestIdText(local.requestId) ?? ctx.fail('bad-argument', `the request log's ${local.requestId} is not a RequestID`);
      return { originator: originalRequestId.originator, target: DCC_EUI, commandVariant: 8, body: { kind: 'ReturnLocalCommandResponse', originalRequestId, deviceGbcsResponse: local.response } };
    },
  },
  describe: (b) => [
    ...(b.originalRequestId ? [{ label: 'OriginalRequestID', value: b.originalRequestId.text }] : []),
    { label: 'DeviceGBCSResponse', gbcs: b.deviceGbcsResponse, title: 'device response (returned locally)' },
  ],
  needs(v) {
    const apdu = responseOf(v.request.body);
    return typeof apdu === 'string' ? {} : { inventoryDevices: [apdu.originator] };
  },
  handle(v, state) {
    const b = v.request.body;
    const fail = (code: string, reason: string): never => refuse(v, code, 'local-response', reason);
    const r = responseOf(b);
    const apdu = typeof r === 'string' ? fail(Codes0813.notResponse, r) : r;
    const from: Eui = apdu.originator;
    if (apdu.target !== v.sender.eui) {
      fail(Codes0813.notForRequest, `the response is addressed to ${dashedEui(apdu.target)}, not to ${v.sender.name} (${dashedEui(v.sender.eui)})`);
    }
    const o = b.originalRequestId;
    if (o && (o.originator !== v.sender.eui || o.target !== from || o.counter !== apdu.counter)) {
      fail(Codes0813.notForRequest, `OriginalRequestID ${o.text} is not the request this response answers (${dashedEui(v.sender.eui)} to ${dashedEui(from)}, counter ${apdu.counter})`);
    }
    const device = state.inventoryDevices?.get(from) ?? fail(Codes0813.device, `the responding device ${dashedEui(from)} is not in the smart metering inventory`);
    const what = `${device.type} ${dashedEui(from)}`;
    if (!COMMANDABLE.includes(device.status)) fail(Codes0813.device, `${what} is ${device.status}: it takes no device commands, so it answers none`);
    const code = apdu.messageCode.toString(16).toUpperCase().padStart(4, '0');
    return {
      step: {
        name: 'local-response',
        detail: `${what} answered message code 0x${code}, counter ${apdu.counter} (${apdu.form}), payload ${apdu.payload.toString('hex').toUpperCase()}: recorded as the response to ${o?.text ?? `its request with counter ${apdu.counter}`}`,
      },
      answer: { responseCode: Codes.success },
      advanceCounter: true,
    };
  },
};
