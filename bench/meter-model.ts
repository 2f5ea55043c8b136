import { readFileSync, writeFileSync } from 'node:fs';
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
const eui = (i: number) => (0x90b3d51f30000000n + BigInt(i) * 7919n).toString(16).toUpperCase().padStart(16, '0');
const euis = Array.from({ length: 2000 }, (_, i) => eui(i));
// Each row (and each warm-up) reads meters no row read before: the model keeps the sums of whole days of the
// meters it read (devices/meter/model.ts), and a meter read again is cheaper.
let nextEui = 1_000_000;
const fresh = (fuel: 'electricity' | 'gas', epoch: Date, n = euis.length) =>
  Array.from({ length: n }, () => meterModel({ eui: eui(nextEui++), fuel, epoch }));
const lines: string[] = [];
const loadBefore = loadavg().map((l) => l.toFixed(2)).join(', ');
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

/** Times `f` once per meter (each a different EUI, so no two calls repeat a computation), after a warm-up on other meters. */
function time(name: string, f: (m: MeterModel, i: number) => unknown, meters: MeterModel[], warm = 200): void {
  const others = fresh(meters[0]!.fuel, new Date(meters[0]!.epoch), warm);
  for (let i = 0; i < warm; i++) f(others[i]!, i);
  const samples = meters.map((m, i) => {
    const t = performance.now();
    f(m, i);
    return performance.now() - t;
  });
  say(`| ${name} | ${meters.length} | ${stats(samples)} |`);
}

const electricity = () => fresh('electricity', EPOCH);
const gas = () => fresh('gas', EPOCH);
// The ESME reads family's epoch (esme-reads.ts ESME_EPOCH) and a read at the bench's date: what a 4.1.1 of a
// never-commanded ESME integrates today.
const ESME_EPOCH = new Date('2014-01-01T00:00:00Z');
const TODAY = Date.UTC(2026, 11, 2, 10, 30);
const esmes = fresh('electricity', ESME_EPOCH);
const today = (i: number) => new Date(TODAY + i * 61_000);
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
say(`Each row calls the model once for each of ${euis.length} never-commanded meters (different EUIs, no row's meters read by another row`);
say(`but "the same meter read again"; epoch ${EPOCH.toISOString()} unless given, no supply-off intervals), timed one call at a time after a`);
say('warm-up of 200 calls on other meters. "5 years on" is 1826 days and a half after the epoch.');
say('');
say('| Read | Calls | Time per call |');
say('|---|---|---|');
const q = (name: Quantity) => (m: MeterModel, i: number) => registerAt(m, name, at(i));
const after = (days: number) => (m: MeterModel, i: number) => registerAt(m, 'activeImport', new Date(EPOCH.getTime() + days * DAY + 12 * 3_600_000 + i * 61_000));
time('registerAt activeImport, 1 day on', after(1), electricity());
time('registerAt activeImport, 1 year on', after(365), electricity());
time('registerAt activeImport, 5 years on', q('activeImport'), electricity());
time('registerAt activeExport, 5 years on', q('activeExport'), electricity());
time('registerAt activeImport, epoch 2014-01-01, read on 2026-12-02 (the ESME reads)', (m, i) => registerAt(m, 'activeImport', today(i)), esmes);
// right after: what a meter keeps (devices/meter/model.ts) holds the last few thousand meters read
time('the same meter read again a day later, epoch 2014-01-01', (m, i) => registerAt(m, 'activeImport', new Date(today(i).getTime() + DAY)), esmes);
time('4.1.1 (ECS17b) registers: activeImport ×3, reactiveImport, epoch 2014-01-01, read on 2026-12-02', (m, i) => {
  const at = today(i);
  return [registerAt(m, 'activeImport', at), registerAt(m, 'reactiveImport', at), registerAt(m, 'activeImport', at), registerAt(m, 'activeImport', at)];
}, fresh('electricity', ESME_EPOCH));
time('31 midnights\' registerAt, epoch 2014-01-01, to 2026-12-02 (a row each of the ESME daily read log, 4.8)', (m) => {
  const midnight = Math.floor(TODAY / DAY) * DAY;
  return Array.from({ length: 31 }, (_, d) => registerAt(m, 'activeImport', new Date(midnight - (30 - d) * DAY)));
}, fresh('electricity', ESME_EPOCH, 500), 50);
time('registerAt reactiveImport, 5 years on', q('reactiveImport'), electricity());
time('registerAt gasVolume, 5 years on', q('gasVolume'), gas());
time('the four electricity registers (ECS17a/b), 5 years on', (m, i) => ['activeImport', 'activeExport', 'reactiveImport', 'reactiveExport'].map((n) => registerAt(m, n as Quantity, at(i))), electricity());
time('instantaneous (ECS17c), 5 years on', (m, i) => instantaneous(m, at(i)), electricity());
time('profileRows, one day of half hours', (m, i) => profileRows(m, 'activeImport', new Date(FIVE_YEARS_ON - DAY - (i % 300) * DAY), new Date(FIVE_YEARS_ON - (i % 300) * DAY)), electricity());
time('dailyReadLog, 31 midnights, 5 years on', (m, i) => dailyReadLog(m, new Date(FIVE_YEARS_ON - 31 * DAY), at(i)), electricity());
time('maximumDemand over 31 days', (m) => maximumDemand(m, 'activeImport', new Date(FIVE_YEARS_ON - 31 * DAY), new Date(FIVE_YEARS_ON)), electricity().slice(0, 500), 50);
time('tariffRegisters, 3 TOU rates with blocks, 1 year of tariff', (m, i) => tariffRegisters(m, tariff, at(i)), electricity().slice(0, 200), 20);
time('balanceCrossing, flat price, crossing within 60 days', (m, i) => balanceCrossing(m, { from: at(i), balance: 3000, standingChargePerDay: 50, price: 28 }, 0, new Date(FIVE_YEARS_ON + 60 * DAY)), electricity().slice(0, 500), 50);
say('');
say(`First call in the process (cold: nothing compiled by the JIT yet, and the regional weather of those 1826 days not yet cached): ${coldMs.toFixed(2)} ms.`);
say('');
say('A register read costs one day\'s half hours for the day it falls in (and for the epoch\'s day when the epoch is not a');
say('midnight) plus one O(1) daily total for each day between: the rows 1 day, 1 year and 5 years on show the fixed part');
say('and the per-day part. The days between are summed in 64-day blocks kept per premises and quantity (active and');
say('reactive of a direction together, devices/meter/model.ts wholeDays): the first read of a meter pays every day since');
say('its epoch once for both, a read of the same meter again pays at most two part-blocks of days and a lookup per block.');
say('Every row reads meters not read before, except "the same meter read again". Export is cheap on the four fifths of');
say(`premises without panels. The machine is shared (load average ${loadBefore} at the start of the run,`);
say(`${loadavg().map((l) => l.toFixed(2)).join(', ')} at the end): the max column is mostly other work.`);
// The before/after section (between its markers, written by hand from runs of this script and bench/reads.ts on
// two commits) is kept.
const file = new URL('./meter-model.md', import.meta.url);
let previous = '';
try {
  previous = readFileSync(file, 'utf8');
} catch {
  /* first run */
}
const kept = /<!-- before-after:start[\s\S]*?<!-- before-after:end -->/.exec(previous)?.[0];
writeFileSync(file, `${lines.join('\n')}\n${kept === undefined ? '' : `\n${kept}\n`}`);
