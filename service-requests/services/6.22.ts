/**
 * 6.22 Configure Alert Behaviour: which non-critical alerts and events a meter sends to the supplier or network
 * operator, to HAN devices, sounds as an alarm or logs. 6.2.10 reads the result back.
 *
 * ESME (ECS25a/a1/a2/a3 supplier, ECS25b/b3 network operator): one DLMS set of a 512-bit string on
 * 0-30:97.98.11..14 (supplier: WAN alerts, HAN alerts, alarm, logging) or 0-33:97.98.11 and .14 (network
 * operator: WAN alerts, logging). Its first 256 bits say which alerts the command changes, its last 256 bits
 * their new setting; an alert's bit is its code's low octet, counted from the string's last bit (0x810D is
 * bit 13). Inferred from the RTDS vectors: ECS25a1/a2/a3 and ECS25b3 are exactly their templates under this
 * rule, and the factory strings 6.2.10 reads set exactly the bits of alert codes the DUIS schema lists.
 *
 * GSME (GCS20): Set Event Configuration (Device Management cluster, command 0x04) "by list", one component per
 * distinct setting: the event configuration octet (WAN alert 0x08, HAN alert 0x10, alarm 0x40, log 3: the
 * general event log) and the event ids it applies to. `GasSupplierAlerts` (WAN only) is refused: Set Event
 * Configuration replaces the whole octet, and the DCC does not know the others.
 */
import type { Element } from '@xmldom/xmldom';
import { ZclCluster, dlms, zigbeeTime } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { deviceCommandService, type GbcsCommand } from './device-command.ts';
import { byDeviceType, dlmsAccess, zclCommands } from './configuration-commands.ts';

const { Sequence, StructureError, checkAttributes, displayName, el, textEl } = bodyKit;

/** The alert codes the DUIS schema lets each group name (DUIS 5.4 XSD), in its order. */
const codes = (s: string) => s.split(' ').map((h) => parseInt(h, 16));
const GROUPS: Readonly<Record<string, readonly number[]>> = {
  SupplierESMECommon: codes('810D 810E 8119 8145 8154 8155 8161 8162 8168 8183 81A0 81A1 81A2 81A3 81A4 81A5 81A6 81A7 81A8 81A9 81AA 81AB 81AC 81AD 81AE 81AF 81B0 81B1 81B2 81B3 81B8 81B9 81BA 81BB 81BC 81BD 81BE 81C0 81C1 81C4 81C5 81C6'),
  SupplierESMEPolyPhase: codes('81B7'),
  NetworkOperatorESMECommon: codes('8014 8015'),
  NetworkOperatorESMESinglePhase: codes('8002 8006 8020 8024 8028 802C 8085 8089 808D 8091 8095 8099 8010'),
  NetworkOperatorESMEPolyPhase: codes('8003 8004 8005 8007 8008 8009 8021 8022 8023 8025 8026 8027 8029 802A 802B 802D 802E 802F 8086 8087 8088 808A 808B 808C 808E 808F 8090 8092 8093 8094 8096 8097 8098 809A 809B 809C 8011 8016 8013'),
  SupplierGSME: codes('810D 810E 8119 8145 8154 8155 8168 8183 8184 81A1 81A4 81A5 81A6 81A7 81A8 81A9 81AA 81AB 81AC 81AD 81AE 81AF 81B0 81B1 81B2 81B3 81B4 81B5 81B6 81B9 81BA 81BC 81BD 81BE 81BF 81C0 81C2 81C3 81C4 81C5'),
  SupplierGSMEAlertsEvents: codes('810D 810E 8119 8145 8154 8155 8161 8162 8168 8183 8184 81A0 81A1 81A4 81A5 81A6 81A7 81A8 81A9 81AA 81AB 81AC 81AD 81AE 81AF 81B0 81B1 81B2 81B3 81B4 81B5 81B6 81B9 81BA 81BC 81BD 81BE 81BF 81C0 81C2 81C3 81C4 81C5 81C6'),
};

