/**
 * 8.14.1 Communications Hub Status Update - Install Success: the hub's responsible supplier installed
 * it at an MPxN's premises and it reached the SM WAN. Non-device: the DCC commissions the hub
 * (Commissioned, SM WAN Connected), links the meters at the MPxN to it and answers I0. The shared
 * rules and codes (E0814xx) are in comms-hub-status.ts.
 */
import { dashedEui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import type { ServiceModule } from '../service.ts';
import {
  installed, installNeeds, readAdditionalInformation, readInstallFields, writeAdditionalInformation, writeInstallFields, type InstallFields, hubExample,
} from './comms-hub-status.ts';

const { Sequence, checkAttributes } = bodyKit;

interface Body extends InstallFields {
  kind: 'CHFInstallSuccessSMWAN';
  additionalInformation?: string;
}

export const chfInstallSuccessSmWan: ServiceModule<Body> = {
  ...serviceFacts('8.14.1'),
  displayName: 'Communications Hub Status Update - Install Success',
  body: {
    element: 'CHFInstallSuccessSMWAN',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const fields = readInstallFields(s, path);
      const additionalInformation = readAdditionalInformation(s, path);
      s.end();
      return { kind: 'CHFInstallSuccessSMWAN', ...fields, ...(additionalInformation !== undefined ? { additionalInformation } : {}) };
    },
    write: (b) => writeInstallFields(b) + writeAdditionalInformation(b.additionalInformation),
  },
  example: {
    name: 'hub-installed',
    preNotifiedHub: true,
    build: (ctx) => {
      const { hub, mpxn, ...rid } = hubExample(ctx, true);
      return { ...rid, body: { kind: 'CHFInstallSuccessSMWAN', deviceId: hub, installType: 'Replacement CHF Install', reference: {}, mpxn: mpxn!, aerialInstall: false, location: 'Indoors on external wall' } };
    },
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  describe: (b) => [
    { label: 'DeviceID', value: dashedEui(b.deviceId) },
    { label: 'Install', value: `${b.installType} at ${b.mpxn}, ${b.location}${b.aerialInstall ? ', aerial' : ''}` },
  ],
  needs: (v) => installNeeds(v.request.body),
  handle: (v, state, dcc) => installed(v, state, dcc.now, v.request.body, 'Connected'),
};
