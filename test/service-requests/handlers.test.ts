/**
 * Service handlers as pure functions: a validated request and the state it declared in, what must
 * happen out. No server, no SQLite: the state is built in memory.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { certificateFromPem, describeCertificate, generateKeyPair, rawPublicKey, RemotePartyRole, type CertificateFacts } from '../../pki/index.ts';
import { ks, rtds } from '../devices/helpers.ts';
import {
  cs02bMessageCode, CredentialsReplacementMode, CS02A_MESSAGE_CODE, decodeApdu, decodeCs02aCommand, decodeCs02bCommand, decodeCs02cCommand, isGeneralCiphering,
  signApdu, unwrapGeneralCiphering,
} from '../../devices/index.ts';
import {
  buildRequest, Codes, GatewayRejection, parseDuisRequest, serviceFor, type DccCapability, type HandlerState, type InventoryEntry,
  type PartyInfo, type ServiceBody, type ValidatedRequest,
} from '../../service-requests/index.ts';

const SUPPLIER = '90B3D51F30010000';
const ESME = '00DB1234567890A0';
const DCC = '90B3D51F30000002';

// A real certificate to carry (the handlers read the checked replacements, not these bytes).
const CERT = certificateFromPem(readFileSync(new URL('../../../shared/rtds-keystore/00db1234567890a0-ds.pem', import.meta.url), 'utf8'));

const acbDs = generateKeyPair();
const acbKa = generateKeyPair();
const deviceKa = generateKeyPair();
const dcc: DccCapability = { acbEui: DCC, acbDsKey: acbDs.privateKey, acbKaKey: acbKa.privateKey, now: new Date('2026-11-01T00:00:00Z') };
const sender: PartyInfo = { eui: SUPPLIER, name: 'Test Supplier', userRoles: ['IS', 'GS'], dccUser: true, isDcc: false };

/** A request as the pipeline would hand it over once its checks passed. */
function validated(o: { target: string; counter: bigint; commandVariant: number; body: ServiceBody; variant?: string }): ValidatedRequest {
  const request = parseDuisRequest(buildRequest({
    requestId: { originator: SUPPLIER, target: o.target, counter: o.counter },
    commandVariant: o.commandVariant,
    ...(o.variant ? { serviceReference: o.variant.split('.').slice(0, 2).join('.'), serviceReferenceVariant: o.variant } : {}),
    body: o.body,
  }));
  const service = serviceFor(request.body.kind, request.serviceReferenceVariant)!;
  return { request, service, signer: {} as CertificateFacts, sender, trace: [] };
}

const entry = (eui: string, commissionedAt: string | null): InventoryEntry => ({
  eui, type: 'ESME', status: 'Commissioned', manufacturer: 'ACME', model: 'M1', firmware: '0001', commissionedAt,
  mpxn: '1234567890123', uprn: 42, postcode: 'AB1 2CD', address: '1 Street', supplierEui: SUPPLIER,
});

describe('8.2 Read Inventory', () => {
  const v = validated({ target: DCC, counter: 5n, commandVariant: 8, body: { kind: 'ReadInventory', by: { mpxn: '1234567890123' } } });

  it('declares the inventory query it needs', () => {
    expect(v.service.needs?.(v)).toEqual({ inventory: { mpxn: '1234567890123' } });
  });

  it('answers I0 with the matching devices, commissioning dates as xs:date', () => {
    const out = v.service.handle(v, { inventory: [entry(ESME, '2026-10-01T12:00:00.000Z')] }, dcc);
    expect(out.answer.responseCode).toBe(Codes.success);
    expect(out.answer.content).toEqual({
      dspInventory: [expect.objectContaining({ deviceId: ESME, deviceType: 'ESME', dateCommissioned: '2026-10-01Z', importMpxn: '1234567890123', uprn: '42' })],
    });
    expect(out.command).toBeUndefined();
    expect(out.advanceCounter).toBe(true);
  });

  it('refuses with E080201 at the inventory step when nothing matches', () => {
    let thrown: unknown;
    try {
      v.service.handle(v, { inventory: [] }, dcc);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(GatewayRejection);
    expect(thrown).toMatchObject({ responseCode: 'E080201', step: 'inventory', reason: expect.stringContaining("mpxn '1234567890123'") });
  });
});

describe('6.15.1 Update Security Credentials (KRP) and its signed pre-command', () => {
  const body: ServiceBody = {
    kind: 'UpdateSecurityCredentialsKRP', remotePartyRole: 'Supplier', certificationPath: [CERT], applyTimeBasedCpvChecks: true,
  };
  const v = validated({ target: ESME, counter: 77n, commandVariant: 4, body });
  const out = v.service.handle(v, {}, dcc);
  const issued = 'issue' in out.preCommand! ? out.preCommand.issue : Buffer.alloc(0);

  it('issues an unsigned CS02b pre-command from the originator, with its RequestID counter, and answers it I0', () => {
    const apdu = decodeApdu(issued);
    expect(apdu.form).toBe('unsigned');
    expect(apdu.originator).toBe(SUPPLIER);
    expect(apdu.target).toBe(ESME);
    expect(apdu.counter).toBe(77n);
    expect(apdu.messageCode).toBe(cs02bMessageCode(CredentialsReplacementMode.supplierBySupplier));
    expect(decodeCs02bCommand(apdu.payload).authorisingSeqNumber).toBe(77n);
    expect(out.answer).toEqual({ responseCode: 'I0', content: { preCommand: { gbcsVersion: '4.2', gbcsPayload: issued } } });
    expect(out.command).toBeUndefined();
  });

  const supplierDs = generateKeyPair();
  const signedLeg = (payload: Buffer) => validated({ target: ESME, counter: 77n, commandVariant: 5, variant: '6.15.1', body: { kind: 'SignedPreCommand', gbcsPayload: payload } });
  const stateWith = (keys: { publicKey: import('node:crypto').KeyObject }[]): HandlerState => ({
    preCommand: { targetEui: ESME, serviceVariant: '6.15.1', payload: issued, consumed: false },
    organisationCertificates: new Map([[RemotePartyRole.Supplier, keys.map((k) => ({ facts: { publicKey: k.publicKey } as CertificateFacts, revoked: false }))]]),
    deviceKeyAgreement: rawPublicKey(deviceKa.publicKey),
  });

  it('the leg completes a pre-command signed by the originator: MAC added, pre-command consumed, counter not advanced', () => {
    const signed = signApdu(issued, supplierDs.privateKey);
    const leg = signedLeg(signed);
    expect(leg.service.needs?.(leg)).toMatchObject({ preCommand: true, deviceKeyAgreement: true });
    const done = leg.service.handle(leg, stateWith([supplierDs]), dcc);
    expect(done.answer.responseCode).toBe('I99');
    expect(done.preCommand).toEqual({ consume: true });
    expect(done.advanceCounter).toBe(false);
    expect(isGeneralCiphering(done.command!)).toBe(true);
    expect(unwrapGeneralCiphering(done.command!).apdu.equals(signed)).toBe(true);
  });

  it('the leg refuses a signature by a key that is not the originator\'s, and a pre-command that was altered (E061508)', () => {
    const other = generateKeyPair();
    const leg = signedLeg(signApdu(issued, other.privateKey));
    expect(() => leg.service.handle(leg, stateWith([supplierDs]), dcc)).toThrow(/does not verify with any digital-signing certificate/);
    const altered = Buffer.from(issued);
    // a payload octet (the last one is the empty signature's length)
    altered[altered.length - 10] = altered[altered.length - 10]! ^ 1;
    const leg2 = signedLeg(signApdu(altered, supplierDs.privateKey));
    try {
      leg2.service.handle(leg2, stateWith([supplierDs]), dcc);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ responseCode: 'E061508', step: 'pre-command', reason: expect.stringContaining('differs from the pre-command issued') });
    }
  });
});

