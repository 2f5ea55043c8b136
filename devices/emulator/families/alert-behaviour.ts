/**
 * Alert behaviour (DUIS 6.22 sets it, 6.2.10 reads it): which non-critical alerts a meter sends, and the meter
 * honouring it when it raises one (`alertEnabled`).
 *
 * ESME: the supplier's behaviours are four 256-bit strings (0-30:97.98.15..18: WAN alerts, HAN alerts, alarm,
 * logging), the network operator's two (0-33:97.98.15, .18); an alert's bit is its code's low octet counted
 * from the string's last bit. ECS25a/a1/a2/a3 and ECS25b/b3 set 0-30:97.98.11..14 and 0-33:97.98.11, .14 with
 * 512 bits: which alerts change (first half) and their new setting (second half), applied to the matching
 * read object. 0x80xx codes are the network operator's, 0x81xx the supplier's; 0x8Fxx alerts are not
 * configurable (DUIS lists none) and are always sent.
 *
 * GSME: Set Event Configuration (GCS20, Device Management cluster command 0x04) "by list" replaces each named
 * event's configuration octet in the table Get Event Configuration (6.2.10) answers from.
 */
import { RemotePartyRole } from '../../../pki/index.ts';
import { DataAccessResult, dlms, obis } from '../../gbcs/dlms.ts';
import { ZclCluster, ZclStatus, type GbzComponent } from '../../gbcs/gbz.ts';
import type { CommandContext } from '../app-use-case.ts';
import { objectKey, storeAttribute, type CosemObject } from '../cosem.ts';
import { responseComponent, type ZclCommand } from '../zcl-engine.ts';
import { FACTORY_EVENT_CONFIGURATION } from './configuration.ts';
import { cosemObjects } from './index.ts';
import { dlmsUseCase, gbzUseCase, type UseCaseFamily } from './kit.ts';

/** The objects a 512-bit command sets, and the 256-bit behaviour each changes. */
const WRITES: readonly (readonly [write: string, behaviour: string, name: string])[] = [
  ['0-30:97.98.11.255', '0-30:97.98.15.255', 'supplier WAN alerts'],
  ['0-30:97.98.12.255', '0-30:97.98.16.255', 'supplier HAN alerts'],
  ['0-30:97.98.13.255', '0-30:97.98.17.255', 'supplier audible alarm'],
  ['0-30:97.98.14.255', '0-30:97.98.18.255', 'supplier event logging'],
  ['0-33:97.98.11.255', '0-33:97.98.15.255', 'network operator WAN alerts'],
  ['0-33:97.98.14.255', '0-33:97.98.18.255', 'network operator event logging'],
];

/** The behaviour string as the meter holds it now (what a command stored, else the factory's). */
function behaviourBits(ctx: Pick<CommandContext, 'app'>, o: string): Buffer {
  const object = cosemObjects().get(objectKey(1, o));
  // the factory-value objects read only the application state (families/index.ts withDlmsDefaults)
  const got = object?.get?.(2, ctx as CommandContext, { kind: 'get', classId: 1, obis: o, id: 2 });
  return got && 'type' in got && got.type === 'bit-string' ? Buffer.from(got.bytes) : Buffer.alloc(32);
}

const cosem: CosemObject[] = WRITES.map(([write, behaviour, name]): CosemObject => ({
  classId: 1, obis: obis(write), name: `${name} configuration`,
  set(attribute, value, ctx) {
    if (attribute !== 2) return { result: DataAccessResult.readWriteDenied };
    if (value.type !== 'bit-string' || value.bits !== 512) return { result: DataAccessResult.typeUnmatched };
    const target = obis(behaviour);
    const now = behaviourBits(ctx, target);
    const next = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) {
      const changes = value.bytes[i]!;
      next[i] = (now[i]! & ~changes) | (value.bytes[32 + i]! & changes);
    }
    storeAttribute(ctx.app, 1, target, 2, dlms.bits(256, next));
    return { result: DataAccessResult.success };
  },
}));

