import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite, WorldStore } from '../../db/index.ts';
import { createXsdValidator, prevalidateRequest, type Endpoint, type PrevalidateOptions, type Prevalidation } from '../../service-requests/index.ts';
import { World } from '../world/index.ts';
import { Dcc } from './dcc.ts';
import { StatementRecorder, type Speculation } from './speculation.ts';
import { dccCredentialsOf, keyAgreementsFor, repositoryCertificatesBySerial } from './world-ports.ts';
import type { KeyAgreement } from '../../devices/index.ts';
import type { KeyObject } from 'node:crypto';

export type { Speculation } from './speculation.ts';

// A pipeline worker thread (started only by prevalidation-pool.ts, through
// prevalidation-worker.mjs). It reads the world through its own read-only connection to the world
// file (WAL lets it read beside the single writer) and writes nothing.
//
// Without `speculate` it parses DUIS requests and checks their XML signature (prevalidation).
// Certificates are insert-only, so a key it verified against cannot change; revocation it reports
// is not trusted (the main thread judges that on its own connection).
//
// With `speculate` it also runs the whole request as the main thread would (Dcc.handle: checks,
// handler, GBCS command, emulated device, signed responses) in one read transaction, recording
// its statements (speculation.ts) for the main thread to replay and commit (Dcc.commitSpeculation).

export interface PrevalidationWorkerData {
  world: string;
  maxRequestBytes: number;
  acceptOrganisationXmlSigners: boolean;
  /** compile this DUIS XSD and run it here too */
  xsdFile?: string;
  /**
   * run requests whole, not only their parse and signature: the main thread's Dcc options, and the
   * residue class of the DCC's counters this worker hands out (GatewayStore.dccCounterClass)
   */
  speculate?: { networkOperatorCheck: boolean; counterModulus?: number; counterResidue?: number };
  /**
   * prevalidating only: also compute the ECDH key agreements each request will need (keyAgreementsFor), for the
   * serving thread to find instead of computing; worth it where the worker has a core of its own (see server.ts)
   */
  keyAgreements?: boolean;
}

export interface PrevalidationJob {
  id: number;
  body: Uint8Array;
  /** with speculation: the endpoint it was posted to */
  endpoint?: Endpoint;
  /** with speculation: every earlier job of this lane up to this id is settled (committed or re-run) */
  settled?: number;
}

export type PrevalidationReply =
  | { ready: true }
  /** agreements: the ECDH results the request will need, computed here (the serving thread remembers them) */
  | { id: number; result: Prevalidation; speculation?: undefined; agreements?: KeyAgreement[] }
  | { id: number; result?: undefined; speculation: Speculation }
  /** anything but a DUIS verdict (a bug, a broken world file): the main thread does the request itself */
  | { id: number; error: string };

const data = workerData as PrevalidationWorkerData;
const port = parentPort!;
const db = openSqlite(data.world, { readonly: true });
// Before any store prepares a statement: every one of them is recorded.
const recorder = data.speculate ? new StatementRecorder(db) : undefined;
const store = new WorldStore(db);
const world = new World(store);
const repository = { certificatesBySerial: (serialDecimal: string) => repositoryCertificatesBySerial(world, serialDecimal) };
const options: PrevalidateOptions = { maxRequestBytes: data.maxRequestBytes, acceptOrganisationXmlSigners: data.acceptOrganisationXmlSigners };
if (data.xsdFile) {
  const xsd = createXsdValidator(data.xsdFile);
  options.xsd = (xml) => xsd.validate(xml);
}

let speculate: ((job: PrevalidationJob, endpoint: Endpoint) => PrevalidationReply) | undefined;
if (recorder && data.speculate) {
  world.checkDeviceKeyGenerations = true;
  const dcc = new Dcc(world, { networkOperatorCheck: data.speculate.networkOperatorCheck, maxRequestBytes: data.maxRequestBytes });
  const { counterModulus, counterResidue } = data.speculate;
  if (counterModulus && counterResidue !== undefined) dcc.gateway.dccCounterClass = { modulus: BigInt(counterModulus), residue: BigInt(counterResidue) };
  let events: [string, unknown][] = [];
  let forgotKeys: string[] = [];
  for (const name of ['request', 'cells', 'outbox']) dcc.on(name, (e: unknown) => void events.push([name, e]));
  const forget = world.forgetDeviceKeys.bind(world);
  world.forgetDeviceKeys = (eui) => {
    forgotKeys.push(eui);
    forget(eui);
  };
  speculate = (job, endpoint) => {
    events = [];
    forgotKeys = [];
    const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    const run = recorder.record(job.id, () => {
      dcc.clock.reload(); // the main thread's clock, as the world file has it
      const pre = prevalidateRequest(body, repository, options);
      return { pre, answer: dcc.handle(endpoint, body, pre) };
    });
    const { pre, answer } = run.value;
    // A transaction that rolled back after writing leaves an outcome no replay gives: done in-thread.
    if (run.tainted) return { id: job.id, result: pre };
    // Without its prevalidation: the main thread needs that only on a conflict (rare), and it is costly to receive.
    return { id: job.id, speculation: { ops: run.ops, answer, events, forgotKeys } };
  };
}

// Prevalidating only: the serving thread runs the request, and its ECDHs (a command's MAC, the device's answer) are
// the dearest pure part of a command to a device it has not met; they are done here, on the worker's core.
let acbKaKey: KeyObject | undefined;
function agreementsFor(pre: Prevalidation): KeyAgreement[] | undefined {
  if (!data.keyAgreements || pre.kind !== 'parsed') return undefined;
  try {
    acbKaKey ??= dccCredentialsOf(world).acbKaKey;
    const { originator, target } = pre.request.requestId;
    return keyAgreementsFor(world, acbKaKey, originator, target);
  } catch {
    return undefined; // a world without an ACB key, a device unknown: the serving thread finds out and says so
  }
}

port.on('message', (job: PrevalidationJob) => {
  let reply: PrevalidationReply;
  try {
    if (job.settled !== undefined) recorder?.settled(job.settled);
    if (speculate && job.endpoint) reply = speculate(job, job.endpoint);
    else {
      const result = prevalidateRequest(job.body, repository, options);
      const agreements = agreementsFor(result);
      reply = agreements?.length ? { id: job.id, result, agreements } : { id: job.id, result };
    }
  } catch (err) {
    reply = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies PrevalidationReply);
