/**
 * 2.3 Update Debt: the supplier adds to a prepayment meter's two time-based debts and its payment-based debt and
 * sets how they are recovered (ECS07, GCS04). Critical. Electricity rates carry a price scale; gas rates do not.
 */
import { bodyKit } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { updateElecDebt, updateGasDebt, type DebtUpdate, type ElecRecovery, type GasRecovery, type RecoveryPeriod } from './prepayment-commands.ts';

const { Sequence, checkAttributes, readInteger, readTokenEnum, el, textEl } = bodyKit;

const INT = [-2147483648n, 2147483647n] as const;
const PERIODS: readonly RecoveryPeriod[] = ['HOURLY', 'DAILY'];

export type UpdateDebtBody = { kind: 'UpdateDebt' } & DebtUpdate & (
  | { fuel: 'electricity'; recovery1: ElecRecovery; recovery2: ElecRecovery }
  | { fuel: 'gas'; recovery1: GasRecovery; recovery2: GasRecovery }
);

function int(e: Parameters<typeof readInteger>[0], path: string, min: bigint, max: bigint, what: string): number {
  return Number(readInteger(e, path, min, max, what));
}

function readRecovery(e: Parameters<typeof readInteger>[0], path: string, fuel: 'electricity' | 'gas'): ElecRecovery | GasRecovery {
  checkAttributes(e, path);
  const s = new Sequence(e, path);
  const rate = fuel === 'electricity'
    ? int(s.required('DebtRecoveryRate'), `${path}/sr:DebtRecoveryRate`, -32768n, 32767n, 'xs:short')
    : int(s.required('DebtRecoveryRate'), `${path}/sr:DebtRecoveryRate`, INT[0], INT[1], 'xs:int');
  const priceScale = fuel === 'electricity' ? int(s.required('DebtRecoveryRatePriceScale'), `${path}/sr:DebtRecoveryRatePriceScale`, -128n, 127n, 'PriceScale') : undefined;
  const period = readTokenEnum(s.required('DebtRecoveryRatePeriod'), `${path}/sr:DebtRecoveryRatePeriod`, PERIODS);
  s.end();
  return priceScale === undefined ? { rate, period } : { rate, priceScale, period };
}

function writeRecovery(r: ElecRecovery | GasRecovery): string {
  return textEl('DebtRecoveryRate', String(r.rate)) + ('priceScale' in r ? textEl('DebtRecoveryRatePriceScale', String(r.priceScale)) : '') + textEl('DebtRecoveryRatePeriod', r.period);
}

export const [updateDebt, updateDebtSigned] = criticalDeviceCommandService<UpdateDebtBody>({
  variant: '2.3',
  displayName: 'Update Debt',
  body: {
    element: 'UpdateDebt',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const timeDebt1 = int(s.required('TimeDebtRegister1'), `${path}/sr:TimeDebtRegister1`, INT[0], INT[1], 'xs:int');
      const timeDebt2 = int(s.required('TimeDebtRegister2'), `${path}/sr:TimeDebtRegister2`, INT[0], INT[1], 'xs:int');
      const paymentDebt = int(s.required('PaymentDebtRegister'), `${path}/sr:PaymentDebtRegister`, INT[0], INT[1], 'xs:int');
      const recoveryPerPayment = int(s.required('DebtRecoveryPerPayment'), `${path}/sr:DebtRecoveryPerPayment`, 0n, 10000n, '0..10000');
      const d = { kind: 'UpdateDebt' as const, timeDebt1, timeDebt2, paymentDebt, recoveryPerPayment };
      const e1 = s.optional('ElecDebtRecovery1');
      if (e1) {
        const recovery1 = readRecovery(e1, `${path}/sr:ElecDebtRecovery1`, 'electricity') as ElecRecovery;
        const recovery2 = readRecovery(s.required('ElecDebtRecovery2'), `${path}/sr:ElecDebtRecovery2`, 'electricity') as ElecRecovery;
        s.end();
        return { ...d, fuel: 'electricity', recovery1, recovery2 };
      }
      const recovery1 = readRecovery(s.required('GasDebtRecovery1'), `${path}/sr:GasDebtRecovery1`, 'gas');
      const recovery2 = readRecovery(s.required('GasDebtRecovery2'), `${path}/sr:GasDebtRecovery2`, 'gas');
      s.end();
      return { ...d, fuel: 'gas', recovery1, recovery2 };
    },
    write(b) {
      const prefix = b.fuel === 'electricity' ? 'Elec' : 'Gas';
      return textEl('TimeDebtRegister1', String(b.timeDebt1)) + textEl('TimeDebtRegister2', String(b.timeDebt2))
        + textEl('PaymentDebtRegister', String(b.paymentDebt)) + textEl('DebtRecoveryPerPayment', String(b.recoveryPerPayment))
        + el(`${prefix}DebtRecovery1`, writeRecovery(b.recovery1)) + el(`${prefix}DebtRecovery2`, writeRecovery(b.recovery2));
    },
  },
  sender: 'supplier',
  command(b, type, { counter, now }) {
    if (type === 'ESME') {
      if (b.fuel !== 'electricity') return 'an ESME takes electricity debt recovery (ElecDebtRecovery1/2), not gas';
      return { useCase: 'ECS07', messageCode: 0x001e, payload: updateElecDebt(counter, b, b.recovery1, b.recovery2) };
    }
    if (type === 'GSME') {
      if (b.fuel !== 'gas') return 'a GSME takes gas debt recovery (GasDebtRecovery1/2), not electricity';
      return { useCase: 'GCS04', messageCode: 0x006e, payload: updateGasDebt(b, b.recovery1, b.recovery2, now) };
    }
    return `debt is held by an ESME or a GSME, not a ${type}`;
  },
  example: {
    name: 'update-debt',
    body: (ctx) => ctx.device?.type === 'GSME'
      ? { kind: 'UpdateDebt', timeDebt1: 1000, timeDebt2: 500, paymentDebt: 2000, recoveryPerPayment: 1000, fuel: 'gas', recovery1: { rate: 50, period: 'DAILY' }, recovery2: { rate: 20, period: 'DAILY' } }
      : { kind: 'UpdateDebt', timeDebt1: 1000, timeDebt2: 500, paymentDebt: 2000, recoveryPerPayment: 1000, fuel: 'electricity', recovery1: { rate: 30, priceScale: -1, period: 'DAILY' }, recovery2: { rate: 15, priceScale: -1, period: 'DAILY' } },
  },
  describe: (b) => [
    { label: 'Time debt 1 (+)', value: String(b.timeDebt1) },
    { label: 'Time debt 2 (+)', value: String(b.timeDebt2) },
    { label: 'Payment debt (+)', value: String(b.paymentDebt) },
    { label: 'Recovery per payment', value: String(b.recoveryPerPayment) },
    { label: 'Recovery 1', value: `${b.recovery1.rate} ${b.recovery1.period}` },
    { label: 'Recovery 2', value: `${b.recovery2.rate} ${b.recovery2.period}` },
  ],
});
