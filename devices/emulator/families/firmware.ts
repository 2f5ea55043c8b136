/**
 * Firmware (DUIS 11.1-11.3): the meter's running firmware version (ECS52 reads DLMS class 1 0-0:0.2.1.255, GCS38
 * the GSME's ZCL attribute 0x0206 of the metering cluster, as RTDS), the images the DCC has distributed to it
 * (11.1 puts them in the 'firmware' section: the DCC's transfer over the WAN and HAN, CS05, is not a
 * command RTDS shows), and CS06 activation: at once, future-dated (held, then the 0x00CA alert 8F66 or 8F67),
 * or cancelled. The meter activates only an image it holds whose hash is the command's (it verifies the image).
 */
import { RemotePartyRole } from '../../../pki/index.ts';
import { dlms, obis } from '../../gbcs/dlms.ts';
import {
  CS06_ALERT_MESSAGE_CODE, CS06_MESSAGE_CODE, CS08_MESSAGE_CODE, FirmwareStatus, encodeActivateFirmwareAlert, encodeActivateFirmwareResponse,
  encodeFirmwareVersionResponse, type FirmwareOutcome,
} from '../../gbcs/firmware.ts';
import { ZclCluster, ZclType } from '../../gbcs/gbz.ts';
import { ALERT_FUTURE_DATED_FAILURE, ALERT_FUTURE_DATED_SUCCESS } from '../../gbcs/cs02b.ts';
import { appSection, type DeviceAppState } from '../app-state.ts';
import { appUseCase, type CommandContext } from '../app-use-case.ts';
import type { CosemObject } from '../cosem.ts';
import { RejectionAlert, reject } from '../security.ts';
import type { ZclAttribute } from '../zcl-engine.ts';
import { dlmsUseCase, gbzUseCase, type UseCaseFamily } from './kit.ts';

export interface FirmwareSection {
  /** the running version, 8 hex digits */
  version: string;
  /** images the DCC distributed (11.1): SHA-256 of the image (hex) → its version */
  images: Record<string, string>;
}

/** A meter's version before any activation: the one the RTDS meters report. */
export const FACTORY_FIRMWARE_VERSION = '0123ABCD';

export function firmwareOf(app: DeviceAppState): FirmwareSection {
  const f = appSection<FirmwareSection>(app, 'firmware', () => ({ version: FACTORY_FIRMWARE_VERSION, images: {} }));
  f.version ??= FACTORY_FIRMWARE_VERSION; // a section the DCC created with images only
  f.images ??= {};
  return f;
}

const runningVersion = (app: DeviceAppState): Buffer =>
  Buffer.from((app.firmware as Partial<FirmwareSection> | undefined)?.version ?? FACTORY_FIRMWARE_VERSION, 'hex');

/** Activates the image with this hash if the meter holds it. */
function activate(app: DeviceAppState, imageHash: Buffer): FirmwareOutcome {
  const f = firmwareOf(app);
  const version = f.images[imageHash.toString('hex').toUpperCase()];
  if (version === undefined) return { status: FirmwareStatus.noSuchImage, version: Buffer.from(f.version, 'hex') };
  f.version = version;
  return { status: FirmwareStatus.activated, version: Buffer.from(version, 'hex') };
}

function cs06(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'cs06-command') reject(RejectionAlert.integrityCheckFailed, `CS06 carries a ${ctx.body.kind} payload`);
  const c = ctx.body.command;
  // Held or cancelled: "accepted" now, the outcome later in the alert.
  if (ctx.defer(c.executionDateTime ?? ctx.now)) return encodeActivateFirmwareResponse(null);
  return encodeActivateFirmwareResponse(activate(ctx.app, c.imageHash));
}

const firmwareVersionObject: CosemObject = {
  classId: 1,
  obis: obis('0-0:0.2.1.255'),
  name: 'active firmware identifier',
  get: (attribute, ctx) => (attribute === 2 ? dlms.octets(runningVersion(ctx.app)) : undefined),
};

const zclFirmwareVersion: ZclAttribute = {
  clusterId: ZclCluster.metering,
  id: 0x0206,
  name: 'firmware version',
  get: (ctx) => ({ type: ZclType.octets, value: runningVersion(ctx.app) }),
};

const SUPPLIER = [RemotePartyRole.Supplier];

/** CS08: a PPMID's or HCALCS's running version, read by the ACB for the User. */
function cs08(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'cs08-command') reject(RejectionAlert.integrityCheckFailed, `CS08 carries a ${ctx.body.kind} payload`);
  return encodeFirmwareVersionResponse({ version: runningVersion(ctx.app), status: 0 });
}

export const FIRMWARE: UseCaseFamily = {
  name: 'firmware',
  cosem: [firmwareVersionObject],
  zclAttributes: [zclFirmwareVersion],
  useCases: [
    dlmsUseCase({ name: 'ECS52', messageCodes: [0x0059], deviceTypes: ['ESME'], roles: SUPPLIER, critical: false }),
    gbzUseCase({ name: 'GCS38', messageCodes: [0x0084], deviceTypes: ['GSME'], roles: SUPPLIER, critical: false }),
    appUseCase({ name: 'CS08', messageCodes: [CS08_MESSAGE_CODE], deviceTypes: ['PPMID', 'HCALCS'], roles: [RemotePartyRole.AccessControlBroker], critical: false, run: cs08 }),
    appUseCase({
      name: 'CS06',
      messageCodes: [CS06_MESSAGE_CODE],
      deviceTypes: ['ESME', 'GSME'],
      roles: SUPPLIER,
      critical: true,
      responseDateTime: true,
      run: cs06,
      executeDue(ctx) {
        if (ctx.message.body.kind !== 'cs06-command') return [];
        const c = ctx.message.body.command;
        const o = activate(ctx.app, c.imageHash);
        const alertCode = o.status === FirmwareStatus.activated ? ALERT_FUTURE_DATED_SUCCESS : ALERT_FUTURE_DATED_FAILURE;
        // 8F67 reports the failure at execution (the RTDS 8F67 vector's status 2) and the version still running.
        const status = o.status === FirmwareStatus.activated ? o.status : FirmwareStatus.failed;
        return [{
          messageCode: CS06_ALERT_MESSAGE_CODE,
          payload: encodeActivateFirmwareAlert({ alertCode, executionDateTime: ctx.pending.executeAt, counter: c.counter, status, version: o.version }),
        }];
      },
    }),
  ],
};
