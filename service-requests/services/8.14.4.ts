/**
 * 8.14.4 Communications Hub Status Update - No Fault Return: the hub's responsible supplier returns a
 * hub that is not faulty (no longer needed, replaced by another variant, or lost or stolen).
 * Non-device: the DCC withdraws it (Withdrawn) and answers I0. The shared rules and codes (E0814xx)
 * are in comms-hub-status.ts.
 */
import { dashedEui, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import type { ServiceModule } from '../service.ts';
import {
  CHF_NO_FAULT_RETURN_TYPES, readAdditionalInformation, readUserReference, returned, writeAdditionalInformation, writeUserReference,
  type UserReference, hubExample,
} from './comms-hub-status.ts';

const { Sequence, checkAttributes, readEui, readString, readStringEnum, textEl, writeEnum, writeEui, writeString } = bodyKit;

interface Body {
  kind: 'CHFNoFaultReturn';
  deviceId: Eui;
  returnType: (typeof CHF_NO_FAULT_RETURN_TYPES)[number];
  reference: UserReference;
  incidentReference?: string;
  additionalInformation?: string;
}

export const chfNoFaultReturn: ServiceModule<Body> = {
  ...serviceFacts('8.14.4'),
  displayName: 'Communications Hub Status Update - No Fault Return',
  body: {
    element: 'CHFNoFaultReturn',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
      const returnType = readStringEnum(s.required('CHFNoFaultReturnType'), `${path}/sr:CHFNoFaultReturnType`, CHF_NO_FAULT_RETURN_TYPES, 'CHFNoFaultReturnType') as Body['returnType'];
      const reference = readUserReference(s, path, 'UserRefDateTime');
      const incident = s.optional('IncidentReference');
      const incidentReference = incident ? readString(incident, `${path}/sr:IncidentReference`, 0, 15) : undefined;
      const additionalInformation = readAdditionalInformation(s, path);
      s.end();
      return {
        kind: 'CHFNoFaultReturn', deviceId, returnType, reference,
        ...(incidentReference !== undefined ? { incidentReference } : {}), ...(additionalInformation !== undefined ? { additionalInformation } : {}),
      };
    },
    write: (b) =>
      textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId')) +
      textEl('CHFNoFaultReturnType', writeEnum(b.returnType, 'body.returnType', CHF_NO_FAULT_RETURN_TYPES)) +
      writeUserReference(b.reference, 'UserRefDateTime') +
      (b.incidentReference !== undefined ? textEl('IncidentReference', writeString(b.incidentReference, 'body.incidentReference', 0, 15)) : '') +
      writeAdditionalInformation(b.additionalInformation),
  },
  example: {
    name: 'hub-no-fault-return',
    preNotifiedHub: true,
    build: (ctx) => {
      const { hub, ...rid } = hubExample(ctx, false);
      return { ...rid, body: { kind: 'CHFNoFaultReturn', deviceId: hub, returnType: 'No Fault Return (general)', reference: {} } };
    },
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  describe: (b) => [
    { label: 'DeviceID', value: dashedEui(b.deviceId) },
    { label: 'Return', value: b.returnType },
  ],
  needs: (v) => ({ inventoryDevices: [v.request.body.deviceId] }),
  handle: (v, state) => returned(v, state, v.request.body.deviceId, v.request.body.returnType),
};
