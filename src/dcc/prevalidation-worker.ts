import { parentPort, workerData } from 'node:worker_threads';
import { describeCertificate } from '../../pki/index.ts';
import { openSqlite, WorldStore } from '../../db/index.ts';
import { createXsdValidator, prevalidateRequest, type PrevalidateOptions, type Prevalidation, type RepositoryCertificate } from '../../service-requests/index.ts';

// A prevalidation worker thread (started only by prevalidation-pool.ts, through
// prevalidation-worker.mjs): parses DUIS requests and checks their XML signature off the main
// thread. It reads the SMKI repository through its own read-only connection to the world file
// (WAL lets it read beside the single writer) and writes nothing. Certificates are insert-only, so
// a key it verified against cannot change; revocation it reports is not trusted (the main thread
// judges that on its own connection).

export interface PrevalidationWorkerData {
  world: string;
  maxRequestBytes: number;
  acceptOrganisationXmlSigners: boolean;
  /** compile this DUIS XSD and run it here too */
  xsdFile?: string;
}

export interface PrevalidationJob {
  id: number;
  body: Uint8Array;
}

export type PrevalidationReply =
  | { ready: true }
  | { id: number; result: Prevalidation }
  /** anything but a DUIS verdict (a bug, a broken world file): the main thread does the request itself */
  | { id: number; error: string };

const data = workerData as PrevalidationWorkerData;
const port = parentPort!;
const store = new WorldStore(openSqlite(data.world, { readonly: true }));
const repository = {
  certificatesBySerial: (serialDecimal: string): RepositoryCertificate[] =>
    store.certificatesBySerial(serialDecimal).map((c) => ({ facts: describeCertificate(c.der), revoked: c.revokedAt !== null })),
};
const options: PrevalidateOptions = { maxRequestBytes: data.maxRequestBytes, acceptOrganisationXmlSigners: data.acceptOrganisationXmlSigners };
if (data.xsdFile) {
  const xsd = createXsdValidator(data.xsdFile);
  options.xsd = (xml) => xsd.validate(xml);
}

port.on('message', (job: PrevalidationJob) => {
  let reply: PrevalidationReply;
  try {
    reply = { id: job.id, result: prevalidateRequest(job.body, repository, options) };
  } catch (err) {
    reply = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies PrevalidationReply);
