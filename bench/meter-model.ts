import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import {
  balanceCrossing, dailyReadLog, instantaneous, maximumDemand, meterModel, profileRows, registerAt, tariffRegisters,
  type MeterModel, type Quantity, type Tariff,
} from '../devices/index.ts';

// `node --import tsx bench/meter-model.ts`: the cost of reading the meter model (devices/meter/). The case that
// matters is a register read of a meter nobody has commanded, long after its epoch: nothing is stored, so the read
// integrates from the epoch (one O(1) daily total per day). Figures go to bench/meter-model.md.

const DAY = 86_400_000;
const EPOCH = new Date('2021-01-01T00:00:00Z');
const FIVE_YEARS_ON = EPOCH.getTime() + Math.round(5 * 365.2425 * DAY) + 12 * 3_600_000 + 345_678;
const euis = Array.from({ length: 2000 }, (_, i) => (0x90b3d51f30000000n + BigInt(i) * 7919n).toString(16).toUpperCase().padStart(16, '0'));
const lines: string[] = [];
const say = (s: string) => {
  lines.push(s);
  process.stdout.write(`${s}\n`);
};

function stats(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const f = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
  return `mean ${f(mean)}, p50 ${f(at(0.5))}, p99 ${f(at(0.99))}, max ${f(s.at(-1)!)}`;
}

/** Times `f` once per meter (each a different EUI, so no two calls repeat a computation), after a warm-up. */
function time(name: string, f: (m: MeterModel, i: number) => unknown, meters: MeterModel[], warm = 200): void {
  for (let i = 0; i < warm; i++) f(meters[i % meters.length]!, i);
  const samples = meters.map((m, i) => {
    const t = performance.now();
    f(m, i);
    return performance.now() - t;
  });
  say(`| ${name} | ${meters.length} | ${stats(samples)} |`);
}

const electricity = euis.map((eui) => meterModel({ eui, fuel: 'electricity', epoch: EPOCH }));
const gas = euis.map((eui) => meterModel({ eui, fuel: 'gas', epoch: EPOCH }));
const at = (i: number) => new Date(FIVE_YEARS_ON + i * 61_000);

// A cold read first: the first call of the process (module already loaded, nothing compiled yet).
const cold = performance.now();
registerAt(meterModel({ eui: 'FFFFFFFFFFFFFFFF', fuel: 'electricity', epoch: EPOCH }), 'activeImport', at(0));
const coldMs = performance.now() - cold;

const tariff: Tariff = {
  switching: {
    weekday: [{ start: '00:00', register: 1 }, { start: '07:00', register: 2 }, { start: '16:00', register: 3 }, { start: '19:00', register: 2 }, { start: '23:00', register: 1 }],
    weekend: [{ start: '00:00', register: 1 }, { start: '08:00', register: 2 }, { start: '23:00', register: 1 }],
  },
  activeFrom: new Date(FIVE_YEARS_ON - 365 * DAY),
  blockThresholds: [[2000_000], [1000_000, 2000_000, 3000_000], [500_000]],
};

say(`# Meter model read costs`);
say('');
say(`\`node --import tsx bench/meter-model.ts\` on ${cpus()[0]?.model ?? 'an unknown CPU'} (${cpus().length} CPUs), node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`);
say(`Each row calls the model once for each of ${euis.length} never-commanded meters (different EUIs, epoch ${EPOCH.toISOString()}, no`);
say('supply-off intervals), timed one call at a time after a warm-up of 200 calls. "5 years on" is 1826 days and a half after the epoch.');
say('');
say('| Read | Calls | Time per call |');
say('|---|---|---|');
const q = (name: Quantity) => (m: MeterModel, i: number) => registerAt(m, name, at(i));
const after = (days: number) => (m: MeterModel, i: number) => registerAt(m, 'activeImport', new Date(EPOCH.getTime() + days * DAY + 12 * 3_600_000 + i * 61_000));
time('registerAt activeImport, 1 day on', after(1), electricity);
time('registerAt activeImport, 1 year on', after(365), electricity);
time('registerAt activeImport, 5 years on', q('activeImport'), electricity);
time('registerAt activeExport, 5 years on', q('activeExport'), electricity);
time('registerAt reactiveImport, 5 years on', q('reactiveImport'), electricity);
time('registerAt gasVolume, 5 years on', q('gasVolume'), gas);
time('the four electricity registers (ECS17a/b), 5 years on', (m, i) => ['activeImport', 'activeExport', 'reactiveImport', 'reactiveExport'].map((n) => registerAt(m, n as Quantity, at(i))), electricity);
time('instantaneous (ECS17c), 5 years on', (m, i) => instantaneous(m, at(i)), electricity);
time('profileRows, one day of half hours', (m, i) => profileRows(m, 'activeImport', new Date(FIVE_YEARS_ON - DAY - (i % 300) * DAY), new Date(FIVE_YEARS_ON - (i % 300) * DAY)), electricity);
time('dailyReadLog, 31 midnights, 5 years on', (m, i) => dailyReadLog(m, new Date(FIVE_YEARS_ON - 31 * DAY), at(i)), electricity);
time('maximumDemand over 31 days', (m) => maximumDemand(m, 'activeImport', new Date(FIVE_YEARS_ON - 31 * DAY), new Date(FIVE_YEARS_ON)), electricity.slice(0, 500), 50);
time('tariffRegisters, 3 TOU rates with blocks, 1 year of tariff', (m, i) => tariffRegisters(m, tariff, at(i)), electricity.slice(0, 200), 20);
time('balanceCrossing, flat price, crossing within 60 days', (m, i) => balanceCrossing(m, { from: at(i), balance: 3000, standingChargePerDay: 50, price: 28 }, 0, new Date(FIVE_YEARS_ON + 60 * DAY)), electricity.slice(0, 500), 50);
say('');
say(`First call in the process (cold: nothing compiled by the JIT yet, and the regional weather of those 1826 days not yet cached): ${coldMs.toFixed(2)} ms.`);
say('');
say('A register read costs one day\'s half hours for the day it falls in (and for the epoch\'s day when the epoch is not a');
say('midnight) plus one O(1) daily total for each day between: the rows 1 day, 1 year and 5 years on show the fixed part');
say('and the per-day part. Export is cheap on the four fifths of premises without panels. The machine is shared');
say(`(load average ${loadavg().map((l) => l.toFixed(2)).join(', ')} at the end of the run): the max column is mostly other work.`);
writeFileSync(new URL('./meter-model.md', import.meta.url), `${lines.join('\n')}\n`);
