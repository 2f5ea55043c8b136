/**
 * 8.14.1 Communications Hub Status Update - Install Success: the hub's responsible supplier installed
 * it at an MPxN's premises and it reached the SM WAN. Non-device: the DCC commissions the hub
 * (Commissioned, SM WAN Connected), links the meters at the MPxN to it and answers I0. The shared
 * rules and codes (E0814xx) are in comms-hub-status.ts.
 */
import { dashedEui, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import type { ServiceModule } from '../service.ts';
import {
  CHF_INSTALL_TYPES, CHF_LOCATIONS, installed, installNeeds, readAdditionalInformation, readUserReference, writeAdditionalInformation,
  writeUserReference, type UserReference,
} from './comms-hub-status.ts';

const { Sequence, checkAttributes, readBoolean, readEui, readString, readStringEnum, textEl, writeBoolean, writeEnum, writeEui, writeString } = bodyKit;

interface Body {
  kind: 'CHFInstallSuccessSMWAN';
  deviceId: Eui;
  installType: (typeof CHF_INSTALL_TYPES)[number];
  reference: UserReference;
  mpxn: string;
  gisData?: string;
  aerialInstall: boolean;
  location: (typeof CHF_LOCATIONS)[number];
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
      const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
      const installType = readStringEnum(s.required('CHFInstallType'), `${path}/sr:CHFInstallType`, CHF_INSTALL_TYPES, 'CHFInstallType') as Body['installType'];
      const reference = readUserReference(s, path, 'InstallDateTime');
      const mpxn = readString(s.required('MPxN'), `${path}/sr:MPxN`, 1, 13);
      const gis = s.optional('GISData');
      const gisData = gis ? readString(gis, `${path}/sr:GISData`, 0, 25) : undefined;
      const aerialInstall = readBoolean(s.required('AerialInstall'), `${path}/sr:AerialInstall`);
      const location = readStringEnum(s.required('CHFLocation'), `${path}/sr:CHFLocation`, CHF_LOCATIONS, 'CHFLocation') as Body['location'];
      const additionalInformation = readAdditionalInformation(s, path);
      s.end();
      return {
        kind: 'CHFInstallSuccessSMWAN', deviceId, installType, reference, mpxn, aerialInstall, location,
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
      writeAdditionalInformation(b.additionalInformation),
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
