/**
 * What the firmware services share (11.1 distribute an image, 11.2 read the version, 11.3 activate): the
 * image's hash as the meter verifies it, and the reads of the running version (ECS52, GCS38; catalogue.md §3).
 */
import { createHash } from 'node:crypto';
import { ZclCluster, dlms, encodeAccessRequest, encodeGbz, encodeReadAttributes, invokeIdFor, obis } from '../../devices/index.ts';

/**
 * The hash a meter verifies an image by and CS06 names it with: SHA-256 of the whole image (the RTDS CS06
 * vectors carry a placeholder, not the hash of the template's image).
 */
export function imageHash(image: Buffer): Buffer {
  return createHash('sha256').update(image).digest();
}

/** The 'firmware' section of a device's application state as 11.1 leaves it: the image's hash → its version. */
export const FIRMWARE_SECTION = 'firmware';

/** ECS52: get the active firmware identifier. */
export function readFirmwareDlms(counter: bigint): Buffer {
  return encodeAccessRequest({ invokeId: invokeIdFor(counter), specs: [{ kind: 'get', classId: 1, obis: obis('0-0:0.2.1.255'), id: 2 }], data: [dlms.null()] });
}

/** GCS38: read the GSME's firmware version attribute. */
export function readFirmwareGbz(): Buffer {
  return encodeGbz({ components: [{ control: 0, clusterId: ZclCluster.metering, frameControl: 0x00, sequence: 0, commandId: 0x00, payload: encodeReadAttributes([0x0206]) }] });
}
