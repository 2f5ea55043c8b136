/**
 * Device configuration (DUIS section 6, issue 15): the settings a meter or comms hub keeps and the reads that
 * return them. Most are plain COSEM attributes and ZCL attributes: a set stores the value (the COSEM/ZCL
 * engines' default) and the matching read returns it, or, before any command set it, the meter's factory value
 * (the values the RTDS devices answer with). Behaviours are here only where the device must do more than store.
 */
import { RemotePartyRole } from '../../../pki/index.ts';
import { CANCELLATION_DATE_TIME } from '../../gbcs/cs02b.ts';
import { DataAccessResult, dlms, encodeAccessResponse, encodeDataNotification, invokeIdFor, obis } from '../../gbcs/dlms.ts';
import { decodeDlmsDateTime, encodeDlmsDateTime } from '../../gbcs/dlms-time.ts';
import { ZclCluster, ZclStatus, ZclType, readZclValue, type GbzComponent } from '../../gbcs/gbz.ts';
import type { CommandContext, DueContext } from '../app-use-case.ts';
import { storeAttribute, type CosemObject } from '../cosem.ts';
import type { UseCase } from '../use-case.ts';
import { defaultResponse, storeZclAttribute, responseComponent, ZclFrame, type ZclCommand } from '../zcl-engine.ts';
import { appendEvent } from './event-logs.ts';
import { dlmsUseCase, gbzUseCase, type DlmsDefault, type UseCaseFamily, type ZclDefault } from './kit.ts';

const dlu = dlms.dlu;
const ascii = (s: string) => dlms.octets(Buffer.from(s, 'latin1'));

function d(classId: number, o: string, attribute: number, value: DlmsDefault['value']): DlmsDefault {
  return { classId, obis: obis(o), attribute, value };
}

