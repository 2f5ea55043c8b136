/**
 * 12.1 Request WAN Matrix: a User asks the DCC what SM WAN coverage a premises has, by UPRN or by
 * postcode and address identifier, before it installs there. Non-device: the DCC answers I0 with a
 * DSPWANMatrix, one DSPWANMatrixResponse for the premises' CSP region and one for its 4G region.
 *
 * dcc-sim has no coverage data, so the answer is made up, plausibly and deterministically: the CSP
 * region follows the postcode area (North: Scotland and the North of England; Central: Wales, the
 * Midlands and East Anglia; South: the rest of Great Britain), and coverage, its likelihood and an
 * anticipated date come from a SHA-256 of the postcode (and of the address identifier or UPRN for the
 * likelihood, since buildings in one postcode differ). The same question always gets the same answer
 * (the anticipated date counts whole months from the simulated clock's month).
 */
import { createHash } from 'node:crypto';
import { DCC_EUI } from '../../pki/index.ts';
import { bodyKit, serviceFacts, type WanMatrixRegion, type WanMatrixRequest } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { ServiceModule } from '../service.ts';

const { Sequence, StructureError, checkAttributes, displayName, el, readString, readUprn, textEl, writeString } = bodyKit;

interface Body {
  kind: 'RequestWANMatrix';
  by: WanMatrixRequest;
}

/** dcc-sim's assignment of the E1201xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes1201 = {
  unknownUprn: 'E120101', // no premises in the smart metering inventory has the UPRN (or it has no postcode)
  badPostcode: 'E120102', // the PostCode is not a UK postcode
  outsideGb: 'E120103', // a postcode outside Great Britain (Northern Ireland, Channel Islands, Isle of Man): no DCC SM WAN
} as const;

const NORTH = 'AB DD DG EH FK G HS IV KA KW KY ML PA PH TD ZE CA NE DH SR TS DL HG YO LA BD LS HX HD WF HU BB PR FY BL OL M SK WN WA L CH CW S DN'.split(' ');
const CENTRAL = 'LL SY LD SA CF NP B CV WV WS DY ST DE NG LE NN LN PE CB IP NR CO MK HR WR TF'.split(' ');
const NOT_GB = ['BT', 'GY', 'JE', 'IM'];
const POSTCODE = /^([A-Z]{1,2})([0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$/;
const TECHNOLOGY: Record<string, { wan: string; aux: string }> = {
  North: { wan: 'Long Range Radio', aux: 'External aerial' },
  Central: { wan: 'Cellular with mesh', aux: 'Dual band comms hub' },
  South: { wan: 'Cellular with mesh', aux: 'Dual band comms hub' },
};

/** The postcode in its canonical form ('M22 0RR') and its area ('M'), or why it is not one. */
export function parsePostcode(text: string): { postcode: string; area: string } | string {
  const m = POSTCODE.exec(text.trim().toUpperCase().replace(/\s+/g, ' '));
  if (!m) return `'${text}' is not a UK postcode`;
  return { postcode: `${m[1]}${m[2]} ${m[3]}`, area: m[1]! };
}

const likelihoodOf = (byte: number): 'High' | 'Medium' | 'Low' => (byte < 154 ? 'High' : byte < 218 ? 'Medium' : 'Low');

/** The premises' CSP region and 4G region answers, from its postcode (and what tells buildings apart). */
export function wanMatrixFor(postcode: string, area: string, building: string, now: Date): WanMatrixRegion[] {
  const region = NORTH.includes(area) ? 'North' : CENTRAL.includes(area) ? 'Central' : 'South';
  const h = createHash('sha256').update(postcode).digest();
  const b = createHash('sha256').update(`${postcode}|${building.trim().toUpperCase()}`).digest();
  const month = (n: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + n, 1)).toISOString().slice(0, 10);
  const tech = TECHNOLOGY[region]!;
  const available = h[0]! % 10 < 9; // most of GB is covered
  const likelihood = likelihoodOf(b[0]!);
  const primary: WanMatrixRegion = {
    cspRegion: region, responseCode: Codes.success,
    coverage: {
      available, wanTechnology: tech.wan, likelihood,
      ...(available ? {} : { anticipatedDate: month((h[1]! % 12) + 1), additionalInformation: 'SM WAN coverage is planned for this postcode' }),
      ...(available && likelihood === 'Low' ? { auxiliaryEquipment: tech.aux } : {}),
    },
  };
  const fourG = h[2]! % 10 < 7;
  const secondary: WanMatrixRegion = {
    cspRegion: `4G ${region}`, responseCode: Codes.success,
    coverage: {
      available: fourG, wanTechnology: '4G Cellular', likelihood: likelihoodOf(b[1]!),
      ...(fourG ? {} : { anticipatedDate: month((h[3]! % 18) + 1) }),
    },
  };
  return [primary, secondary];
}

