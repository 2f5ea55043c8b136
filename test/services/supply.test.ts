/**
 * Supply control (7.1-7.4) from the RTDS templates on a ZAZ1 world: each GBCS command equals its RTDS vector
 * (apart from counters, date-times, signatures and MACs), the device answers as RTDS shows, and the meter's
 * state follows: disable then read says off, arm then read says armed, enable then read says on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, decodeReadAttributesResponse } from '../../devices/index.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, type ConformanceWorld } from '../helpers/rtds-conformance.ts';

let w: ConformanceWorld;
beforeAll(() => { w = conformanceWorld(); });
afterAll(() => w?.close());

function loadSwitch(): number {
  const r = w.run('ECS45_7.4_SUCCESS_REQUEST_DUIS.XML');
  expect(r.final, r.finalReason ?? '').toBe('I0');
  const b = r.deviceResponse!.body;
  if (b.kind !== 'dlms-response') throw new Error(b.kind);
  const d = b.response.data[0]!;
  if (d.type !== 'enum') throw new Error(d.type);
  return d.value;
}

function valve(): { battery: number; status: number } {
  const r = w.run('GCS33_7.4_SUCCESS_REQUEST_DUIS.XML');
  expect(r.final, r.finalReason ?? '').toBe('I0');
  const b = r.deviceResponse!.body;
  if (b.kind !== 'gbz') throw new Error(b.kind);
  const [battery, status] = decodeReadAttributesResponse(b.gbz.components[0]!.payload);
  return { battery: battery!.value!.value as number, status: status!.value!.value as number };
}

describe('supply control on the RTDS ESME and GSME', () => {
  it('7.4 reads as RTDS commands it and the device answers in the RTDS shape', () => {
    const e = w.run('ECS45_7.4_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(e.command!, rtdsVector('7.4_ECS45', 'ECS45_7.4_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const g = w.run('GCS33_7.4_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(g.command!, rtdsVector('7.4_GCS33', 'GCS33_7.4_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const rtds = decodeGbcsMessage(rtdsVector('7.4_GCS33', 'GCS33_7.4_SUCCESS_RESPONSE_GBCS.HEX')).body;
    if (rtds.kind !== 'gbz') throw new Error(rtds.kind);
    const rtdsResponse = rtds.gbz;
    const ours = g.deviceResponse!.body;
    if (ours.kind !== 'gbz') throw new Error(ours.kind);
    expect(ours.gbz.components.map((c) => [c.clusterId, c.frameControl, c.commandId])).toEqual(rtdsResponse.components.map((c) => [c.clusterId, c.frameControl, c.commandId]));
    expect(loadSwitch()).toBe(1); // connected
    expect(valve().status).toBe(2); // on
    expect(valve().battery).toBeGreaterThan(0);
  });

  it('7.2 disables, 7.3 arms and 7.1 enables the ESME load switch, each command as RTDS signs it', () => {
    const d = w.run('ECS43_7.2_SUCCESS_REQUEST_DUIS.XML');
    expect(d.final, d.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(d.preCommand!, rtdsVector('7.2_ECS43', 'ECS43_7.2_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(loadSwitch()).toBe(0);
    const a = w.run('ECS44_7.3_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(a.preCommand!, rtdsVector('7.3_ECS44', 'ECS44_7.3_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(loadSwitch()).toBe(2);
    const e = w.run('ECS42_7.1_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(e.preCommand!, rtdsVector('7.1_ECS42', 'ECS42_7.1_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(gbcsDifferences(e.command!, rtdsVector('7.1_ECS42', 'ECS42_7.1_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(e.deviceResponse!.apdu.signature).not.toBeNull(); // a critical command's response is signed
    expect(loadSwitch()).toBe(1);
  });

  it('7.2 closes and 7.3 arms the GSME valve (Change Supply as RTDS, issuer event time aside)', () => {
    const d = w.run('GCS32_7.2_SUCCESS_REQUEST_DUIS.XML');
    expect(d.final, d.finalReason ?? '').toBe('I0');
    // Change Supply's issuer event id is the time of issue (GBZ payload octets 15-18).
    expect(gbcsDifferences(d.preCommand!, rtdsVector('7.2_GCS32', 'GCS32_7.2_SUCCESS_PRECOMMAND_GBCS.HEX'), { ignore: [[15, 4]] })).toEqual([]);
    expect(valve().status).toBe(0);
    const a = w.run('GCS39_7.3_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(a.preCommand!, rtdsVector('7.3_GCS39', 'GCS39_7.3_SUCCESS_PRECOMMAND_GBCS.HEX'), { ignore: [[15, 4]] })).toEqual([]);
    expect(valve().status).toBe(1);
  });

  it('a supply command to a device type that has no supply is refused E11 and reaches no device', () => {
    const r = w.run('ECS42_7.1_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A0', '00-DB-12-34-56-78-90-A1'));
    expect(r.answer.responseCode).toBe('E11');
    expect(r.command).toBeUndefined();
  });
});
