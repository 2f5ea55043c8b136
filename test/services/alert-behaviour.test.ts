/**
 * 6.22 Configure Alert Behaviour from the RTDS templates on a ZAZ1 world: the GBCS command equals the RTDS
 * vector (apart from counters, date-times, signatures, MACs and the GSME's issuer event ids), the meter answers
 * in the RTDS response's shape, and 6.2.10 reads back what 6.22 set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, type DlmsData, type GbcsMessage } from '../../devices/index.ts';
import { ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';

let w: ConformanceWorld;
beforeAll(() => { w = conformanceWorld(); });
afterAll(() => w?.close());

function ok(r: TemplateRun): TemplateRun {
  expect(r.final, r.finalReason ?? r.answer.responseCode).toBe('I0');
  return r;
}

function shape(m: GbcsMessage): unknown {
  const b = m.body;
  if (b.kind === 'dlms-response') return { results: b.response.results, data: b.response.data.map((d) => d.type) };
  if (b.kind === 'gbz') return b.gbz.components.map((c) => [c.clusterId, c.frameControl, c.commandId, c.payload.toString('hex')]);
  return b.kind;
}

/** RTDS's ECS25a SUCCESS vector also disables 0x81C4 and 0x81C5, which the npm template does not name. */
const ECS25A_AS_RTDS = (x: string) => x.replace('<sr:x810E>Disable</sr:x810E>', '<sr:x810E>Disable</sr:x810E><sr:x81C4>Disable</sr:x81C4><sr:x81C5>Disable</sr:x81C5>');

const ESME_A0 = '00DB1234567890A0';

/** The GSME's Set Event Configuration issuer event ids (the time of issue), GBZ payload octets 12-15, 37-40, 58-61, 85-88. */
const GCS20_ISSUER_IDS = [[11, 4], [36, 4], [57, 4], [84, 4]] as const;

describe('6.22 on the RTDS meters, template by template', () => {
  it.each([
    ['ECS25a1_6.22_SUCCESS_REQUEST_DUIS.XML', '6.22_ECS25a1', undefined],
    ['ECS25a2_6.22_SUCCESS_REQUEST_DUIS.XML', '6.22_ECS25a2', undefined],
    ['ECS25a3_6.22_SUCCESS_REQUEST_DUIS.XML', '6.22_ECS25a3', undefined],
    ['ECS25b3_6.22_SUCCESS_REQUEST_DUIS.XML', '6.22_ECS25b3', undefined],
    // the single-phase ESME's commands leave out the polyphase 0x81B7 and 0x8003 the templates enable
    ['ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML', '6.22_ECS25a', ECS25A_AS_RTDS],
    ['ECS25b_6.22_SUCCESS_REQUEST_DUIS.XML', '6.22_ECS25b', undefined],
    ['GCS20_6.22_SUCCESS_REQUEST_DUIS.XML', '6.22_GCS20', undefined],
  ] as const)('%s: the command is RTDS\'s and the answer has its shape', (template, dir, edit) => {
    const r = ok(w.run(template, edit));
    const useCase = dir.split('_')[1]!;
    const ignore = useCase === 'GCS20' ? { ignore: GCS20_ISSUER_IDS } : {};
    expect(gbcsDifferences(r.command!, rtdsVector(dir, `${useCase}_6.22_SUCCESS_COMMAND_GBCS.HEX`), ignore)).toEqual([]);
    expect(shape(r.deviceResponse!)).toEqual(shape(decodeGbcsMessage(rtdsVector(dir, `${useCase}_6.22_SUCCESS_RESPONSE_GBCS.HEX`))));
  });

  it('to a polyphase ESME the ECS25a and ECS25b templates are RTDS\'s ERROR commands (which RTDS\'s single-phase meter refuses)', () => {
    w.world.inventory.update(ESME_A0, { esmeVariant: 'C' });
    try {
      for (const [template, dir] of [['ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML', '6.22_ECS25a'], ['ECS25b_6.22_SUCCESS_REQUEST_DUIS.XML', '6.22_ECS25b']] as const) {
        const useCase = dir.split('_')[1]!;
        const diff = gbcsDifferences(ok(w.run(template)).command!, rtdsVector(dir, `${useCase}_6.22_ERROR_COMMAND_GBCS.HEX`));
        // RTDS's ECS25b ERROR command enables 0x8015, which the template disables: that setting bit alone differs
        if (useCase === 'ECS25b') expect(diff.map((d) => d.slice(0, 7))).toEqual(['data 1:']);
        else expect(diff, template).toEqual([]);
      }
    } finally {
      w.world.inventory.update(ESME_A0, { esmeVariant: 'A' });
    }
  });

  it('the polyphase alerts\' bits (0x81B7, 0x8003) are set for a polyphase ESME', () => {
    w.world.inventory.update(ESME_A0, { esmeVariant: 'C' });
    const bits = (r: TemplateRun) => {
      const b = decodeGbcsMessage(r.command!).body;
      if (b.kind !== 'dlms-request' || b.request.data[0]?.type !== 'bit-string') throw new Error('not a bit-string set');
      return b.request.data[0].bytes;
    };
    const a = bits(ok(w.run('ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML')));
    // 0x81B7: bit 0xB7 from the end, in both halves (changed, enabled); 0x810E changed, disabled
    expect(a[31 - (0xb7 >> 3)]! & (1 << (0xb7 & 7))).not.toBe(0);
    expect(a[63 - (0xb7 >> 3)]! & (1 << (0xb7 & 7))).not.toBe(0);
    expect(a[31 - 1]! & (1 << 6)).not.toBe(0);
    expect(a[63 - 1]! & (1 << 6)).toBe(0);
    const b = bits(ok(w.run('ECS25b_6.22_SUCCESS_REQUEST_DUIS.XML')));
    expect([b[31]! & 0x08, b[63]! & 0x08]).toEqual([0x08, 0x08]);
    w.world.inventory.update(ESME_A0, { esmeVariant: 'A' });
  });
});