/** Factory values of the ESME and comms hub (as the RTDS devices answer 6.2.x reads). */
const dlmsDefaults: DlmsDefault[] = [
  // RMS voltage: extreme over, extreme under, sag, swell (register monitors: threshold a4, period a6)
  d(71, '0000110001FF', 4, dlu(287)), d(71, '0000110001FF', 6, dlu(30)),
  d(71, '0000110002FF', 4, dlu(180)), d(71, '0000110002FF', 6, dlu(30)),
  d(71, '0000110003FF', 4, dlu(216)), d(71, '0000110003FF', 6, dlu(30)),
  d(71, '0000110004FF', 4, dlu(253)), d(71, '0000110004FF', 6, dlu(30)),
  // average RMS over/under voltage thresholds per phase, and their measurement periods
  d(1, '010020230004', 2, dlu(264)), d(1, '0100201F0004', 2, dlu(200)),
  d(1, '010034230004', 2, dlu(126)), d(1, '0100341F0004', 2, dlu(96)),
  d(1, '010048230004', 2, dlu(126)), d(1, '0100481F0004', 2, dlu(96)),
  d(7, '0100201800FF', 4, dlu(30)), d(7, '0100341800FF', 4, dlu(30)), d(7, '0100481800FF', 4, dlu(30)),
  // randomisation offsets
  d(1, '00005E2C0000', 2, dlms.longUnsigned(200)), d(1, '00005E2C0002', 2, dlms.longUnsigned(2000)), d(1, '00005E2C0001', 2, dlms.longUnsigned(1000)),
  // billing single-action schedule: 00:00 on the 1st of each quarter
  d(22, '00000F0000FF', 4, dlms.array(['0101', '0401', '0701', '0a01'].map((md) => dlms.structure(dlms.octets('0c000000'), dlms.octets(`ffff${md}ff`))))),
  // identity: the device's EUI, device type, model, firmware version; the supply tamper lock (6.25 sets it)
  d(1, '0000600101FF', 2, (ctx: CommandContext) => dlms.octets(Buffer.from(ctx.device.eui, 'hex'))),
  d(1, '0000600102FF', 2, dlms.octets('42')),
  d(1, '0000600104FF', 2, (ctx: CommandContext) => ascii(ctx.device.type === 'CHF' ? 'ATGTypeY' : 'ATGTypeX')),
  d(1, '0000600106FF', 2, ascii('CSW ')),
  d(1, '00005E2C0004', 2, dlms.boolean(false)),
  // instantaneous power thresholds (low/medium, medium/high), W
  d(21, '0000100000FF', 2, dlms.array([dlu(2300), dlu(4600)])),
  // import MPAN(s) and export MPAN: none until 6.20 sets them
  d(1, '00005E2C220B', 2, dlms.octets('')), d(1, '0100000002FF', 2, dlms.octets('')),
  // payment mode (credit) and its status
  d(111, '0000130000FF', 2, dlms.structure(dlms.enum(2), dlms.enum(2))),
  // comms hub sub-GHz configuration (lower/upper band channel masks, duty-cycle thresholds, curfews, percentages ×100)
  d(1, '00005E2C0A00', 2, dlms.structure(
    dlms.bits(32, Buffer.from('e0000003', 'hex')), dlms.bits(32, Buffer.from('e8000003', 'hex')),
    dlms.bits(32, Buffer.from('f0000003', 'hex')), dlms.bits(32, Buffer.from('f8000003', 'hex')),
    dlms.longUnsigned(125), dlms.longUnsigned(200), dlms.unsigned(4), dlms.longUnsigned(6), dlms.unsigned(6), dlms.unsigned(10),
    dlms.longUnsigned(5050), dlms.unsigned(125), dlms.longUnsigned(90), dlms.longUnsigned(5000), dlms.longUnsigned(3000),
  )),
  // event and alert behaviours (256-bit strings, one bit per event): the supplier's alerts, HAN alerts, alarms and
  // logging (0-30:97.98.15..18), the network operator's alerts and logging (0-33:97.98.15, .18)
  d(1, '001E61620FFF', 2, dlms.bits(256, Buffer.from('00000000000000337f0ffff30000000800000000000000000000000002006000', 'hex'))),
  d(1, '001E616210FF', 2, dlms.bits(256, Buffer.from('000000000000001000000c000000000000000100000000000000000002002000', 'hex'))),
  d(1, '001E616211FF', 2, dlms.bits(256, Buffer.alloc(32))),
  d(1, '001E616212FF', 2, dlms.bits(256, Buffer.from('00000000000000737f0fffff0000000800000006003000200000000000000000', 'hex'))),
  d(1, '002161620FFF', 2, dlms.bits(256, Buffer.from('0000000000000000000000000000000000000000000000000000000000300000', 'hex'))),
  d(1, '0021616212FF', 2, dlms.bits(256, Buffer.from('0000000000000000000000000000000000000000000000000000000000300000', 'hex'))),
  // the sub-GHz channel the hub operates on (band ‖ channel mask)
  d(1, '00005E2C0A02', 2, dlms.bits(32, Buffer.from('e0000001', 'hex'))),
];

function z(clusterId: number, id: number, type: number, value: number | Buffer): ZclDefault {
  return { clusterId, id, value: { type, value } };
}

/** Factory values of the GSME (as the RTDS GSME answers 6.2.x reads). */
const zclDefaults: ZclDefault[] = [
  z(ZclCluster.basic, 0x0004, ZclType.chars, Buffer.from('1234')),
  z(ZclCluster.basic, 0x0005, ZclType.chars, Buffer.from('12345678')),
  z(ZclCluster.metering, 0x0608, ZclType.enum8, 3),
  z(ZclCluster.metering, 0x0607, ZclType.enum8, 3),
  // site id (MPRN): none until 6.20.1 sets it
  z(ZclCluster.metering, 0x0307, ZclType.octets, Buffer.alloc(0)),
  // Price: conversion factor (with trailing digit), calorific value (unit, trailing digit)
  z(ZclCluster.price, 0x0306, ZclType.bitmap8, 0x00),
  z(ZclCluster.price, 0x0305, ZclType.enum8, 1),
  z(ZclCluster.price, 0x0304, ZclType.uint32, 567),
  z(ZclCluster.price, 0x0303, ZclType.bitmap8, 0x01),
  z(ZclCluster.price, 0x0302, ZclType.uint32, 36),
  // Metering: uncontrolled flow threshold, its unit, multiplier, divisor, stabilisation and measurement periods
  z(ZclCluster.metering, 0x0b13, ZclType.uint16, 1),
  z(ZclCluster.metering, 0x0b12, ZclType.uint16, 1),
  z(ZclCluster.metering, 0x0b11, ZclType.enum8, 1),
  z(ZclCluster.metering, 0x0b10, ZclType.uint16, 200),
  z(ZclCluster.metering, 0x0b14, ZclType.uint8, 10),
  z(ZclCluster.metering, 0x0b15, ZclType.uint16, 3600),
  // Prepayment: payment control configuration
  z(ZclCluster.prepayment, 0x0000, ZclType.bitmap16, 0x0c97),
];