describe('DCC-originated commands (6.21, 6.24.1)', () => {
  it('6.21 is signed by the ACB with the ACB counter the shell allocated, and MAC\'d for the device', () => {
    const v = validated({
      target: ESME, counter: 9n, commandVariant: 1,
      body: { kind: 'RequestHandoverOfDCCControlledDevice', remotePartyRole: 'Supplier', digitalSigning: CERT, certificationPath: [CERT], applyTimeBasedCpvChecks: true },
    });
    expect(v.service.needs?.(v)).toEqual({ acbCounter: true, deviceKeyAgreement: true });
    const out = v.service.handle(v, { acbCounter: 1234n, deviceKeyAgreement: rawPublicKey(deviceKa.publicKey) }, dcc);
    const inner = decodeApdu(unwrapGeneralCiphering(out.command!).apdu);
    expect(inner.form).toBe('signed');
    expect(inner.originator).toBe(DCC);
    expect(inner.counter).toBe(1234n);
    expect(decodeCs02bCommand(inner.payload)).toMatchObject({ authorisingSeqNumber: 1234n, newFloorSeqNumber: 0n, newTopUpFloorSeqNumber: 0n });
    expect(out).toMatchObject({ step: { name: 'command' }, answer: { responseCode: 'I99' }, advanceCounter: true });
  });

  it('6.24.1 reads the requested roles\' cells with a CS02a from the ACB', () => {
    const v = validated({ target: ESME, counter: 10n, commandVariant: 1, body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ['Supplier', 'NetworkOperator'] } });
    const out = v.service.handle(v, { acbCounter: 99n, deviceKeyAgreement: rawPublicKey(deviceKa.publicKey) }, dcc);
    const inner = decodeApdu(unwrapGeneralCiphering(out.command!).apdu);
    expect(inner.messageCode).toBe(CS02A_MESSAGE_CODE);
    expect(inner.counter).toBe(99n);
    expect(decodeCs02aCommand(inner.payload).roles).toEqual([RemotePartyRole.Supplier, RemotePartyRole.NetworkOperator]);
  });
});

describe('12.2 Device Pre-notification', () => {
  const NEW = '00DB000000000077';
  const prenotify = (extra: Partial<Extract<ServiceBody, { kind: 'DevicePrenotification' }>>) =>
    validated({ target: DCC, counter: 11n, commandVariant: 8, body: { kind: 'DevicePrenotification', deviceId: NEW, manufacturer: 'AB01', model: 'M', deviceType: 'ESME', ...extra } });
  const refusal = (v: ValidatedRequest, state: HandlerState) => {
    try {
      v.service.handle(v, state, dcc);
    } catch (e) {
      return e as GatewayRejection;
    }
    throw new Error('not refused');
  };

  it('adds a Pending device, pre-notified by the sender; the DCC answers I0 with no content', () => {
    const v = prenotify({ firmwareVersion: '0001', esmeVariant: 'A' });
    expect(v.service.needs?.(v)).toEqual({ inventoryDevices: [NEW] });
    const out = v.service.handle(v, { inventoryDevices: new Map() }, dcc);
    expect(out.answer).toEqual({ responseCode: 'I0' });
    expect(out.inventory).toEqual([{ kind: 'add', device: expect.objectContaining({ eui: NEW, type: 'ESME', status: 'Pending', firmware: '0001', esmeVariant: 'A', addedBy: SUPPLIER }) }]);
  });

  it('refuses an ESMEVariant on a GSME and an associated GPF that is not one (E120204)', () => {
    expect(refusal(prenotify({ deviceType: 'GSME', esmeVariant: 'A' }), { inventoryDevices: new Map() })).toMatchObject({ responseCode: 'E120204' });
    const gsme = prenotify({ deviceType: 'GSME', associatedGpf: ESME });
    expect(gsme.service.needs?.(gsme)).toEqual({ inventoryDevices: [NEW, ESME] });
    expect(refusal(gsme, { inventoryDevices: new Map([[ESME, entry(ESME, null)]]) })).toMatchObject({ responseCode: 'E120204', reason: expect.stringContaining('is an ESME, not a GPF') });
  });
});

describe('8.4 Update Inventory', () => {
  const upd = (update: Extract<ServiceBody, { kind: 'UpdateInventory' }>['update']) =>
    validated({ target: DCC, counter: 12n, commandVariant: 8, body: { kind: 'UpdateInventory', deviceId: ESME, update } });
  const commissioned = new Map([[ESME, entry(ESME, '2026-01-01T00:00:00Z')]]);

  it('moves installation on: a status the current one allows, dated when Commissioned', () => {
    const v = upd({ kind: 'status', commsHub: false, status: 'Pending' });
    let err: unknown;
    try {
      v.service.handle(v, { inventoryDevices: commissioned }, dcc);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ responseCode: 'E080408', reason: expect.stringContaining('is Commissioned; it cannot become Pending') });
    const pending = new Map([[ESME, { ...entry(ESME, null), status: 'Pending' }]]);
    const ok = upd({ kind: 'status', commsHub: false, status: 'InstalledNotCommissioned' });
    expect(ok.service.handle(ok, { inventoryDevices: pending }, dcc).inventory).toEqual([{ kind: 'update', eui: ESME, set: { status: 'InstalledNotCommissioned' } }]);
  });

  it('needs the new MPxN\'s registration data, and refuses an update naming no field', () => {
    const v = upd({ kind: 'mpxn', which: 'ExportMPAN', value: '1234567890123' });
    expect(v.service.needs?.(v)).toEqual({ inventoryDevices: [ESME], supplyPoint: '1234567890123' });
    const empty = upd({ kind: 'details' });
    expect(() => empty.service.handle(empty, { inventoryDevices: commissioned }, dcc)).toThrow(/names no field/);
  });
});