describe('6.2.10 reads back what 6.22 set', () => {
  function behaviours(r: TemplateRun): Buffer[] {
    const b = ok(r).deviceResponse!.body;
    if (b.kind !== 'dlms-response') throw new Error(b.kind);
    return b.response.data.map((d: DlmsData) => (d.type === 'bit-string' ? d.bytes : Buffer.alloc(0)));
  }
  const isSet = (bits: Buffer, code: number) => (bits[31 - ((code & 0xff) >> 3)]! & (1 << (code & 7))) !== 0;

  it('the ESME: disabling 0x810E to the supplier clears its bit and leaves the others', () => {
    const only810E = (setting: string) => (x: string) => x.replace(/<sr:SupplierESMEPolyPhase>[\s\S]*<\/sr:SupplierESMEPolyPhase>/, '').replace('<sr:x810D>Enable</sr:x810D>', '').replace('<sr:x810E>Disable<', `<sr:x810E>${setting}<`);
    ok(w.run('ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML', only810E('Enable')));
    const [before] = behaviours(w.run('ECS25r1_6.2.10_SUCCESS_REQUEST_DUIS.XML'));
    expect([isSet(before!, 0x810d), isSet(before!, 0x810e), isSet(before!, 0x81aa)]).toEqual([true, true, true]);
    ok(w.run('ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML', only810E('Disable')));
    const [after, han] = behaviours(w.run('ECS25r1_6.2.10_SUCCESS_REQUEST_DUIS.XML'));
    expect([isSet(after!, 0x810d), isSet(after!, 0x810e), isSet(after!, 0x81aa)]).toEqual([true, false, true]);
    // the HAN alerts are another string, untouched
    expect(isSet(han!, 0x810d)).toBe(true);
  });

  it('the network operator\'s logging, through ECS25b3', () => {
    ok(w.run('ECS25b3_6.22_SUCCESS_REQUEST_DUIS.XML'));
    const [, logging] = behaviours(w.run('ECS25r2_6.2.10_SUCCESS_REQUEST_DUIS.XML'));
    expect([isSet(logging!, 0x8014), isSet(logging!, 0x8015)]).toEqual([true, false]);
  });

  it('the GSME: GCS20r answers each event with the configuration GCS20 gave it', () => {
    ok(w.run('GCS20_6.22_SUCCESS_REQUEST_DUIS.XML'));
    const b = ok(w.run('GCS20r_6.2.10_SUCCESS_REQUEST_DUIS.XML')).deviceResponse!.body;
    if (b.kind !== 'gbz') throw new Error(b.kind);
    const records = b.gbz.components[0]!.payload.subarray(2);
    const config = (id: number) => { for (let i = 0; i + 3 <= records.length; i += 3) if (records.readUInt16LE(i) === id) return records[i + 2]; return undefined; };
    // 810E: WAN only; 8161: log and alarm; 81AA: everything; 81BD: WAN, log, alarm; 8119 untouched (factory 0x18)
    expect([config(0x810e), config(0x8161), config(0x81aa), config(0x81bd), config(0x8119)]).toEqual([0x08, 0x43, 0x5b, 0x4b, 0x18]);
  });
});

describe('the meters honour it when they raise an alert', () => {
  const ESME = '00DB1234567890A0';
  const GSME = '00DB1234567890A1';
  const alerts = () => w.dcc.gateway.inbox(ZAZ1_SUPPLIER, { kind: 'device-alert', limit: 100 }).entries.map((e) => e.responseCode);

  it('an ESME alert the supplier disabled is not sent; enabled again, it is', () => {
    const edit = (setting: string) => (x: string) => x.replace(/<sr:SupplierESMEPolyPhase>[\s\S]*<\/sr:SupplierESMEPolyPhase>/, '').replace('<sr:x810D>Enable</sr:x810D>', '').replace('<sr:x810E>Disable<', `<sr:x810E>${setting}<`);
    ok(w.run('ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML', edit('Disable')));
    const before = alerts().length;
    expect(() => w.dcc.raiseAlert(ESME, 0x810e)).toThrow(/does not send alert 810E: its alert behaviour \(6\.22\) disables it/);
    expect(alerts().length).toBe(before);
    // a critical alert is not configurable
    w.dcc.raiseAlert(ESME, 0x8f30);
    ok(w.run('ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML', edit('Enable')));
    w.dcc.raiseAlert(ESME, 0x810e);
    expect(alerts().slice(0, 2)).toEqual(['810E', '8F30']);
  });

  it('a GSME sends an event to the WAN only if its configuration says so (GCS20: 0x8161 logs and sounds, 0x810E alerts)', () => {
    ok(w.run('GCS20_6.22_SUCCESS_REQUEST_DUIS.XML'));
    expect(() => w.dcc.raiseAlert(GSME, 0x8161)).toThrow(/disables it/);
    expect(w.dcc.raiseAlert(GSME, 0x810e).alertCode).toBe('810E');
  });
});

