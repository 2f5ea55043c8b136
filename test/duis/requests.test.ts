// buildRequest: from typed fields to a compact request that is XSD-valid, signs, and parses back to
// the same fields; the real templates survive parse -> build -> parse unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signDuis, verifyDuisSignature } from '../../service-requests/duis/index.ts';
import { buildRequest, parseDuisRequest } from '../../service-requests/index.ts';
import type { InventoryQuery, RemotePartyRoleName } from '../../service-requests/duis/index.ts';
import type { BuildRequestInput, ServiceBody } from '../../service-requests/index.ts';
import { duisKeyByName, duisSigner } from '../helpers/duis-keystore.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { TEMPLATES, template } from './fixtures.ts';

const SUPPLIER = '90B3D51F30010000';
const DEVICE = '00DB1234567890A0';
const certs = (() => {
  const r = parseDuisRequest(template(TEMPLATES.supplier6151));
  if (r.body.kind !== 'UpdateSecurityCredentialsKRP') throw new Error('template changed');
  return { ds: r.body.digitalSigning!, ka: r.body.keyAgreement!, kaTopUp: r.body.keyAgreementTopUp!, z1: r.body.certificationPath[0]! };
})();

function roundTrip(input: BuildRequestInput): ReturnType<typeof parseDuisRequest> {
  const xml = buildRequest(input);
  // compact: no whitespace between elements (a whitespace-only value, e.g. MPxN " ", is content)
  expect(xml.replace(/<([\w:]+)>\s+<\/\1>/g, '')).not.toMatch(/>\s+</);
  expect(duisXsdErrors(xml)).toEqual([]);
  const r = parseDuisRequest(xml);
  expect(r.body).toEqual(input.body);
  expect(r.commandVariant).toBe(input.commandVariant);
  return r;
}