describe('6.23 Update Security Credentials (CoS) against its RTDS vector', () => {
  const rtdsDir = new URL('../../../shared/rtds/6.23_CS02bSupplierByTransCoS/', import.meta.url);
  const rtdsCommand = (name: string) => {
    const m = unwrapGeneralCiphering(Buffer.from(readFileSync(new URL(name, rtdsDir), 'utf8').replace(/\s/g, ''), 'hex'));
    return decodeApdu(m.apdu);
  };
  const TRANSCOS = '90B3D51F30000004';

  it('is the command RTDS has, apart from counters, signature, MAC and certificates', () => {
    const transCoS = generateKeyPair();
    const v = validated({
      target: ESME, counter: 13n, commandVariant: 1,
      body: {
        kind: 'UpdateSecurityCredentialsCoS', remotePartyRole: 'Supplier', floorSeqNumber: 0n, topUpFloorSeqNumber: 0n,
        digitalSigning: CERT, keyAgreement: CERT, keyAgreementTopUp: CERT, certificationPath: [CERT], applyTimeBasedCpvChecks: true, importMpxn: '1312345678333',
      },
    });
    const cert = (certificate: Buffer) => ({ facts: { der: certificate } as CertificateFacts });
    v.replacements = [{ slot: 'DS', ...cert(CERT) }, { slot: 'KA', ...cert(CERT) }, { slot: 'KA-TopUp', ...cert(CERT) }];
    expect(v.service.needs?.(v)).toEqual({ dccCounter: 'TransCoS', signerForCell: 'transitionalCoSDS', deviceKeyAgreement: true });
    const out = v.service.handle(v, { dccCounter: 6001n, cellSigner: { eui: TRANSCOS, key: transCoS.privateKey }, deviceKeyAgreement: rawPublicKey(deviceKa.publicKey) }, dcc);
    const ours = decodeApdu(unwrapGeneralCiphering(out.command!).apdu);
    const theirs = rtdsCommand('CS02bSupplierByTransCoS_6.23_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX');
    const shape = (a: typeof ours) => {
      const c = decodeCs02bCommand(a.payload);
      return { originator: a.originator, target: a.target, messageCode: a.messageCode, form: a.form, ...c, replacements: c.replacements.map((r) => r.target), certificationPath: c.certificationPath.length };
    };
    expect(shape(ours)).toEqual(shape(theirs));
  });

  it('refuses when the DCC holds no key for the TransCoS certificate in the device\'s cell', () => {
    const v = validated({
      target: ESME, counter: 14n, commandVariant: 1,
      body: { kind: 'UpdateSecurityCredentialsCoS', remotePartyRole: 'Supplier', floorSeqNumber: 0n, digitalSigning: CERT, certificationPath: [CERT], applyTimeBasedCpvChecks: true, importMpxn: '1' },
    });
    expect(() => v.service.handle(v, { dccCounter: 1n, cellSigner: null, deviceKeyAgreement: rawPublicKey(deviceKa.publicKey) }, dcc)).toThrow(/holds no key for the Transitional CoS certificate/);
  });
});

describe('6.17 Issue Security Credentials against its RTDS vectors', () => {
  const rtdsDir = new URL('../../../shared/rtds/6.17_CS02c/', import.meta.url);
  const vector = (name: string) => Buffer.from(readFileSync(new URL(name, rtdsDir), 'utf8').replace(/\s/g, ''), 'hex');
  const request = (counter: bigint, credentialType: 'Digital Signature' | 'Key Agreement') =>
    validated({ target: ESME, counter, commandVariant: 4, body: { kind: 'IssueSecurityCredentials', credentialType } });
  const issue = (counter: bigint, credentialType: 'Digital Signature' | 'Key Agreement') => {
    const v = request(counter, credentialType);
    const out = v.service.handle(v, {}, dcc);
    return { out, issued: 'issue' in out.preCommand! ? out.preCommand.issue : Buffer.alloc(0) };
  };

  it('reads the RTDS request template', () => {
    const xml = readFileSync(new URL('../../node_modules/@smartdcc/duis-templates/templates/CS02c_6.17_SUCCESS_REQUEST_DUIS.XML', import.meta.url));
    const r = parseDuisRequest(xml);
    expect(r.body).toEqual({ kind: 'IssueSecurityCredentials', credentialType: 'Digital Signature' });
    expect(r.commandVariant).toBe(4);
  });

  // dcc-sim issues pre-commands in the unsigned form (empty signature length 00, as 6.15.1 does); RTDS leaves it off.
  it('issues the RTDS pre-command byte for byte, plus the empty signature length (counters 1000 and 1002 as the vectors), answered I0', () => {
    const ds = issue(1000n, 'Digital Signature');
    expect(ds.issued.toString('hex')).toBe(`${vector('CS02c_6.17_SUCCESS_PRECOMMAND_GBCS.HEX').toString('hex')}00`);
    expect(ds.out.answer).toEqual({ responseCode: 'I0', content: { preCommand: { gbcsVersion: '4.2', gbcsPayload: ds.issued } } });
    expect(ds.out.advanceCounter).toBe(true);
    expect(ds.out.command).toBeUndefined();
    expect(issue(1002n, 'Key Agreement').issued.toString('hex')).toBe(`${vector('CS02c_6.17_ERROR_PRECOMMAND_GBCS.HEX').toString('hex')}00`);
  });

  const supplierDs = generateKeyPair();
  const { issued } = issue(1000n, 'Digital Signature');
  const signedLeg = (payload: Buffer) => validated({ target: ESME, counter: 1000n, commandVariant: 5, variant: '6.17', body: { kind: 'SignedPreCommand', gbcsPayload: payload } });
  const state: HandlerState = {
    preCommand: { targetEui: ESME, serviceVariant: '6.17', payload: issued, consumed: false },
    organisationCertificates: new Map([[RemotePartyRole.Supplier, [{ facts: { publicKey: supplierDs.publicKey } as CertificateFacts, revoked: false }]]]),
    deviceKeyAgreement: rawPublicKey(deviceKa.publicKey),
  };

  it('completes the signed pre-command into the RTDS command, apart from the signature and the MAC', () => {
    const leg = signedLeg(signApdu(issued, supplierDs.privateKey));
    expect(leg.service.needs?.(leg)).toMatchObject({ preCommand: true, organisationCertificates: { roles: [RemotePartyRole.Supplier], usage: 'DS' }, deviceKeyAgreement: true });
    const done = leg.service.handle(leg, state, dcc);
    expect(done.answer.responseCode).toBe('I99');
    expect(done.preCommand).toEqual({ consume: true });
    expect(done.advanceCounter).toBe(false);
    const ours = decodeApdu(unwrapGeneralCiphering(done.command!).apdu);
    const theirs = decodeApdu(unwrapGeneralCiphering(vector('CS02c_6.17_SUCCESS_COMMAND_GBCS.HEX')).apdu);
    expect(ours.signedData.toString('hex')).toBe(theirs.signedData.toString('hex'));
    expect(ours.form).toBe(theirs.form);
    expect(decodeCs02cCommand(ours.payload)).toEqual({ keyUsage: 'DS' });
  });

  it('refuses (E100) an unsigned, altered or foreign-signed pre-command', () => {
    expect(refusedBy(signedLeg(issued), state)).toMatchObject({ responseCode: 'E100', reason: expect.stringContaining('carries no signature') });
    expect(refusedBy(signedLeg(signApdu(issued, generateKeyPair().privateKey)), state)).toMatchObject({ responseCode: 'E100', reason: expect.stringContaining('does not verify') });
    const ka = issue(1000n, 'Key Agreement').issued;
    expect(refusedBy(signedLeg(signApdu(ka, supplierDs.privateKey)), state)).toMatchObject({ responseCode: 'E100', reason: expect.stringContaining('differs from the pre-command issued') });
  });

  it('suits smart meters only, and needs the registered supplier', () => {
    const v = request(1n, 'Key Agreement');
    expect(v.service.device!.suits(v.request.body, 'ESME')).toBe(true);
    expect(v.service.device!.suits(v.request.body, 'GSME')).toBe(true);
    expect(v.service.device!.suits(v.request.body, 'CHF')).toMatch(/smart meter/);
    expect(v.service.device!.suits(v.request.body, 'GPF')).toMatch(/smart meter/);
  });
});