/** The GSME's billing period (Price cluster), as the last Publish Billing Period gave it (6.8), or the factory's from its start time on. */
const BILLING_PERIOD = 'configuration.billingPeriod';
const FACTORY_BILLING_PERIOD = Buffer.from('0017561a0600002300', 'hex');

/** Commands the server sends the client in GBCS (a device-management "publish") are acknowledged client to server. */
function acknowledge(c: GbzComponent, status: number = ZclStatus.success): GbzComponent {
  return responseComponent(c, 0x00, 0x0b, Buffer.from([c.commandId, status]));
}

/**
 * The GSME's event configuration: per event id, one octet (the log it goes to in bits 0-2, WAN alert 0x08, HAN
 * alert 0x10, alarm 0x40), as the RTDS GSME answers; kept in the section 'gsmeEventConfiguration' once changed.
 */
export const FACTORY_EVENT_CONFIGURATION = '0d81180e810819811845810354810355810361810362810368811083810b84810ba1810ba4810ba5810ba6810ba7810ba8810ba9810baa811bab811bac810bad810bae810baf810bb0810bb1810bb2810bb3810bb4810bb5810bb6810bb9810bba810bbc810bbd810bbe810bbf810bc0810bc2810bc3810bc4811bc5810ba0810bc68103';

const zclCommands: ZclCommand[] = [
  {
    clusterId: ZclCluster.deviceManagement,
    commandId: 0x05,
    name: 'Get Event Configuration',
    run(c, ctx) {
      // event id (0x81FF: every event); answered by Publish Event Configuration: command index ‖ total commands ‖ {event id, configuration}…
      const all = Buffer.from((ctx.app.gsmeEventConfiguration as string | undefined) ?? FACTORY_EVENT_CONFIGURATION, 'hex');
      const wanted = c.payload.length >= 2 ? c.payload.readUInt16LE(0) : 0x81ff;
      let records = all;
      if (wanted !== 0x81ff) {
        const one = [];
        for (let i = 0; i + 3 <= all.length; i += 3) if (all.readUInt16LE(i) === wanted) one.push(all.subarray(i, i + 3));
        if (one.length === 0) return [acknowledge(c, ZclStatus.notFound)];
        records = Buffer.concat(one);
      }
      return [responseComponent(c, 0x01, 0x04, Buffer.concat([Buffer.from([0x00, 0x01]), records]))];
    },
  },
  {
    clusterId: ZclCluster.price,
    commandId: 0x0b,
    name: 'Get Billing Period',
    run(c, ctx) {
      // Publish Billing Period: provider id ‖ issuer event id ‖ start time ‖ duration (uint24) ‖ duration type ‖ tariff type
      const stored = ctx.app[BILLING_PERIOD] as string | undefined;
      const period = stored ? Buffer.from(stored, 'hex') : Buffer.concat([Buffer.alloc(8), FACTORY_BILLING_PERIOD]);
      return [responseComponent(c, ZclFrame.clusterResponseWithDefault, 0x09, period)];
    },
  },
  {
    clusterId: ZclCluster.price,
    commandId: 0x09,
    name: 'Publish Billing Period',
    run(c, ctx) {
      if (c.payload.length !== 17) return [acknowledge(c, ZclStatus.invalidValue)];
      ctx.app[BILLING_PERIOD] = c.payload.toString('hex');
      return [acknowledge(c)];
    },
  },
  {
    clusterId: ZclCluster.price,
    commandId: 0x01,
    name: 'Publish Block Period',
    run(c, ctx) {
      if (c.payload.length !== 19) return [acknowledge(c, ZclStatus.invalidValue)];
      ctx.app['configuration.blockPeriod'] = c.payload.toString('hex');
      return [acknowledge(c)];
    },
  },
  {
    clusterId: ZclCluster.price,
    commandId: 0x02,
    name: 'Publish Conversion Factor',
    run(c, ctx) {
      // issuer event id ‖ start time ‖ conversion factor (uint32) ‖ trailing digit
      if (c.payload.length !== 13) return [acknowledge(c, ZclStatus.invalidValue)];
      storeZclAttribute(ctx.app, ZclCluster.price, 0x0302, { type: ZclType.uint32, value: c.payload.readUInt32LE(8) });
      storeZclAttribute(ctx.app, ZclCluster.price, 0x0303, { type: ZclType.bitmap8, value: c.payload[12]! });
      return [acknowledge(c)];
    },
  },
  {
    clusterId: ZclCluster.price,
    commandId: 0x03,
    name: 'Publish Calorific Value',
    run(c, ctx) {
      // issuer event id ‖ start time ‖ calorific value (uint32) ‖ unit ‖ trailing digit
      if (c.payload.length !== 14) return [acknowledge(c, ZclStatus.invalidValue)];
      storeZclAttribute(ctx.app, ZclCluster.price, 0x0304, { type: ZclType.uint32, value: c.payload.readUInt32LE(8) });
      storeZclAttribute(ctx.app, ZclCluster.price, 0x0305, { type: ZclType.enum8, value: c.payload[12]! });
      storeZclAttribute(ctx.app, ZclCluster.price, 0x0306, { type: ZclType.bitmap8, value: c.payload[13]! });
      return [acknowledge(c)];
    },
  },
  {
    clusterId: ZclCluster.metering,
    commandId: 0x0e,
    name: 'Set Uncontrolled Flow Threshold',
    run(c, ctx) {
      // provider id ‖ issuer event id ‖ threshold ‖ unit ‖ multiplier ‖ divisor ‖ stabilisation period ‖ measurement period
      const p = c.payload;
      if (p.length !== 18) return [defaultResponse(c, ZclStatus.invalidValue)];
      storeZclAttribute(ctx.app, ZclCluster.metering, 0x0b10, { type: ZclType.uint16, value: p.readUInt16LE(8) });
      storeZclAttribute(ctx.app, ZclCluster.metering, 0x0b11, { type: ZclType.enum8, value: p[10]! });
      storeZclAttribute(ctx.app, ZclCluster.metering, 0x0b12, { type: ZclType.uint16, value: p.readUInt16LE(11) });
      storeZclAttribute(ctx.app, ZclCluster.metering, 0x0b13, { type: ZclType.uint16, value: p.readUInt16LE(13) });
      storeZclAttribute(ctx.app, ZclCluster.metering, 0x0b14, { type: ZclType.uint8, value: p[15]! });
      storeZclAttribute(ctx.app, ZclCluster.metering, 0x0b15, { type: ZclType.uint16, value: p.readUInt16LE(16) });
      return [defaultResponse(c)];
    },
  },
  {
    clusterId: ZclCluster.deviceManagement,
    commandId: 0x03,
    name: 'Update SiteID',
    run(c, ctx) {
      // issuer event id(4) ‖ site id time(4) ‖ provider id(4) ‖ site id (octet string)
      if (c.payload.length < 13) return [acknowledge(c, ZclStatus.invalidValue)];
      const { value } = readZclValue(c.payload, 12, ZclType.octets);
      storeZclAttribute(ctx.app, ZclCluster.metering, 0x0307, value);
      return [acknowledge(c)];
    },
  },
];