describe('buildRequest', () => {
  it('6.15.1 with every optional field, then signed: XSD-valid and verifiable', () => {
    const body: ServiceBody = {
      kind: 'UpdateSecurityCredentialsKRP', executionDateTime: new Date('2030-01-15T00:00:00Z'), remotePartyRole: 'Supplier',
      floorSeqNumber: 9223372036854775807n, topUpFloorSeqNumber: 0n, digitalSigning: certs.ds, keyAgreement: certs.ka, keyAgreementTopUp: certs.kaTopUp,
      certificationPath: [certs.z1], applyTimeBasedCpvChecks: true,
    };
    const input: BuildRequestInput = { requestId: { originator: SUPPLIER, target: DEVICE, counter: 18446744073709551615n }, commandVariant: 4, body };
    const r = roundTrip(input);
    expect(r.requestId.text).toBe('90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:18446744073709551615');
    expect([r.serviceReference, r.serviceReferenceVariant, r.schemaVersion]).toEqual(['6.15', '6.15.1', '5.4']);
    const signed = signDuis(buildRequest(input), duisSigner('xml-sign-90B3D51F30010000-ds'));
    expect(duisXsdErrors(signed)).toEqual([]);
    expect(verifyDuisSignature(signed, duisKeyByName('xml-sign-90B3D51F30010000-ds').publicKey).ok).toBe(true);
  });

  it('6.21, 6.24.1, 8.2 and a signed pre-command', () => {
    roundTrip({ requestId: `90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A3:1`, commandVariant: 1, body: {
      kind: 'RequestHandoverOfDCCControlledDevice', remotePartyRole: 'NetworkOperator', digitalSigning: certs.ds, certificationPath: [certs.z1, certs.z1], applyTimeBasedCpvChecks: false,
    } });
    roundTrip({ requestId: { originator: SUPPLIER, target: DEVICE, counter: 2 }, commandVariant: 1, body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ['Supplier', 'LoadController'] } });
    roundTrip({ requestId: { originator: SUPPLIER, target: '90B3D51F30000002', counter: 3n }, commandVariant: 8, body: { kind: 'ReadInventory', by: { mpxn: '1234567890' } } });
    const spc = roundTrip({ requestId: { originator: SUPPLIER, target: DEVICE, counter: 4n }, commandVariant: 5, body: { kind: 'SignedPreCommand', executionDateTime: new Date('2031-06-01T12:00:00.5Z'), gbcsPayload: Buffer.from('df09', 'hex') } });
    expect([spc.serviceReference, spc.serviceReferenceVariant]).toEqual(['6.15', '6.15.1']);
  });

  it('the templates survive parse -> build -> parse', () => {
    for (const name of Object.values(TEMPLATES)) {
      const a = parseDuisRequest(template(name));
      const b = parseDuisRequest(buildRequest({ schemaVersion: a.schemaVersion, requestId: a.requestId, commandVariant: a.commandVariant, body: a.body }));
      expect({ ...b, xml: '', signer: null }).toEqual({ ...a, xml: '', signer: null });
    }
  });

  it.each([
    ['a counter of 2^64', { requestId: { originator: SUPPLIER, target: DEVICE, counter: 2n ** 64n } }, /counter 18446744073709551616 is outside 0\.\.18446744073709551615/],
    ['an unsafe number counter', { requestId: { originator: SUPPLIER, target: DEVICE, counter: 2 ** 60 } }, /not a safe integer: pass a bigint/],
    ['a bad EUI', { requestId: { originator: 'XYZ', target: DEVICE, counter: 1n } }, /'XYZ' is not an EUI-64/],
    ['CommandVariant 0', { commandVariant: 0 }, /commandVariant: 0 is not 1\.\.9/],
    ['eight roles', { body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: Array(8).fill('Supplier') } }, /body\.roles: 1\.\.7 remote party roles/],
    ['an unknown role', { body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ['Landlord'] } }, /body\.roles\[0\]: "Landlord" is not one of/],
    ['a floor of 2^63', { body: { kind: 'UpdateSecurityCredentialsKRP', remotePartyRole: 'Supplier', floorSeqNumber: 2n ** 63n, certificationPath: [certs.z1], applyTimeBasedCpvChecks: true } }, /body\.floorSeqNumber: must be a bigint in 0\.\.9223372036854775807/],
    ['four path certificates', { body: { kind: 'UpdateSecurityCredentialsKRP', remotePartyRole: 'Supplier', certificationPath: [certs.z1, certs.z1, certs.z1, certs.z1], applyTimeBasedCpvChecks: true } }, /1\.\.3 certificates/],
    ['a handover without DS', { body: { kind: 'RequestHandoverOfDCCControlledDevice', remotePartyRole: 'Supplier', certificationPath: [certs.z1], applyTimeBasedCpvChecks: true } }, /digitalSigning: required/],
    ['UPRN 0', { body: { kind: 'ReadInventory', by: { uprn: '0' } } }, /body\.by\.uprn: "0" is not a UPRN/],
    ['a short post code', { body: { kind: 'ReadInventory', by: { postCode: 'AB1' } } }, /body\.by\.postCode: "AB1" has 3 characters, expected 6\.\.8/],
    ['an unsupported body', { body: { kind: 'NoSuchRequest' } }, /body\.kind: "NoSuchRequest" is not a supported request body/],
  ] as const)('refuses %s', (_name, change, message) => {
    const base: BuildRequestInput = { requestId: { originator: SUPPLIER, target: DEVICE, counter: 1n }, commandVariant: 1, body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ['Supplier'] } };
    expect(() => buildRequest({ ...base, ...change } as never)).toThrow(message);
  });

  it('property: any valid 8.2 / 6.24.1 / 6.15.1 body builds XSD-valid and parses back unchanged', () => {
    const text = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'AZaz09 &<>"\'-é€'.split('')), minLength: min, maxLength: max });
    const query: fc.Arbitrary<InventoryQuery> = fc.oneof(
      fc.bigInt({ min: 1n, max: 999999999999n }).map((v) => ({ uprn: v.toString() })),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ deviceId: v.toString(16).toUpperCase().padStart(16, '0') })),
      text(1, 13).map((mpxn) => ({ mpxn })),
      fc.tuple(text(6, 8), text(1, 30)).map(([postCode, addressIdentifier]) => ({ postCode, addressIdentifier })),
    );
    const role = fc.constantFrom<RemotePartyRoleName>('ACB', 'NetworkOperator', 'Recovery', 'Root', 'Supplier', 'TransCoS', 'LoadController');
    const body: fc.Arbitrary<[number, ServiceBody]> = fc.oneof(
      query.map((by) => [8, { kind: 'ReadInventory', by }] as [number, ServiceBody]),
      fc.array(role, { minLength: 1, maxLength: 7 }).map((roles) => [1, { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles }] as [number, ServiceBody]),
      fc.record({
        role, floor: fc.option(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), { nil: undefined }), ka: fc.boolean(),
        when: fc.option(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }), { nil: undefined }), cpv: fc.boolean(),
      }).map(({ role: r, floor, ka, when, cpv }) => {
        const b: ServiceBody = { kind: 'UpdateSecurityCredentialsKRP', remotePartyRole: r, digitalSigning: certs.ds, certificationPath: [certs.z1], applyTimeBasedCpvChecks: cpv };
        if (floor !== undefined) b.floorSeqNumber = floor;
        if (ka) b.keyAgreement = certs.ka;
        if (when !== undefined) b.executionDateTime = when;
        return [4, b] as [number, ServiceBody];
      }),
    );
    fc.assert(fc.property(body, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), ([cv, b], counter) => {
      roundTrip({ requestId: { originator: SUPPLIER, target: cv === 8 ? '90B3D51F30000002' : DEVICE, counter }, commandVariant: cv, body: b });
    }), { numRuns: 120 });
  });
});
