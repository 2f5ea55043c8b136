/**
 * Dispatch by message code: the emulator's use-case registry and the codec table. What a user sees: which
 * commands a device answers, how it refuses the others, and that every code a device answers is read by
 * the codec as that use case's command.
 */
import { describe, expect, it } from 'vitest';
import {
  CELL_IDS,
  CODECS,
  CS02B_ALERT_MESSAGE_CODE,
  RejectionAlert,
  USE_CASES,
  codecFor,
  decodeApdu,
  decodeBody,
  decodeGbcsMessage,
  encodeApdu,
  encodeCs02aCommand,
  encodeCs02bCommand,
  encodeCs02cCommand,
  encodeCs02dCommand,
  encodeCs02eCommand,
  executeDueCommands,
  indexByMessageCode,
  indexCodecs,
  modeName,
  newDeviceState,
  processCommand,
  wrapWithAcbMac,
  type Cs02bCommand,
  type DeviceSecurityState,
} from '../../devices/index.ts';
import { NOW, buildTestPki, canonical, cs02bMessage, rtds } from './helpers.ts';

const pki = buildTestPki();
const ACB = '90B3D51F30000002';
const SUPPLIER = '90B3D51F30010000';
const ESME = '00DB1234567890A0';
const acb = pki.party(ACB, 4, true);
const esme = pki.device(ESME);
const macForEsme = (apdu: Buffer) => wrapWithAcbMac(apdu, acb.ka!.keys.privateKey, esme.kaPublic);

function esmeState(): DeviceSecurityState {
  return newDeviceState(ESME, 'ESME', { root: pki.root.certificate, acbKA: acb.ka!.cert });
}

function cs02bCommand(mode: number): Cs02bCommand {
  return { mode, applyTimeBasedCpvChecks: true, authorisingSeqNumber: 1n, replacements: [], certificationPath: [] };
}

/** A well-formed command payload per registered use case; a new use case needs one here. */
const SAMPLE_COMMANDS: Record<string, (messageCode: number) => Buffer> = {
  CS02a: () => encodeCs02aCommand({ authorisingCell: { ...CELL_IDS.acbKA }, roles: [2] }),
  CS02b: (messageCode) => encodeCs02bCommand(cs02bCommand(messageCode - 0x0100)),
  CS02c: () => encodeCs02cCommand({ keyUsage: 'DS' }),
  CS02d: () => encodeCs02dCommand({ certificate: esme.creds.dsCertificate }),
  CS02e: () => encodeCs02eCommand({ keyUsage: 'KA' }),
  CS02f: () => encodeCs02aCommand({ authorisingCell: { ...CELL_IDS.acbKA }, roles: [2, 8] }),
  CS02g: (messageCode) => encodeCs02bCommand(cs02bCommand(messageCode === 0x0125 ? 10 : 11)),
};

/** The security-credential use cases, which have codecs of their own (DLMS and GBZ use cases are read by form). */
const CS02_USE_CASES = USE_CASES.filter((u) => u.name.startsWith('CS02'));

const command = (messageCode: number, payload: Buffer) =>
  encodeApdu({ cra: 'command', counter: 1n, originator: ACB, target: ESME, messageCode, payload });

describe('processCommand refuses a message code no use case answers', () => {
  it('refuses a command whose message code no use case answers with 0x8F1E, changing nothing', () => {
    const state = esmeState();
    const before = canonical(state);
    const message = macForEsme(command(0x7777, SAMPLE_COMMANDS.CS02a!(0x0008)));
    const out = processCommand(state, esme.creds, message, NOW);
    expect(out.rejected).toEqual({
      alertCode: RejectionAlert.integrityCheckFailed,
      reason: `message code 0x7777 is not emulated: none of the ${USE_CASES.length} use cases the emulators run answers it`,
    });
    expect(out.state).toBe(state);
    expect(out.response).toBeUndefined();
    expect(out.alerts).toEqual([]);
    expect(out.changedCells).toEqual([]);
    expect(canonical(state)).toBe(before);
  });

  it('refuses the CS02b alert code sent as a command: the codec reads 0x00CB alerts, no device answers them', () => {
    const out = processCommand(esmeState(), esme.creds, macForEsme(command(CS02B_ALERT_MESSAGE_CODE, SAMPLE_COMMANDS.CS02b!(0x0102))), NOW);
    expect(out.rejected).toEqual({
      alertCode: RejectionAlert.integrityCheckFailed,
      reason: `message code 0x00cb is not emulated: none of the ${USE_CASES.length} use cases the emulators run answers it`,
    });
  });

  it('hands the codes of CS02b modes it does not run to CS02b, which refuses them as unsupported modes', () => {
    for (const mode of [0, 1]) {
      const out = processCommand(esmeState(), esme.creds, cs02bMessage({ counter: 1n, originator: SUPPLIER, target: ESME, command: cs02bCommand(mode), signer: null, mac: null }), NOW);
      expect(out.rejected).toEqual({
        alertCode: RejectionAlert.integrityCheckFailed,
        reason: `credentials replacement mode ${mode} (${modeName(mode)}) is not supported by this emulator`,
      });
    }
  });
});

