/**
 * 7.14 Read Auxiliary Controller Configuration Data: an ESME's auxiliary controllers' descriptions, special days
 * and schedule (ECS61d). As RTDS sends it, the DCC's ACB is the GBCS originator, MAC only, with the requesting
 * supplier and its counter in the other-information (catalogue.md §2.2, ‡).
 */
import { encodeApdu, wrapWithAcbMac } from '../../devices/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import type { ServiceModule } from '../service.ts';
import { noDspFutureDating, readAuxiliaryConfiguration } from './auxiliary-commands.ts';

const { Sequence, checkAttributes } = bodyKit;

const ECS61D = 0x011c;

interface Body {
  kind: 'ReadAuxiliaryControllerConfigurationData';
}

export const readAuxiliaryControllerConfigurationData: ServiceModule<Body> = {
  ...serviceFacts('7.14'),
  displayName: 'Read Auxiliary Controller Configuration Data',
  body: {
    element: 'ReadAuxiliaryControllerConfigurationData',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      noDspFutureDating(s, path);
      s.end();
      return { kind: 'ReadAuxiliaryControllerConfigurationData' };
    },
    write: () => '',
  },
  commandVariants: [1, 2, 3],
  endpoints: { 1: 'serviceS' },
  messageCodes: [ECS61D],
  device: {
    statuses: ['Commissioned', 'InstalledNotCommissioned'],
    suits: (_b, type) => (type === 'ESME' ? true : `auxiliary controllers are an ESME's, not a ${type}'s`),
    authorise: (_b, r) => r.needSupplier(),
  },
  example: {
    name: 'read-aux-configuration',
    build: (ctx) => ({
      originator: ctx.supplyPoint?.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${ctx.eui}`),
      target: ctx.eui,
      commandVariant: 1,
      body: { kind: 'ReadAuxiliaryControllerConfigurationData' },
    }),
  },
  needs: () => ({ acbCounter: true, deviceKeyAgreement: true }),
  handle(v, state, dcc) {
    const acbCounter = state.acbCounter!;
    const rid = v.request.requestId;
    // other-information: the supplementary remote party (the requesting supplier) and its counter
    const srp = Buffer.alloc(16);
    Buffer.from(rid.originator, 'hex').copy(srp, 0);
    srp.writeBigUInt64BE(rid.counter, 8);
    const apdu = encodeApdu({
      cra: 'command',
      counter: acbCounter,
      originator: dcc.acbEui,
      target: rid.target,
      messageCode: ECS61D,
      otherInformationExtra: srp,
      payload: readAuxiliaryConfiguration(acbCounter),
    });
    return {
      step: { name: 'command', detail: `ECS61d (0x011C) from the DCC (ACB) for ${rid.originator}, counter ${acbCounter}, ACB MAC` },
      answer: { responseCode: Codes.acknowledged },
      command: wrapWithAcbMac(apdu, dcc.acbKaKey, state.deviceKeyAgreement!),
      advanceCounter: true,
    };
  },
};