/** The GatewayRejection a handler throws, or a failure when it accepts. */
function refusedBy(v: ValidatedRequest, state: HandlerState): GatewayRejection {
  try {
    v.service.handle(v, state, dcc);
  } catch (e) {
    return e as GatewayRejection;
  }
  throw new Error('not refused');
}

describe('8.3 Decommission Device', () => {
  const decommission = (eui = ESME) => validated({ target: DCC, counter: 13n, commandVariant: 8, body: { kind: 'DecommissionDevice', deviceId: eui } });

  it('marks an installed device Decommissioned; the DCC answers I0 with no content', () => {
    const v = decommission();
    expect(v.service.needs?.(v)).toEqual({ inventoryDevices: [ESME] });
    const out = v.service.handle(v, { inventoryDevices: new Map([[ESME, entry(ESME, '2026-01-01T00:00:00Z')]]) }, dcc);
    expect(out.answer).toEqual({ responseCode: 'I0' });
    expect(out.inventory).toEqual([{ kind: 'update', eui: ESME, set: { status: 'Decommissioned' } }]);
    expect(out.command).toBeUndefined();
  });

  it('refuses an unknown device (E080301), a device of another supplier (E080302), a comms hub (E11) and a device never installed or already decommissioned (E5)', () => {
    expect(refusedBy(decommission(), { inventoryDevices: new Map() })).toMatchObject({ responseCode: 'E080301', step: 'inventory' });
    const other = { ...entry(ESME, null), supplierEui: '90B3D51F30030000' };
    expect(refusedBy(decommission(), { inventoryDevices: new Map([[ESME, other]]) })).toMatchObject({ responseCode: 'E080302', reason: expect.stringContaining('is not responsible for ESME') });
    const chf = { ...entry(ESME, null), type: 'CHF' };
    expect(refusedBy(decommission(), { inventoryDevices: new Map([[ESME, chf]]) })).toMatchObject({ responseCode: 'E11' });
    for (const status of ['Pending', 'Decommissioned']) {
      const d = { ...entry(ESME, null), status };
      expect(refusedBy(decommission(), { inventoryDevices: new Map([[ESME, d]]) })).toMatchObject({ responseCode: 'E5', reason: expect.stringContaining(`is ${status}`) });
    }
  });
});

