/**
 * The DLMS and GBZ codecs against every RTDS 4.5.0 vector whose payload is DLMS ACCESS, a DLMS
 * data-notification or GBZ: each decodes, and re-encodes to the same bytes.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeGbcsMessage, encodeAccessRequest, encodeAccessResponse, encodeDataNotification, encodeGbz, encodeGbzAlert, annotateGbcs,
} from '../../devices/index.ts';
import { rtdsVectors } from './helpers.ts';

const vectors = rtdsVectors();

function rebuilt(bytes: Buffer): { kind: string; payload: Buffer; again?: Buffer } {
  const m = decodeGbcsMessage(bytes);
  const b = m.body;
  const payload = m.apdu.payload;
  switch (b.kind) {
    case 'dlms-request': return { kind: b.kind, payload, again: encodeAccessRequest(b.request) };
    case 'dlms-response': return { kind: b.kind, payload, again: encodeAccessResponse(b.response) };
    case 'dlms-notification': return { kind: b.kind, payload, again: encodeDataNotification(b.notification) };
    case 'gbz': return { kind: b.kind, payload, again: encodeGbz(b.gbz) };
    case 'gbz-alert': return { kind: b.kind, payload, again: encodeGbzAlert(b.alert) };
    default: return { kind: b.kind, payload };
  }
}

describe('DLMS and GBZ codecs on the RTDS vectors', () => {
  it('every DLMS and GBZ payload decodes and re-encodes byte for byte', () => {
    const counts: Record<string, number> = {};
    const failures: string[] = [];
    for (const v of vectors) {
      try {
        const r = rebuilt(v.bytes);
        counts[r.kind] = (counts[r.kind] ?? 0) + 1;
        if (r.again && !r.again.equals(r.payload)) failures.push(`${v.dir}/${v.file}: re-encoded differs`);
      } catch (e) {
        failures.push(`${v.dir}/${v.file}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    // The census of catalogue.md §2: 681 ACCESS requests and responses; GBZ for every GSME/GPF use case.
    expect((counts['dlms-request'] ?? 0) + (counts['dlms-response'] ?? 0)).toBeGreaterThanOrEqual(600);
    expect(counts['gbz']).toBeGreaterThan(150);
    expect(counts['dlms-notification']).toBeGreaterThan(10);
    expect(counts['gbz-alert']).toBeGreaterThan(10);
  });

  it('annotates a DLMS command field by field, naming the object', () => {
    const v = vectors.find((x) => x.file === 'ECS45_7.4_SUCCESS_COMMAND_GBCS.HEX')!;
    const labels = annotateGbcs(v.bytes).map((a) => `${a.label}${a.value ? ` = ${a.value}` : ''}`);
    expect(labels).toContain('spec 1 = get class 70 0-0:96.3.10.255 attribute 3');
  });
});
