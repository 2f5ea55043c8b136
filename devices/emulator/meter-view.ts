/**
 * What an emulated meter holds now (the console's "Meter" panel): its registers, today's half-hour profile,
 * supply state, credit, active tariff, display, supplier, firmware and the last entries of its logs, computed
 * from the device's application state and the meter model by the same functions its reads use (esme-reads.ts,
 * gsme-reads.ts, tariffs.ts, displays.ts, firmware.ts, event-logs.ts), so that the view agrees with what a
 * section-4 read at the same instant returns: the device caught up to now first, as a command's reads catch it up
 * (app-use-case.ts standingAt: credit drained, supply opened for lack of it). A GPF shows what its reads answer
 * from: its mirror of the paired GSME's meter and credit (the GSME the caller loaded, as for a GPF's read), or
 * with no paired GSME a gas meter model of its own EUI (gsme-reads.ts). Read only: the states given are not changed.
 */
import type { DeviceType } from './cells.ts';
import { profileRows, registerAt, type MeterModel, type Quantity } from '../meter/index.ts';
import type { DeviceAppState } from './app-state.ts';
import { mirrorAt, standingAt, type CommandContext } from './app-use-case.ts';
import type { ConsumerFacts, EventLogsSection } from './families/displays.ts';
import { ESME_EPOCH, meterOf } from './families/esme-reads.ts';
import type { EventLogSection } from './families/event-logs.ts';
import { FACTORY_FIRMWARE_VERSION, type FirmwareSection } from './families/firmware.ts';
import { GAS_FLEET_EPOCH, gasMeterOf, gasVolumeAt } from './families/gsme-reads.ts';
import { creditFigures, type CreditFigures } from './families/prepayment.ts';
import type { SupplySection } from './families/supply.ts';
import { activeTariffOf, tariffActionAt, type ElementTariff, type PrepaymentSection } from './families/tariffs.ts';
import type { CommandInputs } from './use-case.ts';

/** The device types that have a meter to show. */
export const METERED_TYPES: readonly DeviceType[] = ['ESME', 'GSME', 'GPF'];

export interface MeterRegister {
  quantity: Quantity;
  label: string;
  /** the register as the meter counts it (Wh, varh, dm³) */
  value: number;
  unit: 'Wh' | 'varh' | 'dm3';
}

export interface MeterTariffSummary {
  activatedAt: string;
  currency: string | null;
  /** per day, in currency units × 10^scale */
  standingCharge: { value: number; scale: number } | null;
  priceScale: number | null;
  touPrices: number[];
  dayProfiles: number;
  /** what the tariff selects now: 'TOU n' or 'block set n' */
  inForce: string | null;
}

export interface MeterLogEntry {
  log: string;
  code: number;
  at: string;
}

export interface MeterView {
  eui: string;
  type: DeviceType;
  /** a GPF's: the GSME whose meter it mirrors, whose figures it shows (null: none paired, or not a GPF) */
  mirrorOf: string | null;
  fuel: 'electricity' | 'gas';
  now: string;
  registers: MeterRegister[];
  /** today's (UTC) complete half hours of the main quantity (active import, gas volume) */
  profile: { quantity: Quantity; unit: 'Wh' | 'dm3'; day: string; slots: { start: string; value: number }[] };
  supply: { state: string; since: string | null } | null;
  /** the money as the meter's reads report it */
  prepayment: ({ paymentMode: 'credit' | 'prepayment' } & CreditFigures) | null;
  tariff: MeterTariffSummary | null;
  message: { text: string; since: string } | null;
  supplier: { name: string; telephone: string; since: string } | null;
  firmwareVersion: string;
  /** the last entries of its logs, newest first */
  events: MeterLogEntry[];
}

const LAST_EVENTS = 10;
const DAY = 86_400_000;

const ELECTRICITY: [Quantity, string, 'Wh' | 'varh'][] = [
  ['activeImport', 'Active import', 'Wh'],
  ['activeExport', 'Active export', 'Wh'],
  ['reactiveImport', 'Reactive import', 'varh'],
  ['reactiveExport', 'Reactive export', 'varh'],
];

