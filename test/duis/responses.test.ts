// Responses and alerts: what dcc-sim builds is compact, Boxed-shaped and valid against the DUIS 5.4
// XSD (signed or not), parses back to what was put in, and nonsense input is refused by field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDeviceAlert, buildResponse, parseDuisResponse, signDuis, verifyDuisSignature } from '../../service-requests/duis/index.ts';
import { parseDuisRequest } from '../../service-requests/index.ts';
import type { InventoryDevice, ResponseContent } from '../../service-requests/duis/index.ts';
import { duisKeyByName, duisSigner } from '../helpers/duis-keystore.ts';
import { duisXsdErrors, sharedDuis } from '../helpers/duis-xsd.ts';
import { TEMPLATES, template } from './fixtures.ts';

const DSP = 'dsp-xml-sign-90B3D51F30000002-ds';
const REQUEST_ID = '90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000';
const RESPONSE_ID = '00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:1000';
const AT = new Date('2026-11-23T10:11:12.345Z');
const PRE_COMMAND = Buffer.from('df090100000000000004b00890b3d51f3002000008' + '00db1234567890a0' + '00', 'hex');

const FULL_DEVICE: InventoryDevice = {
  deviceId: '00DB1234567890A0', deviceType: 'ESME', deviceStatus: 'Commissioned', deviceManufacturer: 'ACME & Sons', deviceModel: 'M<1>',
  smetsChtsVersion: 'SMETS2 V4.2', deviceFirmwareVersion: '1.0.0', deviceFirmwareVersionStatus: 'Active', cplStatus: 'Active',
  dateCommissioned: '2026-11-01Z', importMpxn: '1234567890123', secondaryImportMpan: '1234567890124', exportMpan: '1234567890125',
  esmeVariant: 'A', uprn: '123456789012', propertyFilter: { postCode: 'AB1 2CD', addressIdentifier: '' }, cspRegion: '4G Central',
  deviceGbcsVersion: '4.3', hanVariant: 'Single Band', s1sp: '', connectivity: 'Cellular',
};
const SMALL_DEVICE: InventoryDevice = { deviceId: '00DB1234567890A2', deviceType: 'GPF', deviceManufacturer: '106C', deviceModel: '' };

const contents: Array<[string, string, string, ResponseContent | undefined]> = [
  ['6.15.1 pre-command', '6.15', '6.15.1', { preCommand: { gbcsVersion: '4.2', gbcsPayload: PRE_COMMAND } }],
  ['6.24.1 device response', '6.24', '6.24.1', { gbcsPayload: Buffer.from('dd00000000000000', 'hex') }],
  ['6.21 command for local delivery', '6.21', '6.21', { localCommand: { gbcsPayload: Buffer.from('dd01', 'hex') } }],
  ['8.2 inventory', '8.2', '8.2', { dspInventory: [FULL_DEVICE, SMALL_DEVICE] }],
  ['6.15.1 future-dated outcome', '6.15', '6.15.1', { futureDatedDeviceAlert: { alertCode: '8F67', gbcsPayload: Buffer.from('0102', 'hex'), instructionNumber: 1, totalCommandInstructions: 1 } }],
  ['6.21 acknowledgement', '6.21', '6.21', undefined],
];