describe('8.14 Communications Hub Status Update', () => {
  const HUB = '00DB1234567890A2';
  const MPAN = '1234567890123';
  const hub = (status: string, addedBy: string = SUPPLIER): InventoryEntry => ({ ...entry(HUB, null), type: 'CHF', status, mpxn: null, supplierEui: null, addedBy });
  const sp = { mpxn: MPAN, fuel: 'E' as const, networkOperatorEui: '90B3D51F30020000', supplierEui: SUPPLIER };
  const install = (kind: 'CHFInstallSuccessSMWAN' | 'CHFInstallSuccessNoSMWAN', installType: 'New CHF Install' | 'CHF Install - no SM WAN') => {
    const common = { deviceId: HUB, installType, reference: {}, mpxn: MPAN, aerialInstall: false, location: 'Deep indoors' as const };
    const body: ServiceBody = kind === 'CHFInstallSuccessSMWAN'
      ? { kind, ...common }
      : { kind, ...common, premiseType: 'Terraced', metalObstruction: false, connectivityObstruction: true, sharedObstruction: false };
    return validated({ target: DCC, counter: 14n, commandVariant: 8, body });
  };
  const installState = (status: string): HandlerState => ({ inventoryDevices: new Map([[HUB, hub(status)]]), supplyPoint: sp, inventory: [entry(ESME, null)] });

  it('install success with SM WAN commissions the hub, SM WAN Connected, and links the meters at the MPxN', () => {
    const v = install('CHFInstallSuccessSMWAN', 'New CHF Install');
    expect(v.service.needs?.(v)).toEqual({ inventoryDevices: [HUB], supplyPoint: MPAN, inventory: { mpxn: MPAN } });
    const out = v.service.handle(v, installState('Pending'), dcc);
    expect(out.answer).toEqual({ responseCode: 'I0' });
    expect(out.inventory).toEqual([
      { kind: 'update', eui: HUB, set: { status: 'Commissioned', smWan: 'Connected', commissionedAt: dcc.now.toISOString() } },
      { kind: 'update', eui: ESME, set: { commsHubEui: HUB } },
    ]);
  });

  it('install without SM WAN leaves the hub InstalledNotCommissioned, SM WAN NoSMWAN; the survey goes to the log', () => {
    const v = install('CHFInstallSuccessNoSMWAN', 'CHF Install - no SM WAN');
    const out = v.service.handle(v, installState('Whitelisted'), dcc);
    expect(out.inventory![0]).toEqual({ kind: 'update', eui: HUB, set: { status: 'InstalledNotCommissioned', smWan: 'NoSMWAN' } });
    expect(out.step.detail).toMatch(/Terraced; obstructions: metal false, connectivity true/);
  });

  it('refuses: not a hub (E081401), not its supplier (E4), a Commissioned hub (E081402), an unknown or foreign MPxN (E081405), an install type of the other variant (E081406)', () => {
    const v = install('CHFInstallSuccessSMWAN', 'New CHF Install');
    expect(refusedBy(v, { ...installState('Pending'), inventoryDevices: new Map([[HUB, { ...entry(HUB, null) }]]) })).toMatchObject({ responseCode: 'E081401', reason: expect.stringContaining('is not a comms hub') });
    expect(refusedBy(v, { ...installState('Pending'), inventoryDevices: new Map([[HUB, hub('Pending', '90B3D51F30030000')]]) })).toMatchObject({ responseCode: 'E4' });
    expect(refusedBy(v, installState('Commissioned'))).toMatchObject({ responseCode: 'E081402' });
    expect(refusedBy(v, { ...installState('Pending'), supplyPoint: null })).toMatchObject({ responseCode: 'E081405', reason: expect.stringContaining('not in registration data') });
    expect(refusedBy(v, { ...installState('Pending'), supplyPoint: { ...sp, supplierEui: '90B3D51F30030000' } })).toMatchObject({ responseCode: 'E081405' });
    expect(refusedBy(install('CHFInstallSuccessSMWAN', 'CHF Install - no SM WAN'), installState('Pending'))).toMatchObject({ responseCode: 'E081406' });
    expect(refusedBy(install('CHFInstallSuccessNoSMWAN', 'New CHF Install'), installState('Pending'))).toMatchObject({ responseCode: 'E081406' });
  });

  it('a fault or no-fault return withdraws the hub; a fault found before installation must be on a hub never installed', () => {
    const fault = (returnType: 'Fault identified prior to installation' | 'Fault identified post installation') => validated({
      target: DCC, counter: 15n, commandVariant: 8,
      body: { kind: 'CHFFaultReturn', deviceId: HUB, returnType, reference: {}, otherDeviceId: ESME, connectionMethod: 'Hot-shoe', faultReason: 'Damaged case' },
    });
    const before = fault('Fault identified prior to installation');
    expect(before.service.handle(before, { inventoryDevices: new Map([[HUB, hub('Pending')]]) }, dcc).inventory).toEqual([{ kind: 'update', eui: HUB, set: { status: 'Withdrawn' } }]);
    expect(refusedBy(before, { inventoryDevices: new Map([[HUB, hub('Commissioned')]]) })).toMatchObject({ responseCode: 'E081406' });
    expect(refusedBy(fault('Fault identified post installation'), { inventoryDevices: new Map([[HUB, hub('Pending')]]) })).toMatchObject({ responseCode: 'E081406' });
    const noFault = validated({ target: DCC, counter: 16n, commandVariant: 8, body: { kind: 'CHFNoFaultReturn', deviceId: HUB, returnType: 'Lost or Stolen Hub', reference: {} } });
    expect(noFault.service.handle(noFault, { inventoryDevices: new Map([[HUB, hub('Commissioned')]]) }, dcc).inventory).toEqual([{ kind: 'update', eui: HUB, set: { status: 'Withdrawn' } }]);
    expect(refusedBy(noFault, { inventoryDevices: new Map([[HUB, hub('Withdrawn')]]) })).toMatchObject({ responseCode: 'E081402', reason: expect.stringContaining('already left service') });
  });
});

describe('12.1 Request WAN Matrix', () => {
  const ask = (by: { uprn: string } | { postCode: string; addressIdentifier: string }) =>
    validated({ target: DCC, counter: 17n, commandVariant: 8, body: { kind: 'RequestWANMatrix', by } });

  it('answers a postcode with its CSP region and 4G region, the same way every time', () => {
    const v = ask({ postCode: 'm22  0rr', addressIdentifier: 'Threapwood Road' });
    expect(v.service.needs?.(v)).toEqual({});
    const out = v.service.handle(v, {}, dcc);
    expect(out.answer.responseCode).toBe('I0');
    const m = (out.answer.content as { dspWanMatrix: { request: unknown; regions: { cspRegion: string; responseCode: string; coverage?: { wanTechnology: string } }[] } }).dspWanMatrix;
    expect(m.request).toEqual({ postCode: 'm22  0rr', addressIdentifier: 'Threapwood Road' });
    expect(m.regions.map((r) => [r.cspRegion, r.responseCode, r.coverage?.wanTechnology])).toEqual([['North', 'I0', 'Long Range Radio'], ['4G North', 'I0', '4G Cellular']]);
    expect(v.service.handle(v, {}, dcc).answer).toEqual(out.answer);
    const cardiff = ask({ postCode: 'CF10 1AA', addressIdentifier: '1' });
    const london = ask({ postCode: 'SW1A 1AA', addressIdentifier: '1' });
    const region = (x: ValidatedRequest) => (x.service.handle(x, {}, dcc).answer.content as { dspWanMatrix: { regions: { cspRegion: string }[] } }).dspWanMatrix.regions[0]!.cspRegion;
    expect([region(cardiff), region(london)]).toEqual(['Central', 'South']);
  });

  it('finds a UPRN\'s postcode in the inventory; refuses an unknown UPRN (E120101), a postcode that is not one (E120102) and one outside GB (E120103)', () => {
    const byUprn = ask({ uprn: '42' });
    expect(byUprn.service.needs?.(byUprn)).toEqual({ inventory: { uprn: '42' } });
    expect(byUprn.service.handle(byUprn, { inventory: [entry(ESME, null)] }, dcc).step.detail).toMatch(/^UPRN 42 \(AB1 2CD\): North/);
    expect(refusedBy(byUprn, { inventory: [] })).toMatchObject({ responseCode: 'E120101', step: 'wan-matrix' });
    expect(refusedBy(ask({ postCode: 'NOTAPC', addressIdentifier: '' }), {})).toMatchObject({ responseCode: 'E120102' });
    expect(refusedBy(ask({ postCode: 'BT1 1AA', addressIdentifier: '' }), {})).toMatchObject({ responseCode: 'E120103', reason: expect.stringContaining('outside Great Britain') });
  });
});