function tariffSummary(t: ElementTariff | undefined, now: Date): MeterTariffSummary | null {
  if (!t) return null;
  const a = t.dayProfiles?.length ? tariffActionAt(t, now) : undefined;
  return {
    activatedAt: t.activatedAt,
    currency: t.currency ?? null,
    standingCharge: t.standingCharge ?? null,
    priceScale: t.priceScale ?? null,
    touPrices: t.touPrices ?? [],
    dayProfiles: t.dayProfiles?.length ?? 0,
    inForce: a ? ('tou' in a ? `TOU ${a.tou}` : `block set ${a.block}`) : null,
  };
}

/**
 * The meter view of an ESME, GSME or GPF at `now`, from its application state as stored (undefined: never
 * commanded); for a GPF, `inputs.mirroredGsme` is the GSME it mirrors as a GPF's read loads it (CommandInputs).
 * Balances and debts are in the device's currency units, as its reads give them.
 */
export function meterView(device: { eui: string; type: DeviceType }, state: DeviceAppState | undefined, now: Date, inputs: CommandInputs = {}): MeterView {
  if (!METERED_TYPES.includes(device.type)) throw new Error(`a ${device.type} has no meter`);
  const mirrored = device.type === 'GPF' ? inputs.mirroredGsme : undefined;
  // the device as its reads see it now; a GPF's meter figures are its mirror's (gsme-reads.ts figuresOf)
  const own = standingAt(device.eui, device.type, state ?? {}, now);
  const figures = mirrored ? mirrorAt(mirrored, now) : own;
  const app = own.app;
  // what the reads' functions use of a command's context: the device's EUI and its application state
  const ctx = { device: figures.device, app: figures.app, now };
  const gas = device.type !== 'ESME';
  const day = new Date(Math.floor(now.getTime() / DAY) * DAY);

  let registers: MeterRegister[];
  let model: MeterModel;
  if (gas) {
    model = gasMeterOf(ctx);
    registers = [{ quantity: 'gasVolume', label: 'Gas volume', value: gasVolumeAt(ctx, now), unit: 'dm3' }];
  } else {
    model = meterOf(ctx as unknown as CommandContext);
    registers = ELECTRICITY.map(([quantity, label, unit]) => ({ quantity, label, value: now > ESME_EPOCH ? registerAt(model, quantity, now) : 0, unit }));
  }
  const epoch = gas ? GAS_FLEET_EPOCH : ESME_EPOCH;
  const main: Quantity = gas ? 'gasVolume' : 'activeImport';
  const slots = now > epoch ? profileRows(model, main, day, now) : [];

  const supplySection = app.supply as Partial<SupplySection> | undefined;
  const supply = device.type === 'GPF' ? null : { state: supplySection?.state ?? 'connected', since: supplySection?.since ?? null };

  let prepayment: MeterView['prepayment'] = null;
  if (figures.device.type !== 'GPF') {
    // as the reads report them (prepayment.ts creditFigures): a GPF's through its mirror, none without one
    const p = figures.app.prepayment as Partial<PrepaymentSection> | undefined;
    prepayment = { paymentMode: p?.paymentMode ?? 'credit', ...creditFigures(figures.app) };
  }

  const consumer = (app.consumer as ConsumerFacts | undefined) ?? {};
  const firmware = app.firmware as Partial<FirmwareSection> | undefined;
  const events: MeterLogEntry[] = [
    ...((app.eventLog as Partial<EventLogSection> | undefined)?.entries ?? []).map((e) => ({ log: e.log, code: e.code, at: e.at })),
    ...Object.entries((app.eventLogs as Partial<EventLogsSection> | undefined)?.logs ?? {}).flatMap(([log, es]) => es.map((e) => ({ log, code: e.code, at: e.at }))),
  ].sort((a, b) => b.at.localeCompare(a.at)).slice(0, LAST_EVENTS);

  return {
    eui: device.eui,
    type: device.type,
    mirrorOf: mirrored ? mirrored.eui : null,
    fuel: gas ? 'gas' : 'electricity',
    now: now.toISOString(),
    registers,
    profile: { quantity: main, unit: gas ? 'dm3' : 'Wh', day: day.toISOString().slice(0, 10), slots: slots.map((r) => ({ start: r.start.toISOString(), value: r.value })) },
    supply,
    prepayment,
    tariff: tariffSummary(activeTariffOf(app)?.primary, now),
    message: consumer.message ?? null,
    supplier: consumer.supplier ?? null,
    firmwareVersion: firmware?.version ?? FACTORY_FIRMWARE_VERSION,
    events,
  };
}