const GSME_EVENTS = 'gsmeEventConfiguration';

/** Answered by a Default Response, frame control 0 (as RTDS's GCS20 response, and the other publish commands). */
function acknowledge(c: GbzComponent, status: number = ZclStatus.success): GbzComponent {
  return responseComponent(c, 0x00, 0x0b, Buffer.from([c.commandId, status]));
}

const zclCommands: ZclCommand[] = [{
  clusterId: ZclCluster.deviceManagement,
  commandId: 0x04,
  name: 'Set Event Configuration',
  run(c, ctx) {
    // issuer event id ‖ start time ‖ configuration ‖ configuration control (0: by list) ‖ count ‖ event ids
    const p = c.payload;
    if (p.length < 11 || p[9] !== 0x00 || p.length !== 11 + 2 * p[10]!) return [acknowledge(c, ZclStatus.invalidValue)];
    const table = Buffer.from((ctx.app[GSME_EVENTS] as string | undefined) ?? FACTORY_EVENT_CONFIGURATION, 'hex');
    const ids = Array.from({ length: p[10]! }, (_x, i) => p.readUInt16LE(11 + 2 * i));
    const at = ids.map((id) => { for (let i = 0; i + 3 <= table.length; i += 3) if (table.readUInt16LE(i) === id) return i; return -1; });
    if (at.includes(-1)) return [acknowledge(c, ZclStatus.notFound)];
    for (const i of at) table[i + 2] = p[8]!;
    ctx.app[GSME_EVENTS] = table.toString('hex');
    return [acknowledge(c)];
  },
}];

/**
 * Whether the meter sends alert `code` to its supplier or network operator (ESME: the WAN behaviour bit of the
 * party whose codes they are; GSME: the event's WAN alert flag). Codes outside the configurable ranges are sent.
 */
export function alertEnabled(ctx: Pick<CommandContext, 'app' | 'device'>, code: number): boolean {
  if (ctx.device.type === 'ESME') {
    const party = code >> 8 === 0x81 ? '0-30:97.98.15.255' : code >> 8 === 0x80 ? '0-33:97.98.15.255' : undefined;
    if (!party) return true;
    const bit = code & 0xff;
    return (behaviourBits(ctx, obis(party))[31 - (bit >> 3)]! & (1 << (bit & 7))) !== 0;
  }
  if (ctx.device.type === 'GSME') {
    const table = Buffer.from((ctx.app[GSME_EVENTS] as string | undefined) ?? FACTORY_EVENT_CONFIGURATION, 'hex');
    for (let i = 0; i + 3 <= table.length; i += 3) if (table.readUInt16LE(i) === code) return (table[i + 2]! & 0x08) !== 0;
  }
  return true;
}

const SUPPLIER = [RemotePartyRole.Supplier];
const NETWORK_OPERATOR = [RemotePartyRole.NetworkOperator];
const esme = (name: string, code: number, roles: readonly number[]) => dlmsUseCase({ name, messageCodes: [code], deviceTypes: ['ESME'], roles, critical: false });

export const ALERT_BEHAVIOUR: UseCaseFamily = {
  name: 'alert behaviour',
  cosem,
  zclCommands,
  useCases: [
    esme('ECS25a', 0x00ac, SUPPLIER), esme('ECS25a1', 0x00ea, SUPPLIER), esme('ECS25a2', 0x00eb, SUPPLIER), esme('ECS25a3', 0x00ec, SUPPLIER),
    esme('ECS25b', 0x00b0, NETWORK_OPERATOR), esme('ECS25b3', 0x00ed, NETWORK_OPERATOR),
    gbzUseCase({ name: 'GCS20', messageCodes: [0x00ad], deviceTypes: ['GSME'], roles: SUPPLIER, critical: false }),
  ],
};