describe('8.13 Return Local Command Response', () => {
  // The RTDS template's DeviceGBCSResponse: the ESME's signed CS06 (0x0012) response to the supplier, counter 1000.
  const CS06 = Buffer.from('3wkCAAAAAAAAA+gIANsSNFZ4kKAIkLPVHzABAAAMB98BAf8AAAAAgAD/AgASCzAJAgEABAQxMjM0QKnuN2SSTdcopXqd/Q/dlhD/hr5jjIhQdtE6/tN329Chbx9qrKO9ZYnokZv3qr3UWaKDbKQTopwS2Qr17XcT46Q=', 'base64');
  const original = (counter: bigint) => ({ originator: SUPPLIER, target: ESME, counter, text: `90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:${counter}` });
  const back = (response: Buffer, counter?: bigint) => validated({
    target: DCC, counter: 18n, commandVariant: 8,
    body: { kind: 'ReturnLocalCommandResponse', ...(counter !== undefined ? { originalRequestId: original(counter) } : {}), deviceGbcsResponse: response },
  });
  const devices = (status = 'Commissioned') => ({ inventoryDevices: new Map([[ESME, { ...entry(ESME, null), status }]]) });

  it('takes the device\'s response to the original request and records it; the DCC answers I0 with no content, changing nothing', () => {
    const v = back(CS06, 1000n);
    expect(v.service.needs?.(v)).toEqual({ inventoryDevices: [ESME] });
    const out = v.service.handle(v, devices(), dcc);
    expect(out.answer).toEqual({ responseCode: 'I0' });
    expect(out.step).toEqual({ name: 'local-response', detail: expect.stringMatching(/^ESME 00-DB-12-34-56-78-90-A0 answered message code 0x0012, counter 1000 \(signed\), payload 3009020100040431323334/) });
    expect(out.inventory).toBeUndefined();
    expect(out.command).toBeUndefined();
  });

  it('refuses what is not a response (E081301), one that does not answer OriginalRequestID (E081302), and one from a device unknown or out of service (E081303)', () => {
    expect(refusedBy(back(Buffer.from('00', 'hex')), devices())).toMatchObject({ responseCode: 'E081301', step: 'local-response' });
    expect(refusedBy(back(CS06, 1001n), devices())).toMatchObject({ responseCode: 'E081302', reason: expect.stringContaining('counter 1000') });
    expect(refusedBy(back(CS06), { inventoryDevices: new Map() })).toMatchObject({ responseCode: 'E081303' });
    expect(refusedBy(back(CS06), devices('Decommissioned'))).toMatchObject({ responseCode: 'E081303', reason: expect.stringContaining('is Decommissioned') });
  });
});

describe('6.24.2 Retrieve Device Security Credentials (Device) against its RTDS vectors', () => {
  const rtdsHex = (name: string) => Buffer.from(readFileSync(new URL(`../../../shared/rtds/6.24.2_CS02e/${name}`, import.meta.url), 'utf8').trim(), 'hex');
  const supplierDs = generateKeyPair();
  const request = (credentialType: 'Digital Signature' | 'Key Agreement', counter: bigint) =>
    validated({ target: ESME, counter, commandVariant: 4, body: { kind: 'RetrieveDeviceSecurityCredentialsDevice', credentialType } });
  const leg = (payload: Buffer, counter: bigint) =>
    validated({ target: ESME, counter, commandVariant: 5, variant: '6.24.2', body: { kind: 'SignedPreCommand', gbcsPayload: payload } });
  const legState = (issued: Buffer, key = supplierDs): HandlerState => ({
    preCommand: { targetEui: ESME, serviceVariant: '6.24.2', payload: issued, consumed: false },
    organisationCertificates: new Map([[RemotePartyRole.Supplier, [{ facts: { publicKey: key.publicKey } as CertificateFacts, revoked: false }]]]),
    deviceKeyAgreement: rawPublicKey(deviceKa.publicKey),
  });

  it('issues the RTDS pre-command for the same RequestID (DS and KA), answered I0: the same octets, then the empty signature length 00', () => {
    for (const [type, counter, file] of [['Digital Signature', 1000n, 'SUCCESS'], ['Key Agreement', 1002n, 'ERROR']] as const) {
      const v = request(type, counter);
      const out = v.service.handle(v, {}, dcc);
      expect(out.answer.responseCode).toBe('I0');
      expect(out.advanceCounter).toBe(true);
      const issued = 'issue' in out.preCommand! ? out.preCommand.issue : Buffer.alloc(0);
      expect(issued.toString('hex')).toBe(`${rtdsHex(`CS02e_6.24.2_${file}_PRECOMMAND_GBCS.HEX`).toString('hex')}00`);
    }
  });

  it('the signed leg is the RTDS command apart from signature and MAC; the pre-command is consumed', () => {
    const v = request('Digital Signature', 1000n);
    const out = v.service.handle(v, {}, dcc);
    const issued = 'issue' in out.preCommand! ? out.preCommand.issue : Buffer.alloc(0);
    const l = leg(signApdu(issued, supplierDs.privateKey), 1000n);
    expect(l.service.needs?.(l)).toEqual({ preCommand: true, organisationCertificates: { roles: [RemotePartyRole.Supplier], usage: 'DS' }, deviceKeyAgreement: true });
    const done = l.service.handle(l, legState(issued), dcc);
    expect(done.answer.responseCode).toBe('I99');
    expect(done.preCommand).toEqual({ consume: true });
    const ours = decodeApdu(unwrapGeneralCiphering(done.command!).apdu);
    const theirs = decodeApdu(unwrapGeneralCiphering(rtdsHex('CS02e_6.24.2_SUCCESS_COMMAND_GBCS.HEX')).apdu);
    expect(ours.signedData.equals(theirs.signedData)).toBe(true);
    expect([ours.form, ours.signature?.length]).toEqual([theirs.form, theirs.signature?.length]);
  });

  it('refuses a leg signed by another key or altered (E062401)', () => {
    const v = request('Key Agreement', 1002n);
    const out = v.service.handle(v, {}, dcc);
    const issued = 'issue' in out.preCommand! ? out.preCommand.issue : Buffer.alloc(0);
    const l = leg(signApdu(issued, generateKeyPair().privateKey), 1002n);
    expect(refusedBy(l, legState(issued))).toMatchObject({ responseCode: 'E062401', step: 'pre-command', reason: expect.stringContaining('does not verify') });
    const altered = Buffer.from(issued);
    altered[altered.length - 3] = 0x07; // KA asked, DS signed for (the last octet is the empty signature's length)
    altered[altered.length - 2] = 0x80;
    const l2 = leg(signApdu(altered, supplierDs.privateKey), 1002n);
    expect(refusedBy(l2, legState(issued))).toMatchObject({ responseCode: 'E062401', reason: expect.stringContaining('differs from the pre-command issued') });
  });

  it('reaches the meters and the GPF through their registered supplier, not a comms hub', () => {
    const v = request('Digital Signature', 1n);
    expect(v.service.device!.suits(v.request.body, 'GSME')).toBe(true);
    expect(v.service.device!.suits(v.request.body, 'CHF')).toMatch(/no supplier cell/);
  });
});

