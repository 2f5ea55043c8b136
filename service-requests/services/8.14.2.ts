/**
 * 8.14.2 Communications Hub Status Update - Install No SM WAN: the hub was installed at an MPxN's
 * premises where there is no SM WAN yet. Non-device: the DCC records it InstalledNotCommissioned with
 * SM WAN NoSMWAN, links the meters at the MPxN to it and answers I0; an 8.14.1 once the SM WAN
 * arrives commissions it. The survey fields (premise type, obstruction checks) are kept in the request
 * log's detail. The shared rules and codes (E0814xx) are in comms-hub-status.ts.
 */
import { dashedEui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import type { ServiceModule } from '../service.ts';
import {
  PREMISE_TYPES, installed, installNeeds, readAdditionalInformation, readInstallFields, writeAdditionalInformation, writeInstallFields,
  type InstallFields, hubExample,
} from './comms-hub-status.ts';

const { Sequence, checkAttributes, readBoolean, readStringEnum, textEl, writeBoolean, writeEnum } = bodyKit;

interface Body extends InstallFields {
  kind: 'CHFInstallSuccessNoSMWAN';
  premiseType: (typeof PREMISE_TYPES)[number];
  metalObstruction: boolean;
  connectivityObstruction: boolean;
  sharedObstruction: boolean;
  additionalInformation?: string;
}

export const chfInstallSuccessNoSmWan: ServiceModule<Body> = {
  ...serviceFacts('8.14.2'),
  displayName: 'Communications Hub Status Update - Install No SM WAN',
  body: {
    element: 'CHFInstallSuccessNoSMWAN',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const bool = (name: string) => readBoolean(s.required(name), `${path}/sr:${name}`);
      const fields = readInstallFields(s, path);
      const premiseType = readStringEnum(s.required('PremiseType'), `${path}/sr:PremiseType`, PREMISE_TYPES, 'PremiseType') as Body['premiseType'];
      const metalObstruction = bool('MetalObstructionCheck');
      const connectivityObstruction = bool('ConnectivityObstructionCheck');
      const sharedObstruction = bool('SharedObstructionCheck');
      const additionalInformation = readAdditionalInformation(s, path);
      s.end();
      return {
        kind: 'CHFInstallSuccessNoSMWAN', ...fields, premiseType, metalObstruction, connectivityObstruction, sharedObstruction,
        ...(additionalInformation !== undefined ? { additionalInformation } : {}),
      };
    },
    write: (b) =>
      writeInstallFields(b) +
      textEl('PremiseType', writeEnum(b.premiseType, 'body.premiseType', PREMISE_TYPES)) +
      textEl('MetalObstructionCheck', writeBoolean(b.metalObstruction, 'body.metalObstruction')) +
      textEl('ConnectivityObstructionCheck', writeBoolean(b.connectivityObstruction, 'body.connectivityObstruction')) +
      textEl('SharedObstructionCheck', writeBoolean(b.sharedObstruction, 'body.sharedObstruction')) +
      writeAdditionalInformation(b.additionalInformation),
  },
  example: {
    name: 'hub-installed-no-wan',
    preNotifiedHub: true,
    build: (ctx) => {
      const { hub, mpxn, ...rid } = hubExample(ctx, true);
      return {
        ...rid,
        body: {
          kind: 'CHFInstallSuccessNoSMWAN', deviceId: hub, installType: 'CHF Install - no SM WAN', reference: {}, mpxn: mpxn!, aerialInstall: false, location: 'Basement or Cellar',
          premiseType: 'Terraced', metalObstruction: false, connectivityObstruction: true, sharedObstruction: false,
        },
      };
    },
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  describe: (b) => [
    { label: 'DeviceID', value: dashedEui(b.deviceId) },
    { label: 'Install', value: `${b.installType} at ${b.mpxn}, ${b.location}${b.aerialInstall ? ', aerial' : ''}` },
    { label: 'Premises', value: `${b.premiseType}; obstruction: metal ${b.metalObstruction}, connectivity ${b.connectivityObstruction}, shared ${b.sharedObstruction}` },
  ],
  needs: (v) => installNeeds(v.request.body),
  handle(v, state, dcc) {
    const b = v.request.body;
    const out = installed(v, state, dcc.now, b, 'NoSMWAN');
    const survey = `${b.premiseType}; obstructions: metal ${b.metalObstruction}, connectivity ${b.connectivityObstruction}, shared ${b.sharedObstruction}`;
    return { ...out, step: { name: out.step.name, detail: `${out.step.detail} (${survey})` } };
  },
};
