import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ReleasingMap } from '../src/dcc/releasing.ts';
import { Cancellation } from '../src/dcc/cancellation.ts';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DOMParser } from '@xmldom/xmldom';
import { parseXml } from '../service-requests/duis/safe-xml.ts';

// `node --import tsx bench/young-survivors.ts`: six ways a short-lived value was kept past young collections
// (promoted, then collected by a full one) although nothing held it any more, each beside what replaced it:
// - a long-lived Map with entries coming and going (a few in flight at a time, as requests, posts and jobs are);
// - an object literal with a getter, made once per value (a request's registration check, a device's keys);
// - node 20's AbortSignal, made once per value (a request's client-gone signal, a delivery attempt's);
// - Object.create of a young object (xmldom does it for each element that declares a namespace): it becomes a
//   prototype, with a hidden class in the old generation;
// - an object spread that then gains properties (`{ ...refs, responseCode }`, or a `{ ...init }` assigned to): on
//   node 20 the copy's hidden class is not in any transition tree, so each property added makes another, in the
//   old generation (a request's pipeline context and its DUIS response's fields were made so);
// - xmldom's parse of a document whose root declares namespace prefixes (the Object.create above, made by xmldom).
// Each way goes through 400,000 values of ~600 octets (20,000 parses for xmldom's), a few alive at any time, in a
// process of its own run with --trace-gc-nvp; the figure is what its scavenges promoted. bench/measurements.md has
// the figures.

const IN_FLIGHT = 8;
const VALUES = 400_000;

class Lazy {
  private cached: number | undefined;
  constructor(private readonly held: number[]) {}
  get length(): number {
    return (this.cached ??= this.held.length);
  }
}

/** A collection that lives long, as a server's does: its table is in the old generation before the churn. */
function inFlightThrough(keep: { add(i: number, v: object): unknown; drop(i: number): unknown }): (i: number) => number {
  const warm = Date.now() + 300;
  while (Date.now() < warm) keep.add(-1, new Array(256).fill(0));
  keep.drop(-1);
  return (i) => {
    keep.add(i, { i, payload: new Array(64).fill(i) });
    if (i >= IN_FLIGHT) keep.drop(i - IN_FLIGHT);
    return 0;
  };
}

