/**
 * 8.14.2 Communications Hub Status Update - Install No SM WAN: the hub was installed at an MPxN's
 * premises where there is no SM WAN yet. Non-device: the DCC records it InstalledNotCommissioned with
 * SM WAN NoSMWAN, links the meters at the MPxN to it and answers I0; an 8.14.1 once the SM WAN
 * arrives commissions it. The survey fields (premise type, obstruction checks) are kept in the request
 * log's detail. The shared rules and codes (E0814xx) are in comms-hub-status.ts.
 */
import { dashedEui, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import type { ServiceModule } from '../service.ts';
import {
  CHF_INSTALL_TYPES, CHF_LOCATIONS, PREMISE_TYPES, installed, installNeeds, readAdditionalInformation, readUserReference,
  writeAdditionalInformation, writeUserReference, type UserReference,
} from './comms-hub-status.ts';

const { Sequence, checkAttributes, readBoolean, readEui, readString, readStringEnum, textEl, writeBoolean, writeEnum, writeEui, writeString } = bodyKit;

interface Body {
  kind: 'CHFInstallSuccessNoSMWAN';
  deviceId: Eui;
  installType: (typeof CHF_INSTALL_TYPES)[number];
  reference: UserReference;
  mpxn: string;
  gisData?: string;
  aerialInstall: boolean;
  location: (typeof CHF_LOCATIONS)[number];
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
      const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
      const installType = readStringEnum(s.required('CHFInstallType'), `${path}/sr:CHFInstallType`, CHF_INSTALL_TYPES, 'CHFInstallType') as Body['installType'];
      const reference = readUserReference(s, path, 'InstallDateTime');
      const mpxn = readString(s.required('MPxN'), `${path}/sr:MPxN`, 1, 13);
      const gis = s.optional('GISData');
      const gisData = gis ? readString(gis, `${path}/sr:GISData`, 0, 25) : undefined;
      const aerialInstall = bool('AerialInstall');
      const location = readStringEnum(s.required('CHFLocation'), `${path}/sr:CHFLocation`, CHF_LOCATIONS, 'CHFLocation') as Body['location'];
      const premiseType = readStringEnum(s.required('PremiseType'), `${path}/sr:PremiseType`, PREMISE_TYPES, 'PremiseType') as Body['premiseType'];
      const metalObstruction = bool('MetalObstructionCheck');
      const connectivityObstruction = bool('ConnectivityObstructionCheck');
      const sharedObstruction = bool('SharedObstructionCheck');
      const additionalInformation = readAdditionalInformation(s, path);
      s.end();
      return {
        kind: 'CHFInstallSuccessNoSMWAN', deviceId, installType, reference, mpxn, aerialInstall, location, premiseType,
        metalObstruction, connectivityObstruction, sharedObstruction,
        ...(gisData !== undefined ? { gisData } : {}), ...(additionalInformation !== undefined ? { additionalInformation } : {}),
      };
    },
    write: (b) =>
      textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId')) +
      textEl('CHFInstallType', writeEnum(b.installType, 'body.installType', CHF_INSTALL_TYPES)) +
      writeUserReference(b.reference, 'InstallDateTime') +
      textEl('MPxN', writeString(b.mpxn, 'body.mpxn', 1, 13)) +
      (b.gisData !== undefined ? textEl('GISData', writeString(b.gisData, 'body.gisData', 0, 25)) : '') +
      textEl('AerialInstall', writeBoolean(b.aerialInstall, 'body.aerialInstall')) +
      textEl('CHFLocation', writeEnum(b.location, 'body.location', CHF_LOCATIONS)) +
      textEl('PremiseType', writeEnum(b.premiseType, 'body.premiseType', PREMISE_TYPES)) +
      textEl('MetalObstructionCheck', writeBoolean(b.metalObstruction, 'body.metalObstruction')) +
      textEl('ConnectivityObstructionCheck', writeBoolean(b.connectivityObstruction, 'body.connectivityObstruction')) +
      textEl('SharedObstructionCheck', writeBoolean(b.sharedObstruction, 'body.sharedObstruction')) +
      writeAdditionalInformation(b.additionalInformation),
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