// The average RMS voltage counters 6.x resets are the ESME reads family's registers (esme-reads.ts), reset there.
const cosem: CosemObject[] = [];

/** Entries of the dual-band comms hub's sub-GHz channel log (the hub's channel changes), in the section 'subGhzChannelLog'. */
export interface ChannelLogEntry {
  /** ISO */
  at: string;
  /** the event (GBCS event code) */
  code: number;
  /** the channel and its details, hex */
  data: string;
}

cosem.push({
  classId: 7, obis: obis('0-0:94.44.10.3'), name: 'sub-GHz channel log',
  get(attribute, ctx, spec) {
    if (attribute !== 2) return undefined;
    const range = spec.parameters?.type === 'structure' ? spec.parameters.items : [];
    const from = range[1]?.type === 'double-long-unsigned' ? range[1].value : 0;
    const to = range[2]?.type === 'double-long-unsigned' ? range[2].value : 0xffffffff;
    const seconds = (iso: string) => Math.floor((Date.parse(iso) - Date.UTC(2000, 0, 1)) / 1000);
    const rows = ((ctx.app.subGhzChannelLog as ChannelLogEntry[] | undefined) ?? [])
      .filter((e) => seconds(e.at) >= from && seconds(e.at) <= to)
      .map((e) => dlms.structure(dlu(seconds(e.at)), dlms.longUnsigned(e.code), dlms.octets(e.data)));
    return { type: 'compact-array', description: { type: 'structure', elements: [{ type: 'double-long-unsigned' }, { type: 'long-unsigned' }, { type: 'octet-string' }] }, items: rows };
  },
});