/** Each way: what it does for value `i` (made once per process, after any set-up). */
const WAYS: Record<string, () => (i: number) => number> = {
  Map: () => {
    const map = new Map<number, object>();
    return inFlightThrough({ add: (i, v) => map.set(i, v), drop: (i) => map.delete(i) });
  },
  ReleasingMap: () => {
    const releasing = new ReleasingMap<number, object>();
    return inFlightThrough({ add: (i, v) => releasing.set(i, v), drop: (i) => releasing.delete(i) });
  },
  'array of 8 slots': () => {
    const slots: (object | undefined)[] = new Array(IN_FLIGHT);
    return inFlightThrough({ add: (i, v) => (slots[i % IN_FLIGHT] = v), drop: (i) => (slots[i % IN_FLIGHT] = undefined) });
  },
  'literal with a getter': () => (i) => {
    const held = new Array(64).fill(i);
    let cached: number | undefined;
    return { i, get length() { return (cached ??= held.length); } }.length;
  },
  'class with a getter': () => (i) => new Lazy(new Array(64).fill(i)).length,
  'an AbortSignal each': () => (i) => {
    const held = new Array(64).fill(i);
    const onAbort = () => held.length;
    const signal = new AbortController().signal;
    signal.addEventListener('abort', onAbort, { once: true });
    signal.removeEventListener('abort', onAbort);
    return signal.aborted ? 1 : 0;
  },
  'a Cancellation each': () => (i) => {
    const held = new Array(64).fill(i);
    const attempt = new Cancellation();
    attempt.onAbort(() => held.length)();
    return attempt.aborted ? 1 : 0;
  },
  'Object.create of a young object': () => (i) => {
    const child: object = Object.create({ held: new Array(64).fill(i) });
    return child ? 1 : 0;
  },
  'an object holding it': () => (i) => {
    const child: object = { parent: { held: new Array(64).fill(i) } };
    return child ? 1 : 0;
  },
  'a spread, then more properties': () => (i) => {
    const refs = { requestId: 'r', counter: i };
    const answer = { ...refs, responseCode: 'I0', content: new Array(64).fill(i) };
    return answer.content.length;
  },
  'a spread copy, then assigned to': () => (i) => {
    const init = { body: 'b', counter: i };
    const ctx: { body: string; counter: number; request?: number[] } = { ...init };
    ctx.request = new Array(64).fill(i);
    return ctx.request.length;
  },
  'the same written out': () => (i) => {
    const init = { body: 'b', counter: i };
    const ctx: { body: string; counter: number; request?: number[] } = { body: init.body, counter: init.counter };
    ctx.request = new Array(64).fill(i);
    return ctx.request.length;
  },
  // xmldom makes a namespace scope from the parent one with Object.create (a DUIS request's root declares its
  // prefixes); parseXml has it make flat scopes while it parses (service-requests/duis/safe-xml.ts)
  'xmldom parsing a 4.1.1 request': () => {
    const xml = aRequest();
    return (i) => new DOMParser().parseFromString(xml.replace('</sr:Request>', `<!--${i}--></sr:Request>`), 'text/xml').documentElement!.childNodes.length;
  },
  'parseXml, flat scopes': () => {
    const xml = aRequest();
    return (i) => parseXml(xml.replace('</sr:Request>', `<!--${i}--></sr:Request>`)).documentElement!.childNodes.length;
  },
  'properties, then a spread': () => (i) => {
    const refs = { requestId: 'r', counter: i };
    const answer = { responseCode: 'I0', content: new Array(64).fill(i), ...refs };
    return answer.content.length;
  },
};

/** An RTDS 4.1.1 request (a DUIS template), unsigned: the namespaces on its root are what matters. */
function aRequest(): string {
  const templates = createRequire(import.meta.url).resolve('@smartdcc/duis-templates/package.json').replace(/package\.json$/, 'templates/');
  return readFileSync(`${templates}ECS17b_4.1.1_REQUEST_DUIS.XML`, 'utf8');
}

/** Parsing is slower than the other ways' steps: fewer values, the same kind of figure. */
const VALUES_OF: Record<string, number> = { 'xmldom parsing a 4.1.1 request': 20_000, 'parseXml, flat scopes': 20_000 };

/** Runs a way's step once per value between the marks the parent cuts the trace by; the sum keeps the work from being left out. */
function churn(way: string): void {
  const step = WAYS[way];
  if (!step) throw new Error(`--way=${way}: one of ${Object.keys(WAYS).join(', ')}`);
  const each = step();
  let sink = 0;
  process.stdout.write('CHURN-START\n');
  const values = VALUES_OF[way] ?? VALUES;
  for (let i = 0; i < values; i++) sink += each(i);
  process.stdout.write('CHURN-END\n');
  if (sink < 0) throw new Error('unreachable');
}

const wayArg = process.argv.find((a) => a.startsWith('--way='))?.slice(6);
if (wayArg) churn(wayArg);
else {
  const self = fileURLToPath(import.meta.url);
  for (const way of Object.keys(WAYS)) {
    const runs: string[] = [];
    for (let run = 0; run < 3; run++) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--trace-gc-nvp', self, `--way=${way}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const churned = out.slice(out.indexOf('CHURN-START'), out.indexOf('CHURN-END'));
      let promoted = 0;
      for (const m of churned.matchAll(/gc=s .*?\bpromoted=(\d+)/g)) promoted += Number(m[1]);
      runs.push((promoted / 1048576).toFixed(1));
    }
    process.stdout.write(`${way.padEnd(32)} promoted by scavenges: ${runs.join(' / ')} MB for ${(VALUES_OF[way] ?? VALUES).toLocaleString('en-GB')} values\n`);
  }
}
