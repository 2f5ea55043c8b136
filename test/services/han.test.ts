/**
 * Installation, commissioning and the HAN from the RTDS templates on a ZAZ1 world: 6.11 and 8.1.1 set the
 * meters' clocks as RTDS commands it (ECS70, GCS28) and 8.1.1 makes the meter Commissioned only from the
 * meter's answer; the comms hub's device log (8.11 add and remove, 8.9 read) and the meters' joins (8.7, 8.8,
 * 8.9 CS07) change what the devices report, and refusals change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage } from '../../devices/index.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, type ConformanceWorld } from '../helpers/rtds-conformance.ts';

const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';

let w: ConformanceWorld;
beforeAll(() => { w = conformanceWorld(); });
afterAll(() => w?.close());

const status = (eui: string) => w.world.store.getDevice(eui)!.status;
/** the template's CurrentDateTime made the DCC's now, so the meter is inside the window */
const nowInWindow = (x: string) => x.replace(/<sr:CurrentDateTime>[^<]*</, `<sr:CurrentDateTime>${w.dcc.clock.now().toISOString()}<`);

describe('6.11 Synchronise Clock and 8.1.1 Commission Device', () => {
  it('6.11 sets the ESME and GSME clocks with the RTDS pre-commands; the meters answer in the RTDS shape', () => {
    const e = w.run('ECS70_6.11_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(e.final, e.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(e.preCommand!, rtdsVector('6.11_ECS70', 'ECS70_6.11_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    const b = e.deviceResponse!.body;
    if (b.kind !== 'dlms-response') throw new Error(b.kind);
    expect(b.response.results.map((r) => r.result)).toEqual([0, 0, 0, 0, 0]);
    const rtds = decodeGbcsMessage(rtdsVector('6.11_ECS70', 'ECS70_6.11_SUCCESS_RESPONSE_GBCS.HEX')).body;
    if (rtds.kind !== 'dlms-response') throw new Error(rtds.kind);
    expect(b.response.data.map((d) => d.type)).toEqual(rtds.response.data.map((d) => d.type));

    const g = w.run('GCS28_6.11_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(g.final, g.finalReason ?? '').toBe('I0');
    // GCS28's payload is the two GeneralizedTimes of the window (octets 2-18 and 19-35 of the payload).
    expect(gbcsDifferences(g.preCommand!, rtdsVector('6.11_GCS28', 'GCS28_6.11_SUCCESS_PRECOMMAND_GBCS.HEX'), { ignore: [[4, 15], [21, 15]] })).toEqual([]);
    const gb = g.deviceResponse!.body;
    if (gb.kind !== 'set-time-response') throw new Error(gb.kind);
    expect(gb.response.timeStatus).toBe(0);
  });

  it('the RTDS window itself (2014) has passed: the ESME refuses to take the time and says so', () => {
    const e = w.run('ECS70_6.11_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(e.command!, rtdsVector('6.11_ECS70', 'ECS70_6.11_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const b = e.deviceResponse!.body;
    if (b.kind !== 'dlms-response') throw new Error(b.kind);
    expect(b.response.results[2]!.result).toBe(250); // adjust_to_preset_time: other reason
  });

  it('8.1.1 on a Commissioned meter is refused E5 and reaches no device', () => {
    const r = w.run('ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(r.answer.responseCode).toBe('E5');
    expect(r.command).toBeUndefined();
    expect(status(ESME)).toBe('Commissioned');
  });

  it('8.1.1 commissions an installed ESME and GSME from their answers, as RTDS commands it; a second 8.1.1 is refused', () => {
    // Test set-up: the meters as installed but not commissioned (the ZAZ1 seed has them Commissioned).
    for (const eui of [ESME, GSME]) w.world.applyInventoryChange({ kind: 'update', eui, set: { status: 'InstalledNotCommissioned', commissionedAt: null } });
    // Outside the window the meter does not take the time: no commissioning.
    const late = w.run('ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML');
    expect(late.final).toBe('I0');
    expect(status(ESME)).toBe('InstalledNotCommissioned');

    const e = w.run('ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(e.final, e.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(e.preCommand!, rtdsVector('8.1.1_ECS70Commission', 'ECS70Commission_8.1.1_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(gbcsDifferences(e.command!, rtdsVector('8.1.1_ECS70Commission', 'ECS70Commission_8.1.1_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(e.deviceResponse!.apdu.signature).not.toBeNull();
    expect(status(ESME)).toBe('Commissioned');
    expect(w.world.store.getDevice(ESME)!.commissionedAt).not.toBeNull();

    const g = w.run('GCS28Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(g.final, g.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(g.preCommand!, rtdsVector('8.1.1_GCS28Commission', 'GCS28Commission_8.1.1_SUCCESS_PRECOMMAND_GBCS.HEX'), { ignore: [[4, 15], [21, 15]] })).toEqual([]);
    expect(status(GSME)).toBe('Commissioned');

    const again = w.run('GCS28Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(again.answer.responseCode).toBe('E5');
    expect(again.command).toBeUndefined();
  });
});
