/**
 * 8.2 Read Inventory: the DCC answers from the smart metering inventory, up to 17 devices matching
 * a UPRN, a device, an MPxN or a postcode and address.
 */
import { dashedEui, DCC_EUI, isType2, parseEui } from '../../pki/index.ts';
import { bodyKit, serviceFacts, SR_NS, type InventoryQuery } from '../duis/index.ts';
import { Codes, Codes0802 } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { ServiceModule } from '../service.ts';

const { Sequence, StructureError, checkAttributes, displayName, el, textEl, readEui, readString, readUprn, parseXsInteger, totalDigits, writeString } = bodyKit;

interface Body {
  kind: 'ReadInventory';
  by: InventoryQuery;
}

function describeQuery(by: object): string {
  return Object.entries(by)
    .map(([k, v]) => `${k} '${String(v).slice(0, 40)}'`)
    .join(', ');
}

export const readInventory: ServiceModule<Body> = {
  ...serviceFacts('8.2'),
  displayName: 'Read Inventory',
  body: {
    element: 'ReadInventory',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const options = 'one of sr:UPRN, sr:DeviceID, sr:MPxN, sr:PropertyFilter';
      const c = s.peek();
      if (c === undefined) throw new StructureError(`${path}: is empty, expected ${options}`);
      if (c.namespaceURI !== SR_NS || !['UPRN', 'DeviceID', 'MPxN', 'PropertyFilter'].includes(c.localName ?? '')) {
        throw new StructureError(`${path}: expected ${options}, found ${displayName(c)}`);
      }
      s.take();
      s.end();
      const p = `${path}/sr:${c.localName}`;
      switch (c.localName) {
        case 'UPRN':
          return { kind: 'ReadInventory', by: { uprn: readUprn(c, p) } };
        case 'DeviceID':
          return { kind: 'ReadInventory', by: { deviceId: readEui(c, p) } };
        case 'MPxN':
          return { kind: 'ReadInventory', by: { mpxn: readString(c, p, 1, 13) } };
        default: {
          checkAttributes(c, p);
          const f = new Sequence(c, p);
          const postCode = readString(f.required('PostCode'), `${p}/sr:PostCode`, 6, 8);
          const addressIdentifier = readString(f.required('AddressIdentifier'), `${p}/sr:AddressIdentifier`, 0, 30);
          f.end();
          return { kind: 'ReadInventory', by: addressIdentifier === '' ? { postCode } : { postCode, addressIdentifier } };
        }
      }
    },
    write(body) {
      const by = body.by;
      if ('uprn' in by) {
        const v = parseXsInteger(by.uprn);
        if (v === null || v < 1n || totalDigits(v) > 12 || !/^[0-9]+$/.test(by.uprn)) throw new RangeError(`body.by.uprn: ${JSON.stringify(by.uprn)} is not a UPRN (1..12 digits)`);
        return textEl('UPRN', by.uprn);
      }
      if ('deviceId' in by) return textEl('DeviceID', dashedEui(parseEui(by.deviceId)));
      if ('mpxn' in by) return textEl('MPxN', writeString(by.mpxn, 'body.by.mpxn', 1, 13));
      if ('postCode' in by) {
        return el('PropertyFilter', textEl('PostCode', writeString(by.postCode, 'body.by.postCode', 6, 8)) +
          textEl('AddressIdentifier', writeString(by.addressIdentifier ?? '', 'body.by.addressIdentifier', 0, 30)));
      }
      throw new RangeError('body.by: expected uprn, deviceId, mpxn or postCode');
    },
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: {
    name: 'read-inventory',
    build: (ctx) => ({
      // Its registered supplier; for a device with none (a comms hub, a pre-notified device) any supplier may ask.
      originator: ctx.supplyPoint?.supplierEui ?? ctx.partyWithRole('IS') ?? ctx.fail('no-party', 'no DCC User in the Import Supplier role to ask'),
      target: DCC_EUI,
      commandVariant: 8,
      body: { kind: 'ReadInventory', by: { deviceId: ctx.eui } },
    }),
  },
  describe: (b) => [{ label: 'Query', value: JSON.stringify(b.by) }],
  needs: (v) => ({ inventory: v.request.body.by }),
  handle(v, state) {
    const devices = state.inventory!;
    if (devices.length === 0) {
      // A DSPInventory holds 1..17 devices: an empty one cannot be built. It is a refusal like any other.
      refuse(v, Codes0802.noMatch, 'inventory', `no device in the smart metering inventory matches ${describeQuery(v.request.body.by)}`);
    }
    return {
      step: { name: 'inventory', detail: `${devices.length} device(s)` },
      answer: {
        responseCode: Codes.success,
        content: {
          dspInventory: devices.map((d) => ({
            deviceId: d.eui,
            deviceType: d.type,
            // A Type 2 device has no SMI status (rules-and-data.md): the DCC's own lifecycle of it is not reported.
            deviceStatus: isType2(d.type) ? undefined : d.status,
            deviceManufacturer: d.manufacturer,
            deviceModel: d.model,
            deviceFirmwareVersion: d.firmware || undefined,
            dateCommissioned: d.commissionedAt ? `${d.commissionedAt.slice(0, 10)}Z` : undefined,
            importMpxn: d.mpxn ?? undefined,
            secondaryImportMpan: d.secondaryImportMpan,
            exportMpan: d.exportMpan,
            esmeVariant: d.esmeVariant,
            smetsChtsVersion: d.smetsChtsVersion,
            uprn: d.uprn === null ? undefined : String(d.uprn),
          })),
        },
      },
      advanceCounter: true,
    };
  },
};
