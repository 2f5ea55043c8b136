import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ReleasingMap } from '../src/dcc/releasing.ts';

// `node --import tsx bench/retired-tables.ts`: what a long-lived Map with entries coming and going (a few in
// flight at a time, as requests, posts and jobs are) makes the young-generation collector keep. Each way holds
// the same 8 values of ~600 octets at any time, 400,000 of them in all, in a process of its own run with
// --trace-gc-nvp; the figure is what its scavenges promoted, i.e. kept alive past two young collections
// although each value was let go a few steps after it came. bench/measurements.md has the figures.

const IN_FLIGHT = 8;
const VALUES = 400_000;
const WAYS = ['Map', 'ReleasingMap', 'array of 8 slots'] as const;
type Way = (typeof WAYS)[number];

function churn(way: Way): void {
  const map = new Map<number, object>();
  const releasing = new ReleasingMap<number, object>();
  const slots: (object | undefined)[] = new Array(IN_FLIGHT);
  const keep = {
    Map: { add: (i: number, v: object) => map.set(i, v), drop: (i: number) => map.delete(i) },
    ReleasingMap: { add: (i: number, v: object) => releasing.set(i, v), drop: (i: number) => releasing.delete(i) },
    'array of 8 slots': { add: (i: number, v: object) => (slots[i % IN_FLIGHT] = v), drop: (i: number) => (slots[i % IN_FLIGHT] = undefined) },
  }[way];
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
    process.stdout.write(`${way.padEnd(18)} promoted by scavenges: ${runs.join(' / ')} MB\n`);
  }
}
