import { readFileSync } from 'node:fs';

// `node --import tsx bench/holds.ts PROFILE.cpuprofile [--from=S] [--to=S | --window=A-B] [--at-least=MS] [--depth=N]`: what held a served
// simulator's main thread for long stretches, from its `--cpu-prof` profile (BENCH_SERVE_NODE_ARGS="--cpu-prof
// --cpu-prof-dir=DIR" npm run bench ...). A latency tail is requests waiting behind such holds; /api/metrics counts
// them (mainThread.stalls), this says what they were made of. A hold is a run of samples that are not (idle);
// --from/--to cut the run to seconds since the profile started (e.g. the half-saturation phase). Each hold's time is
// split by the outermost frame of dcc-sim's own code below the HTTP layer in each sample's stack, so a hold of
// several requests back to back reads as the pipeline's, and one of the garbage collector as "(garbage collector)".
// --depth=N labels by the N outermost frames (a chain), to look inside one.

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] }

const file = process.argv[2];
if (!file) throw new Error('usage: bench/holds.ts PROFILE.cpuprofile [--from=S] [--to=S] [--at-least=MS]');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
// --window=A-B: the bench's half phase as it logs it, in the monotonic clock's µs (the profile's own clock)
const profileStart = (JSON.parse(readFileSync(file, 'utf8')) as { startTime: number }).startTime;
const window = arg('window')?.split('-').map(Number);
const from = window ? window[0]! - profileStart : Number(arg('from') ?? 0) * 1e6;
const to = window ? window[1]! - profileStart : Number(arg('to') ?? Infinity) * 1e6;
const atLeastMs = Number(arg('at-least') ?? 15);

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const own = /\/(src|db|devices|service-requests|pki)\//;
const where = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|db|devices|service-requests|pki|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;

// the HTTP layer's frames say only that a request was being served: the frame under them says what it did
const shell = /\/src\/(api\/|server\.ts|cli\/)/;
const depth = Number(arg('depth') ?? 1);

/**
 * What a sample was doing: the outermost --depth frames of dcc-sim's own code on its stack below the HTTP layer
 * (else the HTTP layer's own frame, else the innermost frame: the collector, node's internals).
 */
const labelOf = new Map<number, string>();
function label(id: number): string {
  let l = labelOf.get(id);
  if (l !== undefined) return l;
  const stack: CallFrame[] = [];
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) stack.unshift(byId.get(n)!.callFrame);
  const inner = stack.filter((f) => own.test(f.url) && !shell.test(f.url));
  const outer = stack.filter((f) => own.test(f.url));
  const leaf = stack.at(-1)!;
  l = inner.length ? inner.slice(0, depth).map(where).join(' > ') : outer.length ? where(outer[0]!) : leaf.url ? where(leaf) : leaf.functionName;
  labelOf.set(id, l);
  return l;
}

interface Hold { startUs: number; us: number; parts: Map<string, number> }
const holds: Hold[] = [];
let current: Hold | undefined;
let t = profile.startTime;
let busyUs = 0;
let spanUs = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  const since = t - profile.startTime;
  if (since < from || since > to) continue;
  // a sample's time is the gap to the next one (the profiler's interval, longer when the thread was descheduled)
  const us = profile.timeDeltas[i + 1] ?? 0;
  spanUs += us;
  const node = byId.get(profile.samples[i]!)!;
  if (node.callFrame.functionName === '(idle)') {
    if (current && current.us >= atLeastMs * 1000) holds.push(current);
    current = undefined;
    continue;
  }
  busyUs += us;
  current ??= { startUs: since, us: 0, parts: new Map() };
  current.us += us;
  const l = label(node.id);
  current.parts.set(l, (current.parts.get(l) ?? 0) + us);
}
if (current && current.us >= atLeastMs * 1000) holds.push(current);

const ms = (us: number) => (us / 1000).toFixed(1);
process.stdout.write(`${ms(spanUs)} ms profiled, ${ms(busyUs)} ms busy; ${holds.length} holds of ${atLeastMs} ms or more, ${ms(holds.reduce((a, h) => a + h.us, 0))} ms in all\n\n`);
// What the holds were made of, over all of them
const total = new Map<string, number>();
for (const h of holds) for (const [l, us] of h.parts) total.set(l, (total.get(l) ?? 0) + us);
process.stdout.write('in all holds:\n');
for (const [l, us] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 25)) process.stdout.write(`  ${ms(us).padStart(8)} ms  ${l}\n`);
process.stdout.write('\nthe longest:\n');
for (const h of [...holds].sort((a, b) => b.us - a.us).slice(0, 12)) {
  process.stdout.write(`  at ${(h.startUs / 1e6).toFixed(3)} s, ${ms(h.us)} ms:\n`);
  for (const [l, us] of [...h.parts].sort((a, b) => b[1] - a[1]).slice(0, 6)) process.stdout.write(`    ${ms(us).padStart(7)} ms  ${l}\n`);
}
