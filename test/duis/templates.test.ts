// Every DUIS template in ../shared/duis: the supported ones parse into the model with the values
// a user put in them, the others are refused as "not supported by dcc-sim".
import { readdirSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RESPONSE_CODES } from '../../service-requests/duis/index.ts';
import { parseDuisRequest, serviceByVariant } from '../../service-requests/index.ts';
import {
  SERVICE_REFERENCES, SERVICE_REFERENCE_VARIANTS, REQUEST_BODY_ELEMENTS, DEVICE_TYPES, ESME_VARIANTS, CSP_REGIONS,
} from '../../service-requests/duis/xsd-enums.ts';
import { DUIS_XSD, SHARED_DUIS, sharedDuis } from '../helpers/duis-xsd.ts';
import { TEMPLATES, expectRejection, template } from './fixtures.ts';

function subjectOf(der: Buffer): string {
  return new X509Certificate(der).subject.replace(/\n/g, ',');
}

describe('supported DUIS templates parse', () => {
  it('6.15.1 Supplier by Supplier (immediate): CV 4, role, floors, three replacement certificates, Z1 path', () => {
    const r = parseDuisRequest(template(TEMPLATES.supplier6151));
    expect(r.schemaVersion).toBe('5.4');
    expect(r.requestId).toEqual({
      originator: '90B3D51F30010000', target: '00DB1234567890A0', counter: 1000n,
      text: '90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000',
    });
    expect(r.commandVariant).toBe(4);
    expect([r.serviceReference, r.serviceReferenceVariant]).toEqual(['6.15', '6.15.1']);
    expect(r.body.kind).toBe('UpdateSecurityCredentialsKRP');
    if (r.body.kind !== 'UpdateSecurityCredentialsKRP') return;
    expect(r.body.executionDateTime).toBeUndefined();
    expect(r.body.remotePartyRole).toBe('Supplier');
    expect(r.body.floorSeqNumber).toBe(0n);
    expect(r.body.topUpFloorSeqNumber).toBe(0n);
    expect(r.body.applyTimeBasedCpvChecks).toBe(false); // the one template that says false
    // The certificates come out as DER a certificate parser accepts.
    expect(subjectOf(r.body.digitalSigning!)).toContain('CN=GITTESTSUPPLIER');
    expect(r.body.keyAgreement).toBeInstanceOf(Buffer);
    expect(r.body.keyAgreementTopUp).toBeInstanceOf(Buffer);
    expect(r.body.certificationPath).toHaveLength(1);
    expect(subjectOf(r.body.certificationPath[0]!)).toBe('OU=07,CN=Z1');
    // The template's placeholder signature still names its signer.
    expect(r.signer).toEqual({ issuerName: 'CN=U1, OU=07', serialDecimal: '1234567890' });
    expect(r.xml).toBe(template(TEMPLATES.supplier6151));
  });

  it('6.15.1 future-dated and cancellation carry their ExecutionDateTime', () => {
    const future = parseDuisRequest(template(TEMPLATES.supplier6151Future));
    const cancel = parseDuisRequest(template(TEMPLATES.supplier6151Cancel));
    expect(future.body.kind === 'UpdateSecurityCredentialsKRP' && future.body.applyTimeBasedCpvChecks).toBe(true);
    expect(future.body.kind === 'UpdateSecurityCredentialsKRP' && future.body.executionDateTime?.toISOString()).toBe('2030-01-15T00:00:00.000Z');
    expect(cancel.body.kind === 'UpdateSecurityCredentialsKRP' && cancel.body.executionDateTime?.toISOString()).toBe('3000-12-31T00:00:00.000Z');
  });

  it('6.15.1 Network Operator: DS and KA only, counter 1200', () => {
    const r = parseDuisRequest(template(TEMPLATES.no6151));
    expect(r.requestId.originator).toBe('90B3D51F30020000');
    expect(r.requestId.counter).toBe(1200n);
    if (r.body.kind !== 'UpdateSecurityCredentialsKRP') throw new Error(r.body.kind);
    expect(r.body.remotePartyRole).toBe('NetworkOperator');
    expect(r.body.keyAgreementTopUp).toBeUndefined();
    expect(r.body.topUpFloorSeqNumber).toBeUndefined();
  });

  it('6.21 handovers: CV 1, DS required, sent by the supplier to device ...A3', () => {
    for (const [name, role, topUp] of [[TEMPLATES.noHandover621, 'NetworkOperator', false], [TEMPLATES.supplierHandover621, 'Supplier', true]] as const) {
      const r = parseDuisRequest(template(name));
      expect(r.commandVariant).toBe(1);
      expect([r.serviceReference, r.serviceReferenceVariant]).toEqual(['6.21', '6.21']);
      expect(r.requestId.target).toBe('00DB1234567890A3');
      if (r.body.kind !== 'RequestHandoverOfDCCControlledDevice') throw new Error(r.body.kind);
      expect(r.body.remotePartyRole).toBe(role);
      expect(r.body.digitalSigning.length).toBeGreaterThan(300);
      expect(r.body.keyAgreementTopUp !== undefined).toBe(topUp);
    }
  });

  it('6.24.1 retrieves the Supplier and NetworkOperator credentials', () => {
    const r = parseDuisRequest(template(TEMPLATES.retrieve6241));
    expect(r.body).toEqual({ kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ['Supplier', 'NetworkOperator'] });
  });

  it('8.2 reads the inventory of one device, addressed to the DCC with CV 8', () => {
    const r = parseDuisRequest(readFileSync(sharedDuis(TEMPLATES.readInventory82)));
    expect(r.commandVariant).toBe(8);
    expect(r.requestId.target).toBe('90B3D51F30000002');
    expect(r.body).toEqual({ kind: 'ReadInventory', by: { deviceId: '00DB1234567890A2' } });
  });
});