describe('buildResponse', () => {
  it.each(contents)('%s: compact, standalone="no", XSD-valid, parses back', (_name, sr, srv, content) => {
    const xml = buildResponse({
      requestId: REQUEST_ID, responseId: RESPONSE_ID, responseCode: content ? 'I0' : 'I99', responseDateTime: AT,
      serviceReference: sr, serviceReferenceVariant: srv, ...(content ? { content } : {}),
    });
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="no"?><sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" xmlns:ns3="http://www.w3.org/2000/09/xmldsig#" xmlns:ra="http://www.dccinterface.co.uk/ResponseAndAlert" schemaVersion="5.4"><sr:Header>')).toBe(true);
    expect(xml).not.toMatch(/>\s+</);
    expect(duisXsdErrors(xml)).toEqual([]);
    const r = parseDuisResponse(xml);
    expect(r.requestId?.text).toBe(REQUEST_ID);
    expect(r.responseId?.text).toBe(RESPONSE_ID);
    expect(r.responseCode).toBe(content ? 'I0' : 'I99');
    expect(r.responseDateTime).toEqual(AT);
    expect(r.signer).toBeNull();
    expect(r.body).toEqual({ kind: 'ResponseMessage', serviceReference: sr, serviceReferenceVariant: srv, ...(content ? { content } : {}) });
  });

  it('signed with the DSP key it stays XSD-valid (38-digit serial included) and verifies', () => {
    const xml = signDuis(buildResponse({ requestId: REQUEST_ID, responseCode: 'I0', responseDateTime: AT, serviceReference: '6.15', serviceReferenceVariant: '6.15.1', content: contents[0]![3]! }), duisSigner(DSP));
    expect(xml).toMatch(/<ds:X509SerialNumber>\d{39}<\/ds:X509SerialNumber>/);
    expect(duisXsdErrors(xml)).toEqual([]);
    expect(verifyDuisSignature(xml, duisKeyByName(DSP).publicKey).ok).toBe(true);
    expect(parseDuisResponse(xml).signer?.serialDecimal).toBe(duisKeyByName(DSP).serialDecimal);
  });

  it('an error response with only a RequestID, in the Boxed E65 shape', () => {
    const xml = buildResponse({ requestId: REQUEST_ID, responseCode: 'E100', responseDateTime: AT, serviceReference: '8.2', serviceReferenceVariant: '8.2' });
    expect(duisXsdErrors(xml)).toEqual([]);
    expect(xml).toContain(`<sr:Header><sr:RequestID>${REQUEST_ID}</sr:RequestID><sr:ResponseCode>E100</sr:ResponseCode><sr:ResponseDateTime>2026-11-23T10:11:12.345Z</sr:ResponseDateTime></sr:Header>`);
    expect(xml).toContain('<sr:Body><sr:ResponseMessage><sr:ServiceReference>8.2</sr:ServiceReference><sr:ServiceReferenceVariant>8.2</sr:ServiceReferenceVariant></sr:ResponseMessage></sr:Body>');
  });

  it('accepts a parsed RequestId and echoes it as the user wrote it', () => {
    const request = parseDuisRequest(template(TEMPLATES.readInventory82).replace('90-B3-D5-1F-30-00-00-02', '90-b3-d5-1f-30-00-00-02'));
    const xml = buildResponse({ requestId: request.requestId, responseCode: 'I0', responseDateTime: AT, serviceReference: '8.2', serviceReferenceVariant: '8.2', content: { dspInventory: [SMALL_DEVICE] } });
    expect(xml).toContain('<sr:RequestID>90-B3-D5-1F-30-01-00-00:90-b3-d5-1f-30-00-00-02:1000</sr:RequestID>');
    expect(duisXsdErrors(xml)).toEqual([]);
  });

  it.each([
    ['a response code outside the XSD', { responseCode: 'E999' }, /responseCode: "E999" is not one of the XSD's values/],
    ['a malformed RequestID', { requestId: '90B3D51F30010000:00DB1234567890A0:1' }, /requestId: .* is not a RequestID/],
    ['an invalid date', { responseDateTime: new Date('nope') }, /dateTime must be a valid Date/],
    ['an unknown service reference', { serviceReference: '6.99' }, /serviceReference: "6\.99"/],
    ['18 devices', { content: { dspInventory: Array.from({ length: 18 }, () => SMALL_DEVICE) } }, /DSPInventory holds 1\.\.17 devices, got 18/],
    ['no devices', { content: { dspInventory: [] } }, /DSPInventory holds 1\.\.17 devices, got 0/],
    ['a device model of 31 characters', { content: { dspInventory: [{ ...SMALL_DEVICE, deviceModel: 'x'.repeat(31) }] } }, /dspInventory\[0\]\.deviceModel: .* has 31 characters, expected 0\.\.30/],
    ['an unknown device type', { content: { dspInventory: [{ ...SMALL_DEVICE, deviceType: 'TOASTER' }] } }, /dspInventory\[0\]\.deviceType: "TOASTER" is not one of the XSD's values/],
    ['a missing manufacturer', { content: { dspInventory: [{ deviceId: '00DB1234567890A2', deviceType: 'GPF', deviceModel: 'x' } as InventoryDevice] } }, /dspInventory\[0\]\.deviceManufacturer is required/],
    ['an impossible commissioning date', { content: { dspInventory: [{ ...SMALL_DEVICE, dateCommissioned: '2026-02-30' }] } }, /dateCommissioned: "2026-02-30" is not an xs:date/],
    ['a control character', { content: { preCommand: { gbcsVersion: '4.2\u0007', gbcsPayload: PRE_COMMAND } } }, /gbcsVersion: character U\+0007 cannot be written in XML/],
    ['payload not bytes', { content: { gbcsPayload: 'df09' as unknown as Buffer } }, /content\.gbcsPayload: expected bytes/],
  ] as const)('refuses %s', (_name, change, message) => {
    expect(() => buildResponse({ requestId: REQUEST_ID, responseCode: 'I0', responseDateTime: AT, serviceReference: '8.2', serviceReferenceVariant: '8.2', ...change } as never)).toThrow(message);
  });
});

describe('buildDeviceAlert', () => {
  it('8F66 for a future-dated 6.15.1 uses the XSD\'s FutureDatedDeviceAlertMessage', () => {
    const xml = buildDeviceAlert({
      responseId: RESPONSE_ID, responseDateTime: AT, alertCode: '8f66', gbcsPayload: Buffer.from('0a0b', 'hex'),
      futureDated: { serviceReference: '6.15', serviceReferenceVariant: '6.15.1', instructionNumber: 1, totalCommandInstructions: 1 },
    });
    expect(duisXsdErrors(xml)).toEqual([]);
    expect(xml).toContain('<sr:ResponseCode>I0</sr:ResponseCode>');
    expect(xml).toContain('<sr:FutureDatedDeviceAlertMessage><sr:FutureDatedAlertCode>8F66</sr:FutureDatedAlertCode><sr:GBCSPayload>Cgs=</sr:GBCSPayload><sr:InstructionNumber>1</sr:InstructionNumber><sr:TotalCommandInstructions>1</sr:TotalCommandInstructions></sr:FutureDatedDeviceAlertMessage>');
    expect(parseDuisResponse(xml).body).toEqual({
      kind: 'ResponseMessage', serviceReference: '6.15', serviceReferenceVariant: '6.15.1',
      content: { futureDatedDeviceAlert: { alertCode: '8F66', gbcsPayload: Buffer.from('0a0b', 'hex'), instructionNumber: 1, totalCommandInstructions: 1 } },
    });
  });

  it('any other alert is a Body/DeviceAlertMessage, throttling fields included', () => {
    const xml = buildDeviceAlert({ responseId: RESPONSE_ID, responseDateTime: AT, alertCode: '8F3E', gbcsPayload: Buffer.from('ff', 'hex'), throttledAlertSequenceId: 4294967295, throttledAlertCount: 2 });
    expect(duisXsdErrors(xml)).toEqual([]);
    expect(parseDuisResponse(xml).body).toEqual({ kind: 'DeviceAlertMessage', alertCode: '8F3E', throttledAlertSequenceId: 4294967295, throttledAlertCount: 2, gbcsPayload: Buffer.from('ff', 'hex') });
  });

  it.each([
    ['a three-digit alert code', { alertCode: '8F6' }, /alertCode: "8F6" is not two bytes of hex/],
    ['8F00 as a future-dated outcome', { alertCode: '8F00', futureDated: { serviceReference: '6.15', serviceReferenceVariant: '6.15.1', instructionNumber: 1, totalCommandInstructions: 1 } }, /"8F00" is not 8F66 or 8F67/],
    ['an instruction number above 65535', { futureDated: { serviceReference: '6.15', serviceReferenceVariant: '6.15.1', instructionNumber: 70000, totalCommandInstructions: 1 } }, /instructionNumber: 70000 is not an integer in 0\.\.65535/],
    ['a negative throttle count', { throttledAlertCount: -1 }, /throttledAlertCount: -1 is not an integer/],
  ] as const)('refuses %s', (_name, change, message) => {
    expect(() => buildDeviceAlert({ responseDateTime: AT, alertCode: '8F66', gbcsPayload: Buffer.alloc(1), ...change } as never)).toThrow(message);
  });
});

describe('parseDuisResponse on real DCC Boxed output', () => {
  const sample = (name: string): string => readFileSync(sharedDuis('boxed-responses', name), 'utf8');

  it('the unsigned E65 acknowledgement (schema 5.1)', () => {
    const r = parseDuisResponse(sample('acknowledgement-error.xml'));
    expect(r).toMatchObject({ schemaVersion: '5.1', responseCode: 'E65', signer: null, body: { kind: 'ResponseMessage', serviceReference: '11.2', serviceReferenceVariant: '11.2' } });
    expect(r.responseId).toBeUndefined();
    expect(r.requestId?.counter).toBe(1658482675800n);
  });

  it('the async device response: ResponseID with the EUIs swapped and the GBCS payload', () => {
    const r = parseDuisResponse(sample('readfw-response.xml'));
    expect(r.responseId?.originator).toBe(r.requestId?.target);
    expect(r.responseId?.target).toBe(r.requestId?.originator);
    expect(r.responseId?.counter).toBe(r.requestId?.counter);
    expect(r.body.kind === 'ResponseMessage' && r.body.content && 'gbcsPayload' in r.body.content && r.body.content.gbcsPayload.subarray(0, 1)).toEqual(Buffer.from([0xdd]));
    expect(r.signer?.serialDecimal).toBe('50669612984035780968362471400449834504');
  });

  it('the 5.4 inventory: three devices, rebuilt by dcc-sim into an XSD-valid document with the same devices', () => {
    const r = parseDuisResponse(sample('read-inventory-response-5.4.xml'));
    if (r.body.kind !== 'ResponseMessage' || !r.body.content || !('dspInventory' in r.body.content)) throw new Error('no inventory');
    const devices = r.body.content.dspInventory;
    expect(devices.map((d) => `${d.deviceId} ${d.deviceType} ${d.deviceStatus ?? '-'}`)).toEqual([
      '887384906A1002DB CHF Commissioned', 'BC6E76FE007CB4F3 CAD -', '887384CC6A1002DB GPF InstalledNotCommissioned',
    ]);
    expect(devices[0]).toMatchObject({ dateCommissioned: '2025-12-28Z', uprn: '123456789012', propertyFilter: { postCode: '1111-111', addressIdentifier: '12334' }, cspRegion: '4G Central', connectivity: 'Virtual' });
    const rebuilt = buildResponse({ requestId: r.requestId!, responseCode: 'I0', responseDateTime: r.responseDateTime, serviceReference: '8.2', serviceReferenceVariant: '8.2', content: { dspInventory: devices } });
    expect(duisXsdErrors(rebuilt)).toEqual([]);
    const again = parseDuisResponse(rebuilt);
    expect(again.body).toEqual(r.body);
  });

  it('refuses a request where a response is expected, naming the root', () => {
    expect(() => parseDuisResponse(template(TEMPLATES.readInventory82))).toThrow(/the root element is sr:Request, expected sr:Response/);
  });
});