/** The choice of ConfigureAlertBehaviour: its groups, and the ESME object (or GSME) it configures. */
const SETTINGS = {
  ElectricitySupplierAlerts: { groups: ['SupplierESMECommon', 'SupplierESMEPolyPhase'], useCase: 'ECS25a', messageCode: 0x00ac, obis: '001E61620BFF' },
  ElectricitySupplierHANAlertSettings: { groups: ['SupplierESMECommon', 'SupplierESMEPolyPhase'], useCase: 'ECS25a1', messageCode: 0x00ea, obis: '001E61620CFF' },
  ElectricitySupplierAlarmSettings: { groups: ['SupplierESMECommon', 'SupplierESMEPolyPhase'], useCase: 'ECS25a2', messageCode: 0x00eb, obis: '001E61620DFF' },
  ElectricitySupplierLoggingSettings: { groups: ['SupplierESMECommon', 'SupplierESMEPolyPhase'], useCase: 'ECS25a3', messageCode: 0x00ec, obis: '001E61620EFF' },
  ElectricityNetworkOperatorAlerts: { groups: ['NetworkOperatorESMECommon', 'NetworkOperatorESMESinglePhase|NetworkOperatorESMEPolyPhase'], useCase: 'ECS25b', messageCode: 0x00b0, obis: '002161620BFF' },
  ElectricityNetworkOperatorLoggingSettings: { groups: ['NetworkOperatorESMECommon', 'NetworkOperatorESMESinglePhase|NetworkOperatorESMEPolyPhase'], useCase: 'ECS25b3', messageCode: 0x00ed, obis: '002161620EFF' },
  GasSupplierAlerts: { groups: [], useCase: 'GCS20', messageCode: 0x00ad, obis: '' },
  GasSupplierAlertEventSettings: { groups: [], useCase: 'GCS20', messageCode: 0x00ad, obis: '' },
} as const;

export type AlertSettingsKind = keyof typeof SETTINGS;

/** A GSME event's four behaviours. */
export interface GasEventSetting { code: number; wanAlert: boolean; hanAlert: boolean; eventLog: boolean; alarm: boolean }

export interface ConfigureAlertBehaviourBody {
  kind: 'ConfigureAlertBehaviour';
  settings: AlertSettingsKind;
  /** ESME and GasSupplierAlerts: per schema group, each alert enabled or disabled */
  groups: { group: string; alerts: { code: number; enable: boolean }[] }[];
  /** GasSupplierAlertEventSettings */
  gasEvents: GasEventSetting[];
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
const FLAGS = ['WANAlert', 'HANAlert', 'EventLog', 'Alarm'] as const;

function readSetting(item: Element, path: string): boolean {
  const t = (item.textContent ?? '').trim();
  if (t !== 'Enable' && t !== 'Disable') throw new StructureError(`${path}: '${t}' is neither Enable nor Disable`);
  return t === 'Enable';
}

/** The x#### elements of one group, in the schema's order. */
function readAlerts(item: Element, group: string, path: string): { code: number; enable: boolean }[] {
  checkAttributes(item, path);
  const s = new Sequence(item, path);
  const out: { code: number; enable: boolean }[] = [];
  for (const code of GROUPS[group]!) {
    const e = s.optional(`x${hex4(code)}`);
    if (e) out.push({ code, enable: readSetting(e, `${path}/sr:x${hex4(code)}`) });
  }
  s.end();
  return out;
}

function readGasEvents(item: Element, path: string): GasEventSetting[] {
  checkAttributes(item, path);
  const s = new Sequence(item, path);
  const out: GasEventSetting[] = [];
  for (const code of GROUPS.SupplierGSMEAlertsEvents!) {
    const e = s.optional(`x${hex4(code)}`);
    if (!e) continue;
    const p = `${path}/sr:x${hex4(code)}`;
    const q = new Sequence(e, p);
    const [wanAlert, hanAlert, eventLog, alarm] = FLAGS.map((f) => readSetting(q.required(f), `${p}/sr:${f}`)) as [boolean, boolean, boolean, boolean];
    q.end();
    out.push({ code, wanAlert, hanAlert, eventLog, alarm });
  }
  s.end();
  return out;
}

const body: BodyCodec<ConfigureAlertBehaviourBody> = {
  element: 'ConfigureAlertBehaviour',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const choice = s.take();
    const settings = choice.localName as AlertSettingsKind;
    const p = `${path}/${displayName(choice)}`;
    if (!(settings in SETTINGS)) throw new StructureError(`${p}: not a ConfigureAlertBehaviour setting`);
    s.end();
    const empty: ConfigureAlertBehaviourBody = { kind: 'ConfigureAlertBehaviour', settings, groups: [], gasEvents: [] };
    if (settings === 'GasSupplierAlertEventSettings') return { ...empty, gasEvents: readGasEvents(choice, p) };
    if (settings === 'GasSupplierAlerts') return { ...empty, groups: [{ group: 'SupplierGSME', alerts: readAlerts(choice, 'SupplierGSME', p) }] };
    checkAttributes(choice, p);
    const g = new Sequence(choice, p);
    const groups: ConfigureAlertBehaviourBody['groups'] = [];
    for (const slot of SETTINGS[settings].groups) {
      for (const group of slot.split('|')) {
        const e = g.optional(group);
        if (e) { groups.push({ group, alerts: readAlerts(e, group, `${p}/sr:${group}`) }); break; }
      }
    }
    g.end();
    return { ...empty, groups };
  },
  write(b) {
    const setting = (on: boolean) => (on ? 'Enable' : 'Disable');
    const alerts = (list: { code: number; enable: boolean }[]) => list.map((a) => textEl(`x${hex4(a.code)}`, setting(a.enable))).join('');
    if (b.settings === 'GasSupplierAlertEventSettings') {
      return el(b.settings, b.gasEvents.map((e) => el(`x${hex4(e.code)}`, textEl('WANAlert', setting(e.wanAlert)) + textEl('HANAlert', setting(e.hanAlert)) + textEl('EventLog', setting(e.eventLog)) + textEl('Alarm', setting(e.alarm)))).join(''));
    }
    if (b.settings === 'GasSupplierAlerts') return el(b.settings, alerts(b.groups[0]?.alerts ?? []));
    return el(b.settings, b.groups.map((g) => el(g.group, alerts(g.alerts))).join(''));
  },
};

