/**
 * The GBCS of prepayment (DUIS 2.x), shared by its service modules: the ESME's token gateway, credit and charge
 * objects (DLMS, catalogue.md §3.1) and the GSME's Prepayment cluster commands (ZCL, §3.2). Payloads are as the
 * RTDS vectors carry them, counters and times of issue aside.
 */
import { ZclCluster, dlms, encodeAccessRequest, encodeGbz, invokeIdFor, obis, zigbeeTime, type AccessSpec, type DlmsData, type GbzComponent } from '../../devices/index.ts';

export const TOKEN_GATEWAY = obis('0-0:19.40.0.255');
export const EMERGENCY_CREDIT = obis('0-0:19.10.1.255');
/** charges: time-based debt 1 and 2, payment-based debt */
export const TIME_DEBT_1 = obis('0-0:19.20.1.255');
export const TIME_DEBT_2 = obis('0-0:19.20.2.255');
export const PAYMENT_DEBT = obis('0-0:19.20.3.255');

/** A Prepayment-cluster command component (client to server). */
export function prepaymentCommand(commandId: number, payload: Buffer, sequence = 0): GbzComponent {
  return { control: 0, clusterId: ZclCluster.prepayment, frameControl: 0x01, sequence, commandId, payload };
}

/** CS01a: the token gateway's enter method with the UTRN's 20 digits. */
export function enterUtrn(counter: bigint, utrn: string): Buffer {
  return encodeAccessRequest({
    invokeId: invokeIdFor(counter),
    specs: [{ kind: 'action', classId: 115, obis: TOKEN_GATEWAY, id: 1 }],
    data: [dlms.octets(Buffer.from(utrn, 'latin1'))],
  });
}

/** CS01b: Consumer Top Up {originating device 0, UTRN as an octet string}. */
export function consumerTopUp(utrn: string): Buffer {
  const digits = Buffer.from(utrn, 'latin1');
  return encodeGbz({ components: [prepaymentCommand(0x04, Buffer.concat([Buffer.from([0x00, digits.length]), digits]))] });
}

/** ECS09: invoke the emergency credit (class 112 method 3). */
export function invokeEmergencyCredit(counter: bigint): Buffer {
  return encodeAccessRequest({ invokeId: invokeIdFor(counter), specs: [{ kind: 'action', classId: 112, obis: EMERGENCY_CREDIT, id: 3 }], data: [dlms.integer(0)] });
}

/** GCS06: Select Available Emergency Credit {issue time 0, originating device 0}. */
export function selectEmergencyCredit(): Buffer {
  return encodeGbz({ components: [prepaymentCommand(0x00, Buffer.alloc(5))] });
}

export type RecoveryPeriod = 'HOURLY' | 'DAILY';

export interface ElecRecovery { rate: number; priceScale: number; period: RecoveryPeriod }
export interface GasRecovery { rate: number; period: RecoveryPeriod }

export interface DebtUpdate {
  timeDebt1: number;
  timeDebt2: number;
  paymentDebt: number;
  /** the share of each payment recovered (0-10000) */
  recoveryPerPayment: number;
}

const PERIOD_SECONDS: Record<RecoveryPeriod, number> = { HOURLY: 3600, DAILY: 86400 };

/** A charge's passive unit charge: {scaling {commodity 0, price scale}, commodity reference none, [{index '', rate}]}. */
function unitCharge(r: ElecRecovery): DlmsData {
  return dlms.structure(
    dlms.structure(dlms.integer(0), dlms.integer(r.priceScale)),
    dlms.structure(dlms.longUnsigned(0), dlms.octets(Buffer.alloc(6)), dlms.integer(0)),
    dlms.array([dlms.structure(dlms.octets(Buffer.alloc(0)), dlms.long(r.rate))]),
  );
}

/**
 * ECS07: the two time-based debts' recovery rates and periods (activated at once), the payment-based debt's
 * recovery share, then each debt increased by its amount (method 4, update_total_amount_remaining).
 */
export function updateElecDebt(counter: bigint, d: DebtUpdate, r1: ElecRecovery, r2: ElecRecovery): Buffer {
  const specs: AccessSpec[] = [];
  const data: DlmsData[] = [];
  const add = (kind: 'set' | 'action', o: string, id: number, v: DlmsData) => {
    specs.push({ kind, classId: 113, obis: o, id });
    data.push(v);
  };
  add('set', TIME_DEBT_1, 6, unitCharge(r1));
  add('set', TIME_DEBT_2, 6, unitCharge(r2));
  add('set', PAYMENT_DEBT, 13, dlms.longUnsigned(d.recoveryPerPayment));
  add('set', TIME_DEBT_1, 8, dlms.dlu(PERIOD_SECONDS[r1.period]));
  add('set', TIME_DEBT_2, 8, dlms.dlu(PERIOD_SECONDS[r2.period]));
  add('action', TIME_DEBT_1, 2, dlms.integer(0));
  add('action', TIME_DEBT_2, 2, dlms.integer(0));
  add('action', PAYMENT_DEBT, 4, dlms.dl(d.paymentDebt));
  add('action', TIME_DEBT_1, 4, dlms.dl(d.timeDebt1));
  add('action', TIME_DEBT_2, 4, dlms.dl(d.timeDebt2));
  return encodeAccessRequest({ invokeId: invokeIdFor(counter), specs, data });
}

/**
 * Change Debt (Prepayment 0x02): issuer event id ‖ label (empty) ‖ amount ‖ recovery method ‖ amount type ‖
 * start time (now) ‖ collection time ‖ frequency ‖ recovery amount ‖ balance percentage.
 */
function changeDebt(sequence: number, issuerEvent: number, amount: number, method: number, amountType: number, frequency: number, recovery: number, percentage: number): GbzComponent {
  const p = Buffer.alloc(24);
  p.writeUInt32LE(issuerEvent, 0);
  p[4] = 0; // debt label: empty octet string
  p.writeInt32LE(amount, 5);
  p[9] = method;
  p[10] = amountType;
  // start time 0 (now), collection time 0
  p[17] = frequency;
  p.writeUInt32LE(recovery >>> 0, 18);
  p.writeUInt16LE(percentage, 22);
  return prepaymentCommand(0x02, p, sequence);
}

/** ZCL debt recovery frequency: 0 per hour, 1 per day. */
const FREQUENCY: Record<RecoveryPeriod, number> = { HOURLY: 0, DAILY: 1 };

/**
 * GCS04: three Change Debt commands, each an increment (amount types 1, 3, 5: debts 1, 2, 3 incremental): the two
 * time-based debts at their rates, the payment-based one at its share of each payment (percentage method).
 * The issuer event id is the time of issue, as RTDS.
 */
export function updateGasDebt(d: DebtUpdate, r1: GasRecovery, r2: GasRecovery, now: Date): Buffer {
  const event = zigbeeTime(now);
  return encodeGbz({
    components: [
      changeDebt(0, event, d.timeDebt1, 0, 1, FREQUENCY[r1.period], r1.rate, 0),
      changeDebt(1, event, d.timeDebt2, 0, 3, FREQUENCY[r2.period], r2.rate, 0),
      changeDebt(2, event, d.paymentDebt, 1, 5, FREQUENCY.DAILY, 0, d.recoveryPerPayment),
    ],
  });
}
