/**
 * 8.14.3 Communications Hub Status Update - Fault Return: the hub's responsible supplier returns a
 * faulty hub. Non-device: the DCC withdraws it (Withdrawn) and answers I0. A fault "identified prior
 * to installation" must be on a hub never installed (Pending, Whitelisted), one "post installation"
 * on a hub that was (E081406). The shared rules and codes (E0814xx) are in comms-hub-status.ts.
 */
import { dashedEui, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import type { ServiceModule } from '../service.ts';
import {
  CHF_CONNECTION_METHODS, CHF_FAULT_REASONS, CHF_FAULT_RETURN_TYPES, readAdditionalInformation, readUserReference, returned,
  writeAdditionalInformation, writeUserReference, type UserReference, hubExample,
} from './comms-hub-status.ts';

const { Sequence, checkAttributes, readEui, readString, readStringEnum, textEl, writeEnum, writeEui, writeString } = bodyKit;

interface Body {
  kind: 'CHFFaultReturn';
  deviceId: Eui;
  returnType: (typeof CHF_FAULT_RETURN_TYPES)[number];
  reference: UserReference;
  /** the device the hub was connected to or found with (e.g. its ESME) */
  otherDeviceId: Eui;
  incidentReference?: string;
  connectionMethod: (typeof CHF_CONNECTION_METHODS)[number];
  faultReason: (typeof CHF_FAULT_REASONS)[number];
  additionalInformation?: string;
}

export const chfFaultReturn: ServiceModule<Body> = {
  ...serviceFacts('8.14.3'),
  displayName: 'Communications Hub Status Update - Fault Return',
  body: {
    element: 'CHFFaultReturn',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
      const returnType = readStringEnum(s.required('CHFFaultReturnType'), `${path}/sr:CHFFaultReturnType`, CHF_FAULT_RETURN_TYPES, 'CHFFaultReturnType') as Body['returnType'];
      const reference = readUserReference(s, path, 'UserRefDateTime');
      const otherDeviceId = readEui(s.required('OtherDeviceID'), `${path}/sr:OtherDeviceID`);
      const incident = s.optional('IncidentReference');
      const incidentReference = incident ? readString(incident, `${path}/sr:IncidentReference`, 0, 15) : undefined;
      const connectionMethod = readStringEnum(s.required('CHFConnectionMethod'), `${path}/sr:CHFConnectionMethod`, CHF_CONNECTION_METHODS, 'CHFConnectionMethod') as Body['connectionMethod'];
      const faultReason = readStringEnum(s.required('CHFFaultReason'), `${path}/sr:CHFFaultReason`, CHF_FAULT_REASONS, 'CHFFaultReason') as Body['faultReason'];
      const additionalInformation = readAdditionalInformation(s, path);
      s.end();
      return {
        kind: 'CHFFaultReturn', deviceId, returnType, reference, otherDeviceId, connectionMethod, faultReason,
        ...(incidentReference !== undefined ? { incidentReference } : {}), ...(additionalInformation !== undefined ? { additionalInformation } : {}),
      };
    },
    write: (b) =>
      textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId')) +
      textEl('CHFFaultReturnType', writeEnum(b.returnType, 'body.returnType', CHF_FAULT_RETURN_TYPES)) +
      writeUserReference(b.reference, 'UserRefDateTime') +
      textEl('OtherDeviceID', writeEui(b.otherDeviceId, 'body.otherDeviceId')) +
      (b.incidentReference !== undefined ? textEl('IncidentReference', writeString(b.incidentReference, 'body.incidentReference', 0, 15)) : '') +
      textEl('CHFConnectionMethod', writeEnum(b.connectionMethod, 'body.connectionMethod', CHF_CONNECTION_METHODS)) +
      textEl('CHFFaultReason', writeEnum(b.faultReason, 'body.faultReason', CHF_FAULT_REASONS)) +
      writeAdditionalInformation(b.additionalInformation),
  },
  example: {
    name: 'hub-fault-return',
    preNotifiedHub: true,
    build: (ctx) => {
      const { hub, ...rid } = hubExample(ctx, false);
      // a hub never installed had its fault found before installation
      const installed = !['Pending', 'Whitelisted'].includes(ctx.device!.status);
      return {
        ...rid,
        body: {
          kind: 'CHFFaultReturn', deviceId: hub, returnType: installed ? 'Fault identified post installation' : 'Fault identified prior to installation', reference: {},
          otherDeviceId: hub, connectionMethod: 'Hot-shoe', faultReason: installed ? 'SM WAN Fault' : 'Damaged case',
        },
      };
    },
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  describe: (b) => [
    { label: 'DeviceID', value: dashedEui(b.deviceId) },
    { label: 'Fault', value: `${b.returnType}: ${b.faultReason} (${b.connectionMethod}, with ${dashedEui(b.otherDeviceId)})` },
  ],
  needs: (v) => ({ inventoryDevices: [v.request.body.deviceId] }),
  handle(v, state) {
    const b = v.request.body;
    const when = b.returnType === 'Fault identified prior to installation' ? 'before' : 'after';
    return returned(v, state, b.deviceId, `fault: ${b.faultReason}, ${b.returnType.toLowerCase()}, with ${dashedEui(b.otherDeviceId)}`, when);
  },
};