describe('6.15.2 Update Security Credentials (Device) against its RTDS vectors', () => {
  const rtdsHex = (name: string) => Buffer.from(readFileSync(new URL(`../../../shared/rtds/6.15.2_CS02d/${name}`, import.meta.url), 'utf8').trim(), 'hex');
  const rtdsCertificate = decodeApdu(rtdsHex('CS02d_6.15.2_SUCCESS_PRECOMMAND_GBCS.HEX')).payload;
  const supplierDs = generateKeyPair();
  const v = validated({ target: ESME, counter: 1000n, commandVariant: 4, body: { kind: 'UpdateSecurityCredentialsDevice', deviceCertificate: rtdsCertificate } });
  const out = v.service.handle(v, {}, dcc);
  const issued = 'issue' in out.preCommand! ? out.preCommand.issue : Buffer.alloc(0);
  const leg = (payload: Buffer) => validated({ target: ESME, counter: 1000n, commandVariant: 5, variant: '6.15.2', body: { kind: 'SignedPreCommand', gbcsPayload: payload } });
  const legState = (key = supplierDs): HandlerState => ({
    preCommand: { targetEui: ESME, serviceVariant: '6.15.2', payload: issued, consumed: false },
    organisationCertificates: new Map([[RemotePartyRole.Supplier, [{ facts: { publicKey: key.publicKey } as CertificateFacts, revoked: false }]]]),
    deviceKeyAgreement: rawPublicKey(deviceKa.publicKey),
  });

  it('issues the RTDS pre-command for the same RequestID and certificate, answered I0', () => {
    expect(out.answer.responseCode).toBe('I0');
    expect(out.advanceCounter).toBe(true);
    expect(issued.toString('hex')).toBe(`${rtdsHex('CS02d_6.15.2_SUCCESS_PRECOMMAND_GBCS.HEX').toString('hex')}00`);
  });

  it('the signed leg is the RTDS command apart from signature and MAC; the pre-command is consumed, the counter not advanced', () => {
    const l = leg(signApdu(issued, supplierDs.privateKey));
    const done = l.service.handle(l, legState(), dcc);
    expect([done.answer.responseCode, done.advanceCounter, done.preCommand]).toEqual(['I99', false, { consume: true }]);
    const ours = decodeApdu(unwrapGeneralCiphering(done.command!).apdu);
    const theirs = decodeApdu(unwrapGeneralCiphering(rtdsHex('CS02d_6.15.2_SUCCESS_COMMAND_GBCS.HEX')).apdu);
    expect(ours.signedData.equals(theirs.signedData)).toBe(true);
    expect([ours.form, ours.signature?.length]).toEqual([theirs.form, theirs.signature?.length]);
  });

  it('refuses a leg signed by another key (E061508)', () => {
    const l = leg(signApdu(issued, generateKeyPair().privateKey));
    expect(refusedBy(l, legState())).toMatchObject({ responseCode: 'E061508', step: 'pre-command' });
  });

  it('its certificates step refuses an organisation certificate (E061501) and a device certificate of another device (E061504)', () => {
    const step = v.service.steps!.find((s) => s.name === 'certificates')!;
    const run = (deviceCertificate: Buffer, target = ESME) => {
      const ctx = {
        ...validated({ target, counter: 1n, commandVariant: 4, body: { kind: 'UpdateSecurityCredentialsDevice', deviceCertificate } }),
        ports: { isRevoked: () => false },
        reject: (code: string, reason: string): never => { throw Object.assign(new Error(reason), { code }); },
      } as unknown as Parameters<typeof step.run>[0];
      try {
        return step.run(ctx);
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(run(rtdsCertificate)).toMatch(/^DS device certificate for 00-DB-12-34-56-78-90-A0/);
    expect(run(rtdsCertificate, '00DB1234567890A1')).toBe('E061504');
    const org = certificateFromPem(readFileSync(new URL('../../../shared/rtds-keystore/90b3d51f30010000-ds.pem', import.meta.url), 'utf8'));
    expect(run(org)).toBe('E061501');
  });
});

describe('load controller (6.15.1 CS02g), CS02f (6.24.1), Service Opt Out (8.5) and Opt In (8.6)', () => {
  const lc = (n: string) => describeCertificate(ks(n).certificate);
  const atDevice: HandlerState = { acbCounter: 0x600n, deviceKeyAgreement: rawPublicKey(deviceKa.publicKey) };

  it('6.15.1 LoadController issues a CS02g LoadControllerBySupplier pre-command (0x0126): supplier DS authorises, the new floor in [6]', () => {
    const v = validated({
      target: ESME, counter: 1000n, commandVariant: 4,
      body: { kind: 'UpdateSecurityCredentialsKRP', remotePartyRole: 'LoadController', floorSeqNumber: 3n, certificationPath: [CERT], applyTimeBasedCpvChecks: true },
    });
    v.replacements = [{ slot: 'DS', facts: lc('Z1-loadController-ds') }, { slot: 'KA', facts: lc('Z1-loadController-ka') }];
    const out = v.service.handle(v, {}, dcc);
    const apdu = decodeApdu('issue' in out.preCommand! ? out.preCommand.issue : Buffer.alloc(0));
    expect([apdu.messageCode, apdu.originator, apdu.counter]).toEqual([0x0126, SUPPLIER, 1000n]);
    const c = decodeCs02bCommand(apdu.payload);
    expect([c.mode, c.authorisingCell, c.authorisingSeqNumber, c.newFloorSeqNumber, c.otherSeqNumberChanges]).toEqual([11, { role: 2, keyUsage: 'DS', cellUsage: 0 }, 1000n, undefined, [{ role: 8, floorSeqNumber: 3n }]]);
    expect(c.replacements.map((r) => r.target)).toEqual([{ role: 8, keyUsage: 'DS', cellUsage: 0 }, { role: 8, keyUsage: 'KA', cellUsage: 0 }]);
    // Only an ESME has load controller cells.
    expect(v.service.device!.suits(v.request.body, 'GSME')).toMatch(/GSME has no load controller/);
  });

  it('6.15.1 LoadController with RTDS\'s certificates (the supplier\'s own) and counter issues RTDS\'s CS02g pre-command byte for byte', () => {
    const precommand = rtds('6.15.1_CS02gLoadControllerBySupplier', 'CS02gLoadControllerBySupplier_6.15.1_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX');
    const path = decodeCs02bCommand(decodeApdu(precommand).payload).certificationPath;
    const v = validated({
      target: ESME, counter: 1000n, commandVariant: 4,
      body: { kind: 'UpdateSecurityCredentialsKRP', remotePartyRole: 'LoadController', floorSeqNumber: 0n, certificationPath: path, applyTimeBasedCpvChecks: true },
    });
    v.replacements = [{ slot: 'DS', facts: lc('Z1b-supplier-ds') }, { slot: 'KA', facts: lc('Z1b-supplier-ka') }];
    const out = v.service.handle(v, {}, dcc);
    const issued = 'issue' in out.preCommand! ? out.preCommand.issue : Buffer.alloc(0);
    // ours carries the empty signature's length octet (00), which RTDS's pre-commands leave out
    expect(issued.subarray(0, -1).toString('hex')).toBe(precommand.toString('hex'));
  });

  it('6.24.1 naming LoadController becomes a CS02f (0x011B) from the ACB, MAC only; without it a CS02a', () => {
    const read = (roles: ('Supplier' | 'LoadController')[]) => {
      const v = validated({ target: ESME, counter: 3n, commandVariant: 1, body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles } });
      const apdu = decodeApdu(unwrapGeneralCiphering(v.service.handle(v, atDevice, dcc).command!).apdu);
      return [apdu.messageCode, apdu.originator, apdu.counter, apdu.signature ?? null];
    };
    expect(read(['Supplier', 'LoadController'])).toEqual([0x011b, DCC, 0x600n, null]);
    expect(read(['Supplier'])).toEqual([CS02A_MESSAGE_CODE, DCC, 0x600n, null]);
  });

  it('6.24.1 (CS02f) and 8.5 (CS02b ACBByACB) make RTDS\'s command APDUs byte for byte, given RTDS\'s ACB counters (only the MAC differs)', () => {
    const apduOf = (dir: string, file: string) => unwrapGeneralCiphering(rtds(dir, file)).apdu.toString('hex');
    const read = validated({ target: ESME, counter: 3n, commandVariant: 1, body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ['Supplier', 'LoadController'] } });
    const cs02f = read.service.handle(read, { ...atDevice, acbCounter: 0x516n }, dcc).command!;
    expect(unwrapGeneralCiphering(cs02f).apdu.toString('hex')).toBe(apduOf('6.24.1_CS02fMAC', 'CS02fMAC_6.24.1_SUCCESS_COMMAND_GBCS.HEX'));
    const z1 = decodeCs02bCommand(decodeApdu(unwrapGeneralCiphering(rtds('6.15.1_CS02bNOByNO', 'CS02bNOByNO_6.15.1_SUCCESS_COMMAND_GBCS.HEX')).apdu).payload).certificationPath[0]!;
    const optOut = validated({
      target: ESME, counter: 8n, commandVariant: 1,
      body: { kind: 'ServiceOptOut', executionDateTime: new Date('2015-01-15T00:00:00Z'), acbFloorSeqNumber: 0n, keyAgreement: ks('Z1b-accessControlBroker-ka').certificate, certificationPath: [z1], applyTimeBasedCpvChecks: true },
    });
    optOut.replacements = [{ slot: 'KA', facts: lc('Z1b-accessControlBroker-ka') }];
    const cs02b = optOut.service.handle(optOut, { ...atDevice, acbCounter: 0x514n }, dcc).command!;
    expect(unwrapGeneralCiphering(cs02b).apdu.toString('hex')).toBe(apduOf('8.5_CS02bACBByACB', 'CS02bACBByACB_8.5_SUCCESS_COMMAND_GBCS.HEX'));
  });

  it('8.5 sends CS02b accessControlBrokerByACB from the ACB (no [2], [4] the ACB floor, the ACB KA cell) and withdraws the meter', () => {
    const v = validated({
      target: ESME, counter: 8n, commandVariant: 1,
      body: { kind: 'ServiceOptOut', executionDateTime: new Date('2026-01-01T00:00:00Z'), acbFloorSeqNumber: 0n, keyAgreement: CERT, certificationPath: [CERT], applyTimeBasedCpvChecks: false },
    });
    v.replacements = [{ slot: 'KA', facts: lc('Z1b-accessControlBroker-ka') }];
    expect(v.service.needs?.(v)).toEqual({ acbCounter: true, deviceKeyAgreement: true });
    const out = v.service.handle(v, atDevice, dcc);
    expect(out.answer.responseCode).toBe('I99');
    // withdrawn only if the meter changed its ACB KA cell
    expect(out.inventory).toBeUndefined();
    expect(out.afterDevice!(['acbKA'])).toEqual([{ kind: 'update', eui: ESME, set: { status: 'Withdrawn' } }]);
    expect(out.afterDevice!([])).toEqual([]);
    const apdu = decodeApdu(unwrapGeneralCiphering(out.command!).apdu);
    expect([apdu.messageCode, apdu.originator, apdu.counter, apdu.signature ?? null]).toEqual([0x0104, DCC, 0x600n, null]);
    const c = decodeCs02bCommand(apdu.payload);
    expect([c.mode, c.authorisingCell, c.authorisingSeqNumber, c.newFloorSeqNumber, c.replacements.map((r) => r.target)])
      .toEqual([4, undefined, 0x600n, 0n, [{ role: 4, keyUsage: 'KA', cellUsage: 0 }]]);
  });

  describe('8.6', () => {
    const optIn = (o: { status?: string; supplier?: string; date?: string } = {}) => {
      const v = validated({ target: DCC, counter: 9n, commandVariant: 8, body: { kind: 'ServiceOptIn', deviceId: ESME, deviceType: 'ESME', importMpxn: '1234567890123', exportMpan: '1234567890999', optInDate: o.date ?? '2026-10-31' } });
      const state: HandlerState = {
        inventoryDevices: new Map([[ESME, { ...entry(ESME, '2026-01-01T00:00:00Z'), status: o.status ?? 'Withdrawn' }]]),
        supplyPoint: { mpxn: '1234567890123', fuel: 'E', networkOperatorEui: '90B3D51F30020000', supplierEui: o.supplier ?? SUPPLIER },
      };
      return () => v.service.handle(v, state, dcc);
    };

    it('brings an opted-out meter back to Commissioned and records its MPANs', () => {
      const out = optIn()();
      expect(out.answer).toEqual({ responseCode: 'I0' });
      expect(out.inventory).toEqual([{ kind: 'update', eui: ESME, set: { status: 'Commissioned', exportMpan: '1234567890999' } }]);
    });

    it('refuses a meter not opted out (E080606), another supplier (E4), an OptInDate after today (E080607)', () => {
      expect(optIn({ status: 'Commissioned' })).toThrow(expect.objectContaining({ responseCode: 'E080606' }));
      expect(optIn({ supplier: '90B3D51F30030000' })).toThrow(expect.objectContaining({ responseCode: 'E4' }));
      expect(optIn({ date: '2026-11-02' })).toThrow(expect.objectContaining({ responseCode: 'E080607' }));
    });
  });
});
