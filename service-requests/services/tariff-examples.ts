/**
 * Example bodies of the tariff services (dcc-sim example, the console's request library) and what the console
 * shows of a tariff body: a simple day/night tariff on an ESME, a single-rate one on a GSME.
 */
import type { BodyField } from '../service.ts';
import type { ElecPricePrimary, ElecTariffElements, GasPrice, GasTariffElements, PricePrimary, PriceSecondary } from './tariff-bodies.ts';

const MIDNIGHT = { hour: 0, minute: 0, second: 0, hundredths: 0 };
const SEVEN = { hour: 7, minute: 0, second: 0, hundredths: 0 };
const UNLIMITED = 4294967295;

/** Night rate (TOU 1) from midnight, day rate (TOU 2) from 07:00, every day of the year. */
export function exampleElecTariff(): { tariff: ElecTariffElements; prices: ElecPricePrimary } {
  return {
    tariff: {
      kind: 'electricity',
      currency: 'GBP',
      switching: {
        dayProfiles: [{ dayName: 1, schedule: [{ start: MIDNIGHT, action: { tou: 1 } }, { start: SEVEN, action: { tou: 2 } }] }],
        weekProfiles: [{ weekName: 1, days: [1, 1, 1, 1, 1, 1, 1] }],
        seasons: [{ name: 'all', start: { year: 2015, month: 1, dayOfMonth: 1 }, weekName: 1 }],
      },
      specialDays: [],
      thresholds: Array.from({ length: 8 }, () => [UNLIMITED]),
    },
    prices: exampleElecPrices(),
  };
}

/** 25.00p/kWh day, 12.00p/kWh night, 50.00p a day standing charge (prices in 10^-5 GBP). */
export function exampleElecPrices(): ElecPricePrimary {
  return { kind: 'electricity', standingCharge: 5000, standingChargeScale: -4, priceScale: -5, tariff: 'tou', blockPrices: [], touPrices: [{ index: 1, value: 12000 }, { index: 2, value: 25000 }] };
}

export function exampleGasTariff(): { tariff: GasTariffElements; prices: GasPrice } {
  return {
    tariff: {
      kind: 'gas',
      switching: { dayProfiles: [{ dayName: 1, action: { tou: 1 } }], weekProfiles: [{ weekName: 1, days: [1, 1, 1, 1, 1, 1, 1] }], seasons: [{ start: { month: 1, dayOfMonth: 1 }, weekName: 1 }] },
      specialDays: [],
      // a mock element for TOU pricing: the XSD requires one
      thresholds: [{ index: 1, value: 1 }],
    },
    prices: exampleGasPrices(),
  };
}

export function exampleGasPrices(): GasPrice {
  return { kind: 'gas', currency: 'GBP', standingCharge: 27000, tariff: { kind: 'tou', prices: [{ index: 1, value: 6500 }] } };
}

export function exampleSecondaryPrices(): PriceSecondary {
  return { priceScale: -5, prices: [{ index: 1, value: 9000 }, { index: 2, value: 15000 }] };
}

/** ExecutionDateTime as the console shows it: now, a time, or a cancellation. */
export function describeExecution(d: Date | undefined): BodyField {
  return { label: 'ExecutionDateTime', value: d === undefined ? 'now' : d.getUTCFullYear() >= 3000 ? `${d.toISOString()} (cancels the one held)` : d.toISOString() };
}

export function describePrices(p: PricePrimary | PriceSecondary): BodyField[] {
  if (!('kind' in p)) return [{ label: 'Prices', value: p.prices.map((x) => `TOU${x.index} ${x.value}`).join(', ') + ` (×10^${p.priceScale})` }];
  if (p.kind === 'gas') {
    return [{ label: 'Standing charge', value: `${p.standingCharge} ${p.currency}` }, { label: `${p.tariff.kind === 'block' ? 'Block' : 'TOU'} prices`, value: p.tariff.prices.map((x) => `${x.index}: ${x.value}`).join(', ') }];
  }
  const blocks = p.blockPrices.map((b) => `set ${b.index}: ${b.prices.map((x) => `block ${x.index} ${x.value}`).join(' ')}`);
  return [
    { label: 'Standing charge', value: `${p.standingCharge} ×10^${p.standingChargeScale}` },
    { label: `${p.tariff} prices (×10^${p.priceScale})`, value: [...p.touPrices.map((x) => `TOU${x.index} ${x.value}`), ...blocks].join(', ') },
  ];
}

export function describeTariff(exec: Date | undefined, p: PricePrimary | PriceSecondary, t?: ElecTariffElements | GasTariffElements): BodyField[] {
  const out = [describeExecution(exec)];
  if (t) {
    out.push({ label: 'Switching', value: `${t.switching.dayProfiles.length} day profiles, ${t.switching.weekProfiles.length} week profiles, ${t.switching.seasons.length} seasons, ${t.specialDays.length} special days` });
  }
  return [...out, ...describePrices(p)];
}