/** Counters a meter keeps from its measurements; dcc-sim measures no voltage, so they count from their last reset, at 0. */
/**
 * Settings with activation times (catalogue.md §2.8): the command sets each object's value and its activation
 * time attribute. NOW (all zero) applies them at once; a later time holds the command, answering every set
 * with success, and applies them then with one 8F66 alert per object; NEVER (all FF) cancels what is held.
 */
function activatedSettings(name: string, messageCode: number, roles: readonly number[], activation = 6): UseCase {
  return dlmsUseCase({
    name, messageCodes: [messageCode], deviceTypes: ['ESME'], roles, critical: true, responseDateTime: true,
    before(ctx) {
      if (ctx.body.kind !== 'dlms-request') return undefined;
      const { request } = ctx.body;
      const i = request.specs.findIndex((s) => s.kind === 'set' && s.id === activation);
      const when = request.data[i];
      if (i < 0 || when?.type !== 'octet-string' || when.value.length !== 12) return undefined;
      const at = when.value.subarray(0, 8).every((b) => b === 0xff) ? CANCELLATION_DATE_TIME
        : when.value.subarray(0, 8).every((b) => b === 0) ? undefined : decodeDlmsDateTime(when.value, `${name} activation time`);
      if (!at || !ctx.defer(at)) return undefined;
      return encodeAccessResponse({ invokeId: request.invokeId, data: request.specs.map(() => dlms.null()), results: request.specs.map(() => ({ kind: 'set' as const, result: DataAccessResult.success })) });
    },
    executeDue(ctx: DueContext) {
      if (ctx.message.body.kind !== 'dlms-request') return [];
      const { request } = ctx.message.body;
      request.specs.forEach((s, i) => { if (s.kind === 'set') storeAttribute(ctx.app, s.classId, s.obis, s.id, request.data[i]!); });
      // the device logs the execution as it alerts it (8F66 is in the RTDS ESME event log)
      appendEvent(ctx.app, 0x8f66, ctx.now);
      const at = encodeDlmsDateTime(ctx.pending.executeAt);
      return request.specs.filter((s) => s.kind === 'set' && s.id === activation).map((s, n) => {
        // 8F66: original message code ‖ original counter ‖ class ‖ OBIS ‖ the activation attribute
        const what = Buffer.alloc(19);
        what.writeUInt16BE(ctx.message.apdu.messageCode, 0);
        what.writeBigUInt64BE(ctx.pending.counter, 2);
        what.writeUInt16BE(s.classId, 10);
        Buffer.from(s.obis, 'hex').copy(what, 12);
        what[18] = s.id;
        const body = dlms.structure(dlms.longUnsigned(0x8f66), dlms.octets(at), dlms.octets(what));
        return { messageCode: 0x00cc, payload: encodeDataNotification({ invokeId: invokeIdFor(ctx.device.alertCounter + BigInt(n + 1)), body }) };
      });
    },
  });
}

const SUPPLIER = [RemotePartyRole.Supplier];
const NETWORK_OPERATOR = [RemotePartyRole.NetworkOperator];
const EITHER = [RemotePartyRole.Supplier, RemotePartyRole.NetworkOperator];
const ACB = [RemotePartyRole.AccessControlBroker];

const esme = (name: string, code: number, roles: readonly number[], critical = false) => dlmsUseCase({ name, messageCodes: [code], deviceTypes: ['ESME'], roles, critical });
const chf = (name: string, code: number) => dlmsUseCase({ name, messageCodes: [code], deviceTypes: ['CHF'], roles: ACB, critical: false });
const gsme = (name: string, code: number, roles: readonly number[], critical = false) => gbzUseCase({ name, messageCodes: [code], deviceTypes: ['GSME'], roles, critical });