export const requestWanMatrix: ServiceModule<Body> = {
  ...serviceFacts('12.1'),
  displayName: 'Request WAN Matrix',
  body: {
    element: 'RequestWANMatrix',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const c = s.peek();
      if (c?.localName === 'UPRN') {
        s.take();
        s.end();
        return { kind: 'RequestWANMatrix', by: { uprn: readUprn(c, `${path}/sr:UPRN`) } };
      }
      if (c?.localName !== 'PartialAddress') throw new StructureError(`${path}: expected sr:UPRN or sr:PartialAddress, found ${c ? displayName(c) : 'nothing'}`);
      s.take();
      s.end();
      const p = `${path}/sr:PartialAddress`;
      checkAttributes(c, p);
      const pa = new Sequence(c, p);
      const postCode = readString(pa.required('PostCode'), `${p}/sr:PostCode`, 6, 8);
      const addressIdentifier = readString(pa.required('AddressIdentifier'), `${p}/sr:AddressIdentifier`, 0, 30);
      pa.end();
      return { kind: 'RequestWANMatrix', by: { postCode, addressIdentifier } };
    },
    write(b) {
      if ('uprn' in b.by) {
        if (!/^[1-9][0-9]{0,11}$/.test(b.by.uprn)) throw new RangeError(`body.by.uprn: ${JSON.stringify(b.by.uprn)} is not a UPRN (1 to 12 digits)`);
        return textEl('UPRN', b.by.uprn);
      }
      return el('PartialAddress', textEl('PostCode', writeString(b.by.postCode, 'body.by.postCode', 6, 8)) +
        textEl('AddressIdentifier', writeString(b.by.addressIdentifier, 'body.by.addressIdentifier', 0, 30)));
    },
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: {
    name: 'wan-matrix',
    newDevice: true,
    build: (ctx) => ({
      originator: ctx.partyWithRole('IS') ?? ctx.fail('no-party', 'no DCC User in the Import Supplier role to ask for the WAN matrix'),
      target: DCC_EUI,
      commandVariant: 8,
      body: { kind: 'RequestWANMatrix', by: { postCode: 'M22 0RR', addressIdentifier: 'Threapwood Road' } },
    }),
  },
  describe: (b) => [{ label: 'Premises', value: 'uprn' in b.by ? `UPRN ${b.by.uprn}` : `${b.by.postCode}, ${b.by.addressIdentifier}` }],
  needs: (v) => ('uprn' in v.request.body.by ? { inventory: { uprn: v.request.body.by.uprn } } : {}),
  handle(v, state, dcc) {
    const by = v.request.body.by;
    const fail = (code: string, reason: string): never => refuse(v, code, 'wan-matrix', reason);
    let postcodeText: string;
    let building: string;
    if ('uprn' in by) {
      const premises = (state.inventory ?? []).find((d) => d.postcode);
      postcodeText = premises?.postcode ?? fail(Codes1201.unknownUprn, `no premises in the smart metering inventory has UPRN ${by.uprn}${state.inventory?.length ? ' and a postcode' : ''}`);
      building = by.uprn;
    } else {
      postcodeText = by.postCode;
      building = by.addressIdentifier;
    }
    const pc = parsePostcode(postcodeText);
    if (typeof pc === 'string') fail(Codes1201.badPostcode, pc);
    const { postcode, area } = pc as { postcode: string; area: string };
    if (NOT_GB.includes(area)) fail(Codes1201.outsideGb, `${postcode} is outside Great Britain, where the DCC provides no SM WAN`);
    const regions = wanMatrixFor(postcode, area, building, dcc.now);
    const summary = regions.map((r) => `${r.cspRegion}: ${r.coverage!.available ? `covered, ${r.coverage!.likelihood}` : `from ${r.coverage!.anticipatedDate}`}`).join('; ');
    return {
      step: { name: 'wan-matrix', detail: `${'uprn' in by ? `UPRN ${by.uprn} (${postcode})` : postcode}: ${summary}` },
      answer: { responseCode: Codes.success, content: { dspWanMatrix: { request: by, regions } } },
      advanceCounter: true,
    };
  },
};
