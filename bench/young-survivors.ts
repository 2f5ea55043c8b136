import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ReleasingMap } from '../src/dcc/releasing.ts';
import { Cancellation } from '../src/dcc/cancellation.ts';

// `node --import tsx bench/young-survivors.ts`: two ways a short-lived value was kept past young collections
// (promoted, then collected by a full one) although nothing held it any more, each beside what replaced it:
// - a long-lived Map with entries coming and going (a few in flight at a time, as requests, posts and jobs are);
// - an object literal with a getter, made once per value (a request's registration check, a device's keys);
// - node 20's AbortSignal, made once per value (a request's client-gone signal, a delivery attempt's);
// - Object.create of a young object (xmldom does it for each element that declares a namespace): it becomes a
//   prototype, with a hidden class in the old generation.
// Each way goes through 400,000 values of ~600 octets, a few alive at any time, in a process of its own run with
// --trace-gc-nvp; the figure is what its scavenges promoted. bench/measurements.md has the figures.

const IN_FLIGHT = 8;
const VALUES = 400_000;
const WAYS = ['Map', 'ReleasingMap', 'array of 8 slots', 'literal with a getter', 'class with a getter', 'an AbortSignal each', 'a Cancellation each', 'Object.create of a young object', 'an object holding it'] as const;
type Way = (typeof WAYS)[number];

class Lazy {
  private cached: number | undefined;
  constructor(private readonly held: number[]) {}
  get length(): number {
    return (this.cached ??= this.held.length);
  }
}

function getters(way: Way): void {
  let sink = 0;
  process.stdout.write('CHURN-START\n');
  for (let i = 0; i < VALUES; i++) {
    const held = new Array(64).fill(i);
    let cached: number | undefined;
    const o = way === 'literal with a getter' ? { i, get length() { return (cached ??= held.length); } } : new Lazy(held);
    sink += o.length;
  }
  process.stdout.write('CHURN-END\n');
  if (sink < 0) throw new Error('unreachable');
}

function cancellations(way: Way): void {
  let sink = 0;
  process.stdout.write('CHURN-START\n');
  for (let i = 0; i < VALUES; i++) {
    const held = new Array(64).fill(i);
    const onAbort = () => (sink += held.length);
    if (way === 'an AbortSignal each') {
      const signal = new AbortController().signal;
      signal.addEventListener('abort', onAbort, { once: true });
      signal.removeEventListener('abort', onAbort);
      sink += signal.aborted ? 1 : 0;
    } else {
      const attempt = new Cancellation();
      attempt.onAbort(onAbort)();
      sink += attempt.aborted ? 1 : 0;
    }
  }
  process.stdout.write('CHURN-END\n');
  if (sink < 0) throw new Error('unreachable');
}

function prototypes(way: Way): void {
  let sink = 0;
  process.stdout.write('CHURN-START\n');
  for (let i = 0; i < VALUES; i++) {
    const parent = { held: new Array(64).fill(i) };
    const child: object = way === 'Object.create of a young object' ? Object.create(parent) : { parent };
    sink += child ? 1 : 0;
  }
  process.stdout.write('CHURN-END\n');
  if (sink < 0) throw new Error('unreachable');
}

function churn(way: Way): void {
  if (way === 'Object.create of a young object' || way === 'an object holding it') return prototypes(way);
  if (way === 'an AbortSignal each' || way === 'a Cancellation each') return cancellations(way);
  if (way === 'literal with a getter' || way === 'class with a getter') return getters(way);
  const map = new Map<number, object>();
  const releasing = new ReleasingMap<number, object>();
  const slots: (object | undefined)[] = new Array(IN_FLIGHT);
  const keep = {
    Map: { add: (i: number, v: object) => map.set(i, v), drop: (i: number) => map.delete(i) },
    ReleasingMap: { add: (i: number, v: object) => releasing.set(i, v), drop: (i: number) => releasing.delete(i) },
    'array of 8 slots': { add: (i: number, v: object) => (slots[i % IN_FLIGHT] = v), drop: (i: number) => (slots[i % IN_FLIGHT] = undefined) },
  }[way as 'Map' | 'ReleasingMap' | 'array of 8 slots'];
  // the collection lives long, as a server's does: its table is in the old generation before the churn
  const warm = Date.now() + 300;
  while (Date.now() < warm) keep.add(-1, new Array(256).fill(0));
  keep.drop(-1);
  process.stdout.write('CHURN-START\n');
  for (let i = 0; i < VALUES; i++) {
    keep.add(i, { i, payload: new Array(64).fill(i) });
    if (i >= IN_FLIGHT) keep.drop(i - IN_FLIGHT);
  }
  process.stdout.write('CHURN-END\n');
}

const wayArg = process.argv.find((a) => a.startsWith('--way='))?.slice(6) as Way | undefined;
if (wayArg) churn(wayArg);
else {
  const self = fileURLToPath(import.meta.url);
  for (const way of WAYS) {
    const runs: string[] = [];
    for (let run = 0; run < 3; run++) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--trace-gc-nvp', self, `--way=${way}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const churned = out.slice(out.indexOf('CHURN-START'), out.indexOf('CHURN-END'));
      let promoted = 0;
      for (const m of churned.matchAll(/gc=s .*?\bpromoted=(\d+)/g)) promoted += Number(m[1]);
      runs.push((promoted / 1048576).toFixed(1));
    }
    process.stdout.write(`${way.padEnd(32)} promoted by scavenges: ${runs.join(' / ')} MB\n`);
  }
}