/** The ServiceReferenceVariant a template's header names. */
const variantOf = (name: string) => /<sr:ServiceReferenceVariant>([^<]+)</.exec(template(name))?.[1] ?? '';

describe('templates of other services the registry serves', () => {
  const supported = new Set<string>(Object.values(TEMPLATES));
  const served = readdirSync(SHARED_DUIS).filter((f) => f.endsWith('.XML') && !supported.has(f) && serviceByVariant(variantOf(f)) !== undefined);

  it.each(served)('%s parses as its service\'s body', (name) => {
    const r = parseDuisRequest(template(name));
    expect(r.body.kind).toBe(serviceByVariant(variantOf(name))!.body.element);
  });
});

describe('templates of services dcc-sim does not implement', () => {
  const supported = new Set<string>(Object.values(TEMPLATES));
  const others = readdirSync(SHARED_DUIS).filter((f) => f.endsWith('.XML') && !supported.has(f) && serviceByVariant(variantOf(f)) === undefined);

  it('are the templates whose service has no module (none of ../shared/duis now)', () => {
    const all = readdirSync(SHARED_DUIS).filter((f) => f.endsWith('.XML') && !supported.has(f));
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(others).toEqual(all.filter((f) => serviceByVariant(variantOf(f)) === undefined));
  });

  // (only while some shared template's service has no module)
  if (others.length) it.each(others)('%s is refused as not supported, with its RequestID kept for the answer', (name) => {
    const r = expectRejection(() => parseDuisRequest(template(name)), 'unsupported', /is not supported by dcc-sim/);
    expect(r.responseCode).toBe('E100');
    expect(r.context.requestId).toMatch(/^[0-9A-F-]{23}:[0-9A-F-]{23}:\d+$/);
    expect(r.context.serviceReferenceVariant).toBeDefined();
  });
});

describe('the enumerations dcc-sim carries match the XSD file', () => {
  const xsd = readFileSync(DUIS_XSD, 'utf8');
  const enumOf = (type: string): string[] => {
    const m = new RegExp(`<xs:simpleType name="${type}">([\\s\\S]*?)</xs:simpleType>`).exec(xsd);
    if (!m) throw new Error(`no simpleType ${type}`);
    return [...m[1]!.matchAll(/<xs:enumeration value="([^"]*)"/g)].map((x) => x[1]!);
  };

  it.each([
    ['ServiceReference', SERVICE_REFERENCES],
    ['ServiceReferenceVariant', SERVICE_REFERENCE_VARIANTS],
    ['ResponseCode', RESPONSE_CODES],
    ['DeviceType', DEVICE_TYPES],
    ['ESMEVariant', ESME_VARIANTS],
    ['CSPRegion', CSP_REGIONS],
  ] as const)('%s', (type, values) => {
    expect([...values]).toEqual(enumOf(type));
  });

  it('the request body choice', () => {
    const body = /<xs:complexType name="Request">[\s\S]*?<xs:element name="Body">([\s\S]*?)<\/xs:choice>/.exec(xsd)![1]!;
    expect([...REQUEST_BODY_ELEMENTS]).toEqual([...body.matchAll(/<xs:element\s+name="([^"]+)"/g)].map((m) => m[1]));
  });
});