export const CONFIGURATION: UseCaseFamily = {
  name: 'configuration',
  cosem,
  zclCommands,
  dlmsDefaults,
  zclDefaults,
  useCases: [
    // 6.2.x reads
    esme('ECS26b', 0x003c, EITHER), esme('ECS26k', 0x00c6, EITHER), esme('ECS26c', 0x003d, SUPPLIER),
    esme('ECS26d', 0x003e, SUPPLIER), esme('ECS26l', 0x00d9, SUPPLIER), gsme('GCS21d', 0x009d, SUPPLIER), gsme('GCS21k', 0x00da, SUPPLIER),
    esme('ECS26e', 0x003f, SUPPLIER), esme('ECS26m', 0x00f9, SUPPLIER), chf('ECS26i', 0x0092), chf('ECS26n', 0x00fa),
    gsme('GCS21e', 0x009e, SUPPLIER), gsme('GCS21m', 0x00fb, SUPPLIER),
    esme('ECS26f', 0x0040, SUPPLIER), esme('ECS40', 0x004e, SUPPLIER), gsme('GCS46', 0x0089, SUPPLIER), gsme('GCS21a', 0x007b, SUPPLIER),
    esme('ECS26j', 0x00be, SUPPLIER), gsme('GCS21j', 0x00bf, SUPPLIER),
    // 6.5 voltage, 6.27 its counters' reset (network operator)
    esme('ECS29a', 0x0045, NETWORK_OPERATOR), esme('ECS29b', 0x00ae, NETWORK_OPERATOR), esme('ECS29c', 0x00d1, NETWORK_OPERATOR), esme('ECS29d', 0x00d2, NETWORK_OPERATOR),
    esme('ECS29e', 0x00d3, NETWORK_OPERATOR), esme('ECS29f', 0x00d4, NETWORK_OPERATOR),
    // 6.12 power thresholds; 6.20 MPxNs (the export MPAN through the ACB); 6.25 tamper lock; 6.26 block counter reset
    esme('ECS34', 0x0047, SUPPLIER), esme('ECS39a', 0x004c, SUPPLIER), gsme('GCS41', 0x0087, SUPPLIER),
    dlmsUseCase({ name: 'ECS39b', messageCodes: [0x004d], deviceTypes: ['ESME'], roles: ACB, critical: false }),
    esme('ECS81', 0x0068, SUPPLIER, true), esme('ECS48', 0x00db, SUPPLIER, true),
    // 6.6 gas conversion, 6.7 gas flow
    gsme('GCS23', 0x007c, SUPPLIER, true), gsme('GCS24', 0x007d, SUPPLIER, true), gsme('GCS24a', 0x00fc, SUPPLIER, true),
    // 6.8 billing calendar
    esme('ECS30', 0x0046, SUPPLIER, true), esme('ECS30a', 0x00d7, SUPPLIER, true), gsme('GCS25', 0x007e, SUPPLIER, true), gsme('GCS25a', 0x00d8, SUPPLIER, true),
    // 6.14.1 auxiliary load control switch descriptions
    esme('ECS46a', 0x0053, SUPPLIER, true), activatedSettings('ECS46c', 0x0054, SUPPLIER), activatedSettings('ECS46d', 0x011a, SUPPLIER),
    // 6.4 load limiting
    activatedSettings('ECS28a', 0x0043, SUPPLIER), esme('ECS28b', 0x0044, SUPPLIER),
    // 6.2.10 event and alert behaviours
    esme('ECS25r1', 0x00ee, SUPPLIER), esme('ECS25r2', 0x00ef, NETWORK_OPERATOR), gsme('GCS20r', 0x00f1, SUPPLIER),
    // 6.18 maximum demand (network operator)
    esme('ECS37', 0x004a, NETWORK_OPERATOR), esme('ECS57', 0x005a, NETWORK_OPERATOR),
    // 6.28-6.32 the dual-band comms hub's sub-GHz radio
    chf('DBCH01', 0x010a), chf('DBCH02', 0x010b), chf('DBCH03', 0x010c), chf('DBCH04', 0x010d), chf('DBCH05', 0x010e),
  ],
};