/** The ESME's 512-bit string: which alerts change (first 256 bits), and their new settings (last 256). */
export function alertBehaviourBits(alerts: readonly { code: number; enable: boolean }[]): Buffer {
  const bits = Buffer.alloc(64);
  for (const { code, enable } of alerts) {
    const bit = code & 0xff;
    const octet = 31 - (bit >> 3);
    bits[octet]! |= 1 << (bit & 7);
    if (enable) bits[32 + octet]! |= 1 << (bit & 7);
  }
  return bits;
}

/** The GSME's event configuration octet: log (3: general event log), WAN alert, HAN alert, alarm (physical). */
export function eventConfiguration(e: GasEventSetting): number {
  return (e.eventLog ? 0x03 : 0) | (e.wanAlert ? 0x08 : 0) | (e.hanAlert ? 0x10 : 0) | (e.alarm ? 0x40 : 0);
}

/**
 * Set Event Configuration components, one per distinct octet, event ids ascending. Their order is RTDS's
 * (one vector): WAN-alerted settings first, HAN-alerted first among them, then those that log and sound less.
 */
function setEventConfiguration(events: readonly GasEventSetting[], now: Date): Buffer {
  const byConfig = new Map<number, number[]>();
  for (const e of events) {
    const c = eventConfiguration(e);
    byConfig.set(c, [...(byConfig.get(c) ?? []), e.code]);
  }
  const rank = (c: number) => [c & 0x08 ? 0 : 1, c & 0x10 ? 0 : 1, c & 0x03 ? 1 : 0, c & 0x40 ? 1 : 0];
  const order = [...byConfig.keys()].sort((a, b) => {
    const x = rank(a);
    const y = rank(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return a - b;
  });
  return zclCommands(order.map((config) => {
    const ids = byConfig.get(config)!.sort((a, b) => a - b);
    // issuer event id (the time of issue) ‖ start time (0: now) ‖ configuration ‖ control 0 (apply by list) ‖ count ‖ event ids
    const p = Buffer.alloc(11 + 2 * ids.length);
    p.writeUInt32LE(zigbeeTime(now), 0);
    p[8] = config;
    p[9] = 0x00;
    p[10] = ids.length;
    ids.forEach((id, i) => p.writeUInt16LE(id, 11 + 2 * i));
    return [ZclCluster.deviceManagement, 0x09, 0x04, p] as const;
  }));
}

/**
 * The groups of another kind of meter are left out: a single-phase ESME's command has no polyphase alert (and a
 * polyphase one's no single-phase alert). Inferred from RTDS, whose ESME is single-phase: its ECS25b SUCCESS
 * command is the template without its 0x8003, and its ERROR commands, which the meter refuses, are the ECS25a,
 * ECS25a2, ECS25b and ECS25b3 templates with 0x81B7 or 0x8003 in. An ESME is polyphase by its variant (C…), as 4.10.
 */
function forThisMeter(group: string, esmeVariant: string | undefined): boolean {
  const polyphase = esmeVariant?.startsWith('C') ?? false;
  return group.endsWith('PolyPhase') ? polyphase : group.endsWith('SinglePhase') ? !polyphase : true;
}

function esmeCommand(b: ConfigureAlertBehaviourBody, counter: bigint, sender: string | undefined, esmeVariant: string | undefined): GbcsCommand | string {
  if (b.settings === 'GasSupplierAlerts' || b.settings === 'GasSupplierAlertEventSettings') return `${b.settings} configures a GSME, not an ESME`;
  const s = SETTINGS[b.settings];
  const forOperator = b.settings.startsWith('ElectricityNetworkOperator');
  if (sender && (sender === 'networkOperator') !== forOperator) return `${b.settings} is the ${forOperator ? 'network operator' : 'supplier'}'s to set`;
  const alerts = b.groups.filter((g) => forThisMeter(g.group, esmeVariant)).flatMap((g) => g.alerts);
  if (alerts.length === 0) return `${b.settings} names no alert this ${esmeVariant?.startsWith('C') ? 'polyphase' : 'single-phase'} ESME has`;
  return { useCase: s.useCase, messageCode: s.messageCode, payload: dlmsAccess(counter, [['set', 1, s.obis, 2, dlms.bits(512, alertBehaviourBits(alerts))]]) };
}

export const configureAlertBehaviour = deviceCommandService({
  variant: '6.22',
  displayName: 'Configure Alert Behaviour',
  body,
  sender: 'supplierOrNetworkOperator',
  command: byDeviceType('alert behaviour', {
    ESME: (b, { counter, sender, esmeVariant }) => esmeCommand(b, counter, sender, esmeVariant),
    GSME: (b, { now, sender }) => {
      if (sender === 'networkOperator') return 'a GSME\'s alert behaviour is its supplier\'s to set';
      if (b.settings === 'GasSupplierAlerts') return 'GasSupplierAlerts would replace each event\'s whole configuration with its WAN alert alone; send GasSupplierAlertEventSettings';
      if (b.settings !== 'GasSupplierAlertEventSettings') return `${b.settings} configures an ESME, not a GSME`;
      if (b.gasEvents.length === 0) return 'GasSupplierAlertEventSettings names no event';
      return { useCase: 'GCS20', messageCode: 0x00ad, payload: setEventConfiguration(b.gasEvents, now) };
    },
  }),
  example: {
    name: 'configure-alert-behaviour',
    body: (ctx) => (ctx.device?.type === 'GSME'
      ? { kind: 'ConfigureAlertBehaviour' as const, settings: 'GasSupplierAlertEventSettings' as const, groups: [], gasEvents: [{ code: 0x810d, wanAlert: true, hanAlert: true, eventLog: true, alarm: false }] }
      : { kind: 'ConfigureAlertBehaviour' as const, settings: 'ElectricitySupplierAlerts' as const, groups: [{ group: 'SupplierESMECommon', alerts: [{ code: 0x810d, enable: true }] }], gasEvents: [] }),
  },
  describe: (b) => [
    { label: 'Settings', value: b.settings },
    ...b.groups.flatMap((g) => g.alerts.map((a) => ({ label: `x${hex4(a.code)}`, value: a.enable ? 'Enable' : 'Disable' }))),
    ...b.gasEvents.map((e) => ({ label: `x${hex4(e.code)}`, value: FLAGS.filter((_f, i) => [e.wanAlert, e.hanAlert, e.eventLog, e.alarm][i]).join(' ') || 'none' })),
  ],
});
