import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { World } from '../src/world/world.ts';
import { exampleRequest } from '../src/world/examples.ts';
import { xmlSignerOf } from '../src/client.ts';
import { signDuis } from '../service-requests/index.ts';
import { Dcc } from '../src/dcc/dcc.ts';

// `node --import tsx bench/answers-digest.ts --db=WORLD [--variants=4.1.1,4.4.3] [--per=8]`: the same requests (fixed
// counters, the clock stopped) on a copy of WORLD, and one SHA-256 of everything they wrote: the synchronous answers,
// the outbox's bodies, the request log's rows and the devices' security rows, with the DCC's signature values (ECDSA
// with a random nonce) and the steps' timings taken out. Run on two commits with the same WORLD: a change that keeps
// every answer byte for byte gives the same digest.

const arg = (name: string, dflt?: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const source = arg('db');
if (!source) throw new Error('--db=WORLD: a world file (it is copied, not changed)');
const variants = arg('variants', '4.1.1')!.split(',');
const per = Number(arg('per', '8'));

const STOPPED = Date.UTC(2026, 11, 2, 12, 0, 0);
Date.now = () => STOPPED;

const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-digest-'));
const file = path.join(dir, 'world.db');
copyFileSync(source, file);
const world = World.open(file);
const dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: 256 * 1024 });
const { devices } = world.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: variants.length * per * 2 });
const unsigned = (s: string) => s.replace(/<(ds|ns3):SignatureValue>[^<]*</g, '<$1:SignatureValue>-<');
const h = createHash('sha256');
let counter = 17_000_000_000_000_000n;
let sent = 0;
let next = 0;
for (const variant of variants) {
  for (let k = 0; k < per; k++) {
    const d = devices[next++];
    const sp = d?.mpxn ? world.store.getSupplyPoint(d.mpxn) : undefined;
    if (!d || !sp?.supplierEui) continue;
    let xml: string;
    try {
      xml = exampleRequest(world, variant, { device: d.eui });
    } catch {
      continue; // no example of this variant for an ESME
    }
    xml = xml.replace(/:1<\/sr:RequestID>/, `:${++counter}</sr:RequestID>`);
    const a = dcc.handle('serviceS', Buffer.from(signDuis(xml, xmlSignerOf(world, sp.supplierEui))));
    h.update(`${variant} ${a.responseCode} ${a.reason ?? ''} ${unsigned(a.xml)}\n`);
    sent++;
  }
}
const db = world.store.db;
for (const r of db.prepare('SELECT * FROM outbox ORDER BY id').all() as Record<string, unknown>[]) h.update(`${JSON.stringify({ ...r, body: unsigned(String(r.body)) })}\n`);
for (const r of db.prepare('SELECT * FROM requests ORDER BY id').all() as Record<string, unknown>[]) {
  const steps = r.steps ? (JSON.parse(String(r.steps)) as object[]).map((s) => ({ ...s, ms: undefined })) : null;
  const command = r.gbcs_command ? Buffer.from(r.gbcs_command as Uint8Array).toString('hex') : null;
  h.update(`${JSON.stringify({ ...r, request_xml: undefined, response_xml: r.response_xml ? unsigned(String(r.response_xml)) : null, steps, gbcs_command: command })}\n`);
}
for (const r of db.prepare('SELECT * FROM device_security ORDER BY device_eui').all()) h.update(`${JSON.stringify(r)}\n`);
world.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${sent} requests (${variants.join(', ')}): ${h.digest('hex')}\n`);