describe('the use-case registry', () => {
  it('answers CS02a 0x0008, CS02b 0x0100-0x0109, CS02d 0x000B, CS02e 0x000C, CS02f 0x011B and CS02g 0x0125-0x0126, and no message code twice', () => {
    expect(CS02_USE_CASES.map((u) => [u.name, [...u.messageCodes]])).toEqual([
      ['CS02a', [0x0008]],
      ['CS02b', [0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x0105, 0x0106, 0x0107, 0x0108, 0x0109]],
      ['CS02c', [0x000a]],
      ['CS02d', [0x000b]],
      ['CS02e', [0x000c]],
      ['CS02f', [0x011b]],
      ['CS02g', [0x0125, 0x0126]],
    ]);
    const codes = USE_CASES.flatMap((u) => u.messageCodes);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('refuses a table where two use cases claim one message code', () => {
    const clash = { ...USE_CASES[0]!, name: 'CS02x' };
    expect(() => indexByMessageCode([...USE_CASES, clash])).toThrow('message code 0x0008 is claimed by both CS02a and CS02x');
  });

  it('runs every CS02 use case on every device type, but CS02g only on an ESME (the one with load controller cells)', () => {
    for (const u of CS02_USE_CASES) expect([...u.deviceTypes].sort()).toEqual(u.name === 'CS02g' ? ['ESME'] : ['CHF', 'ESME', 'GPF', 'GSME', 'HCALCS', 'PPMID']);
  });

  it("decodes every registered message code through the codec table as that use case's command", () => {
    expect(Object.keys(SAMPLE_COMMANDS).sort()).toEqual(CS02_USE_CASES.map((u) => u.name).sort());
    for (const u of CS02_USE_CASES) {
      for (const code of u.messageCodes) {
        expect(codecFor(code, 'command')?.name, `0x${code.toString(16)}`).toBe(u.name);
        const m = decodeGbcsMessage(command(code, SAMPLE_COMMANDS[u.name]!(code)));
        expect(m.body.kind).toBe(`${u.name.toLowerCase()}-command`);
      }
    }
  });

  it('refuses a pending command whose use case has no future-dated execution as corrupt', () => {
    const cs02a = command(0x0008, SAMPLE_COMMANDS.CS02a!(0x0008));
    const state = { ...esmeState(), pending: [{ counter: 7n, originator: ACB, executeAt: new Date(NOW.getTime() - 1000), command: cs02a }] };
    expect(() => executeDueCommands(state, esme.creds, NOW)).toThrow('pending command 7 from 90B3D51F30000002 is corrupt: message code 0x0008 has no future-dated execution');
  });
});

describe('the codec table', () => {
  it('claims no message code twice, alerts included', () => {
    const codes = CODECS.flatMap((c) => [...c.messageCodes, ...(c.alertMessageCodes ?? [])]);
    expect(new Set(codes).size).toBe(codes.length);
    const clash = { name: 'CS02x', messageCodes: [CS02B_ALERT_MESSAGE_CODE] };
    expect(() => indexCodecs([...CODECS, clash])).toThrow('message code 0x00cb is claimed by both CS02b and CS02x');
  });

  it('reads an alert code only in an alert and a command code only in a command or response', () => {
    const payload = SAMPLE_COMMANDS.CS02b!(0x0102);
    const asAlert = decodeApdu(encodeApdu({ cra: 'alert', counter: 1n, originator: ESME, target: ACB, messageCode: 0x0102, payload }));
    expect(decodeBody(asAlert).kind).toBe('other');
    const alertCodeAsCommand = decodeApdu(command(CS02B_ALERT_MESSAGE_CODE, payload));
    expect(decodeBody(alertCodeAsCommand).kind).toBe('other');
    expect(decodeBody(decodeApdu(command(0x0102, payload))).kind).toBe('cs02b-command');
  });
});
