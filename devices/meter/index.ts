/**
 * The meter model: a pure, deterministic consumption model of the premises behind each meter. Registers,
 * profiles, logs, maximum demand, instantaneous values and prepayment balances are computed on demand from the
 * EUI, the meter's epoch, its supply-off intervals and the time the caller passes; nothing is stored or read from
 * a clock. See devices/README.md, "The meter model".
 */
export { meterModel } from './model.ts';
export type { MeterModel, MeterSpec, SupplyOff } from './model.ts';
export { premisesOf, HOUSEHOLD_KINDS, SOLAR_SHARE } from './premises.ts';
export type { Fuel, HouseholdKind, Premises } from './premises.ts';
export { ELECTRICITY_QUANTITIES } from './load.ts';
export type { Quantity } from './load.ts';
export {
  registerAt, halfHour, profileRows, maximumDemand, dailyConsumptionLog, dailyReadLog, tariffRegisters, instantaneous,
  daylight, gasEnergyKWh, GAS_VOLUME_CORRECTION, DEFAULT_CALORIFIC_VALUE,
} from './reads.ts';
export type { IntervalAmount, DailyRead, MaximumDemand, InstantaneousValues } from './reads.ts';
export { touRegisterAt, TOU_REGISTERS, BLOCK_RATES, BLOCKS } from './tariff.ts';
export type { TouBand, SwitchingTable, Tariff, TariffRegisters } from './tariff.ts';
export { balanceAt, balancesAt, balanceCrossing } from './prepayment.ts';
export type { PrepaymentTerms, TouPrices, RegisterPrices, BlockPrices } from './prepayment.ts';
