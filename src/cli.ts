import 'reflect-metadata';
import { existsSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { certificateToPem, dashedEui, parseEui } from '../pki/index.ts';
import type { DeviceStatus, DeviceType } from '../db/index.ts';
import {
  World,
  WorldError,
  META,
  seedDemoWorld,
  readIssuingCa,
  seedZaz1World,
  deviceView,
  summariseCertificate,
  type CertificateSummary,
  exportKeystore,
  issueOrganisationCertificateFor,
  revokeCertificate,
  SimulatedClock,
  parseDuration,
  isMpanCore,
  parseMpanCore,
  parseMprn,
  loadExamples,
  type ExampleKind,
} from './world/index.ts';

// The dcc-sim command line. Every command takes --json for machine-readable output; errors go to
// stderr with a non-zero exit and leave the world file as it was.

const program = new Command('dcc-sim')
  .description('Simulator of the GB smart-metering DCC Data System and the devices behind it')
  .showHelpAfterError();

const jsonOption = () => new Option('--json', 'machine-readable JSON output');
const dbOption = () => new Option('--db <file>', 'world database (SQLite)').makeOptionMandatory();

function out(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, jsonReplacer, 2) + '\n' : text() + '\n');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

function withWorld<T>(file: string, fn: (w: World) => T): T {
  const world = World.open(file);
  try {
    return fn(world);
  } finally {
    world.close();
  }
}

// [world-tests helper fix] --mpxn, --limit and --offset were passed through unchecked: a bad MPAN check
// digit silently matched nothing (exit 0) and '--limit abc' failed with SQLite's 'datatype mismatch'.
function mpxnArgument(text: string): string {
  return isMpanCore(text.trim()) ? parseMpanCore(text) : parseMprn(text);
}

function countArgument(name: string, text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n)) {
    throw new WorldError('bad-argument', `${name} must be a whole number, got '${text}'`);
  }
  return n;
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function progressBar(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const started = Date.now();
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${secs}s`);
    if (done === total) process.stderr.write('\n');
  };
}

// --- seed ------------------------------------------------------------------------------------
program
  .command('seed')
  .description('build a new world file: a demo fleet on dcc-sim\'s own SMKI, or the ZAZ1 test identities')
  .addOption(dbOption())
  .addOption(new Option('--profile <profile>', 'demo (own PKI) or zaz1 (DCC public test identities)').choices(['demo', 'zaz1']).default('demo'))
  .option('--premises <n>', 'number of premises in a demo world', '1000')
  .option('--seed <seed>', 'seed: the same seed builds the same world', 'dcc-sim')
  .option('--at <time>', 'reference time the fleet is laid out against (ISO 8601); default now')
  .option('--keystore <file>', 'DCC Boxed keystore.json (zaz1 profile)')
  .option('--issuing-ca <file>', 'the ZAZ1 Z1 issuing CA (zaz1 profile): PEM, DER, or any DUIS template carrying it')
  .option('--force', 'replace an existing world file')
  .addOption(jsonOption())
  .action((o: { db: string; profile: string; premises: string; seed: string; at?: string; keystore?: string; issuingCa?: string; force?: boolean; json?: boolean }) => {
    const premises = Number(o.premises);
    if (!Number.isInteger(premises) || premises < 0 || premises > 10_000_000) {
      throw new WorldError('bad-argument', `--premises must be a whole number from 0 to 10000000, got '${o.premises}'`);
    }
    const referenceTime = o.at ? new Date(o.at) : new Date();
    if (Number.isNaN(referenceTime.getTime())) throw new WorldError('bad-argument', `--at '${o.at}' is not a date-time`);
    if (existsSync(o.db) && !o.force) {
      throw new WorldError('world-exists', `${o.db} already exists; use --force to replace it`);
    }
    let zaz1: { keystoreJson: string; issuingCa: Buffer } | undefined;
    if (o.profile === 'zaz1') {
      if (!o.keystore) throw new WorldError('bad-argument', 'the zaz1 profile needs --keystore FILE (keystore.json of @smartdcc/dccboxed-keystore)');
      if (!o.issuingCa) throw new WorldError('bad-argument', 'the zaz1 profile needs --issuing-ca FILE (the Z1 CA: PEM, DER, or a DUIS template carrying it)');
      zaz1 = { keystoreJson: readFileSync(o.keystore, 'utf8'), issuingCa: readIssuingCa(readFileSync(o.issuingCa)) };
    }
    // Build into a scratch file and rename at the end: a failed seed leaves nothing half-made.
    const partial = `${o.db}.partial-${process.pid}`;
    rmSync(partial, { force: true });
    const world = World.open(partial, { create: true });
    let summary: object;
    try {
      summary =
        o.profile === 'zaz1'
          ? seedZaz1World(world, { ...zaz1!, referenceTime })
          : seedDemoWorld(world, { premises, seed: o.seed, referenceTime, onProgress: progressBar('seeding') });
      world.store.db.pragma('wal_checkpoint(TRUNCATE)');
      world.close();
    } catch (err) {
      world.close();
      for (const f of [partial, `${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
      throw err;
    }
    for (const f of [o.db, `${o.db}-wal`, `${o.db}-shm`]) rmSync(f, { force: true });
    renameSync(partial, o.db);
    for (const f of [`${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
    out(o.json, { db: o.db, profile: o.profile, ...summary }, () =>
      `seeded ${o.db} (${o.profile}): ${Object.entries(summary).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    );
  });

// --- devices ---------------------------------------------------------------------------------
const devices = program.command('devices').description('the smart metering inventory');
devices
  .command('list')
  .addOption(dbOption())
  .addOption(new Option('--type <type>').choices(['ESME', 'GSME', 'GPF', 'CHF']))
  .option('--status <status>')
  .option('--mpxn <mpxn>')
  .option('--supplier <eui>')
  .option('--network-operator <eui>')
  .option('--limit <n>', 'rows', '20')
  .option('--offset <n>', 'rows to skip', '0')
  .addOption(jsonOption())
  .action((o: { db: string; type?: DeviceType; status?: DeviceStatus; mpxn?: string; supplier?: string; networkOperator?: string; limit: string; offset: string; json?: boolean }) =>
    withWorld(o.db, (w) => {
      const r = w.store.listDevices({
        type: o.type,
        status: o.status,
        mpxn: o.mpxn === undefined ? undefined : mpxnArgument(o.mpxn),
        supplierEui: o.supplier ? parseEui(o.supplier) : undefined,
        networkOperatorEui: o.networkOperator ? parseEui(o.networkOperator) : undefined,
        limit: countArgument('--limit', o.limit),
        offset: countArgument('--offset', o.offset),
      });
      out(o.json, r, () =>
        table([
          ['EUI', 'TYPE', 'STATUS', 'MPxN', 'COMMISSIONED'],
          ...r.devices.map((d) => [dashedEui(d.eui), d.type, d.status, d.mpxn ?? '-', d.commissionedAt?.slice(0, 10) ?? '-']),
        ]) + `\n(${r.devices.length} of ${r.total})`,
      );
    }),
  );
devices
  .command('show <eui>')
  .description("a device, its registration data and its trust-anchor cells with their holders")
  .addOption(dbOption())
  .addOption(jsonOption())
  .action((euiText: string, o: { db: string; json?: boolean }) =>
    withWorld(o.db, (w) => {
      const eui = parseEui(euiText);
      const d = w.store.getDevice(eui);
      if (!d) throw new WorldError('unknown-device', `no device with EUI ${dashedEui(eui)} in ${o.db}`);
      const v = deviceView(w, d);
      const party = (e: string | null) => (e ? `${w.store.getParty(e)?.name ?? '?'} (${dashedEui(e)})` : '-');
      out(o.json, v, () =>
        [
          `${d.type} ${dashedEui(d.eui)}  ${d.status}${d.commissionedAt ? ' since ' + d.commissionedAt : ''}`,
          `MPxN ${d.mpxn ?? '-'}  supplier ${party(v.registeredSupplier)}  network operator ${party(v.registeredNetworkOperator)}`,
          '',
          table([
            ['CELL', 'HOLDER', 'EUI', 'ROLE', 'USAGE', 'SERIAL', 'VALID TO'],
            ...v.cells.map((c) => [
              c.cell,
              // [world-tests helper fix] CA certificates have no holder party: the root cell showed '(empty)'.
              c.certificate ? (c.certificate.holder ?? c.certificate.label ?? c.certificate.kind) : '(empty)',
              c.certificate?.subjectEui ? dashedEui(c.certificate.subjectEui) : '-',
              c.certificate?.role ?? '-',
              c.certificate?.keyUsage ?? '-',
              c.certificate?.serial ?? '-',
              c.certificate?.notAfter.slice(0, 10) ?? '-',
            ]),
          ]),
        ].join('\n'),
      );
    }),
  );

// --- certificates ----------------------------------------------------------------------------
const certs = program.command('certs').description('the SMKI repository');
const certRows = (list: CertificateSummary[]) =>
  table([
    ['ID', 'SERIAL', 'KIND', 'HOLDER', 'ROLE', 'USAGE', 'VALID TO', 'REVOKED'],
    ...list.map((c) => [String(c.id), c.serial, c.kind, c.holder ?? '-', c.role ?? '-', c.keyUsage, c.notAfter.slice(0, 10), c.revoked ? 'yes' : '']),
  ]);
certs
  .command('list')
  .addOption(dbOption())
  .option('--eui <eui>', 'subject EUI')
  .option('--role <role>', 'remote party role code (decimal, or hex like 0x87)')
  .addOption(new Option('--usage <usage>').choices(['DS', 'KA', 'CA']))
  .option('--serial <serial>', 'decimal, or hex with 0x')
  .option('--ski <ski>')
  .option('--kind <kind>')
  .option('--limit <n>', 'rows', '100')
  .addOption(jsonOption())
  .action((o: { db: string; eui?: string; role?: string; usage?: string; serial?: string; ski?: string; kind?: string; limit: string; json?: boolean }) =>
    withWorld(o.db, (w) => {
      // A device's own certificates are issued when first looked at: asking for them is looking.
      if (o.eui && w.store.getDevice(parseEui(o.eui))) w.deviceCertificates(parseEui(o.eui));
      const list = w.store
        .searchCertificates({
          eui: o.eui ? parseEui(o.eui) : undefined,
          role: o.role === undefined ? undefined : Number(o.role),
          keyUsage: o.usage,
          serial: o.serial,
          ski: o.ski,
          kind: o.kind,
          limit: countArgument('--limit', o.limit),
        })
        .map((c) => summariseCertificate(w, c));
      out(o.json, list, () => certRows(list));
    }),
  );

function findCertificate(w: World, ref: string) {
  const asId = /^#?\d{1,9}$/.test(ref) ? w.store.getCertificate(Number(ref.replace('#', ''))) : undefined;
  if (asId && !ref.startsWith('#') && ref.length > 9) return asId;
  const bySerial = w.store.searchCertificates({ serial: ref, limit: 2 });
  if (bySerial.length === 1) return bySerial[0]!;
  if (asId) return asId;
  throw new WorldError('unknown-certificate', `no certificate with id or serial '${ref}'`);
}

certs
  .command('show <ref>')
  .description('one certificate by repository id or serial')
  .addOption(dbOption())
  .addOption(jsonOption())
  .action((ref: string, o: { db: string; json?: boolean }) =>
    withWorld(o.db, (w) => {
      const c = findCertificate(w, ref);
      const s = summariseCertificate(w, c);
      out(o.json, { ...s, subjectDn: c.subjectDn, issuerDn: c.issuerDn, aki: c.aki, pem: certificateToPem(c.der) }, () =>
        [
          `certificate #${c.id} serial ${c.serialHex} (${c.serialDecimal})`,
          `kind ${c.kind}  role ${s.role ?? '-'}  usage ${c.keyUsage}  holder ${s.holder ?? '-'}`,
          `subject ${c.subjectDn || '(empty)'}  issuer ${c.issuerDn}`,
          `valid ${c.notBefore} .. ${c.notAfter}${c.revokedAt ? `  REVOKED ${c.revokedAt} (${c.revocationReason})` : ''}`,
          `SKI ${c.ski}  AKI ${c.aki ?? '-'}`,
          certificateToPem(c.der).trimEnd(),
        ].join('\n'),
      );
    }),
  );
certs
  .command('export <ref>')
  .description('PEM of a certificate, with --chain its issuers up to the root')
  .addOption(dbOption())
  .option('--chain', 'append the issuing certificates')
  .option('--out <file>', 'write to a file instead of stdout')
  .action((ref: string, o: { db: string; chain?: boolean; out?: string }) =>
    withWorld(o.db, (w) => {
      let c = findCertificate(w, ref);
      let pem = certificateToPem(c.der);
      for (let depth = 0; o.chain && c.aki && depth < 5; depth++) {
        const issuer = w.store.searchCertificates({ ski: c.aki }).find((x) => x.kind !== 'organisation' && x.kind !== 'device');
        if (!issuer || issuer.id === c.id) break;
        pem += certificateToPem(issuer.der);
        c = issuer;
      }
      if (o.out) writeFileSync(o.out, pem);
      else process.stdout.write(pem);
    }),
  );

certs
  .command('issue')
  .description("issue a new organisation certificate (fresh key pair, kept in the world) from the world's issuing CA")
  .addOption(dbOption())
  .requiredOption('--eui <eui>', 'the party')
  .requiredOption('--role <role>', 'remote party role code: 2 supplier, 3 network operator, 4 ACB, 135 XML signing, ...')
  .addOption(new Option('--usage <usage>').choices(['DS', 'KA']).makeOptionMandatory())
  .addOption(jsonOption())
  .action((o: { db: string; eui: string; role: string; usage: 'DS' | 'KA'; json?: boolean }) =>
    withWorld(o.db, (w) => {
      const role = Number(o.role);
      if (!Number.isInteger(role) || role < 0 || role > 255) throw new WorldError('bad-argument', `--role must be a role code 0..255, got '${o.role}'`);
      const id = w.store.transaction(() => issueOrganisationCertificateFor(w, { eui: parseEui(o.eui), role, usage: o.usage }));
      const s = summariseCertificate(w, w.certificate(id));
      out(o.json, s, () => certRows([s]));
    }),
  );
certs
  .command('revoke <ref>')
  .description('revoke a certificate in the SMKI repository (immediate for validation)')
  .addOption(dbOption())
  .option('--reason <reason>', 'revocation reason', 'keyCompromise')
  .action((ref: string, o: { db: string; reason: string }) =>
    withWorld(o.db, (w) => {
      const c = findCertificate(w, ref);
      revokeCertificate(w, c.id, o.reason, new SimulatedClock(w.store).now());
      process.stdout.write(`revoked certificate #${c.id} (${c.serialHex})\n`);
    }),
  );
certs
  .command('request-device <csr>')
  .description("send a device's CSR (PEM or DER file) to the gateway's device CSR service, signed as the requesting party (MP074: an Authorised Subscriber for Device Certificates with UEPT); prints the device certificate")
  .addOption(dbOption())
  .requiredOption('--as <eui>', "the requesting party: its XML-signing key from the world signs the request")
  .option('--device <eui>', 'the device the CSR is for (checked against the CSR)')
  .option('--url <url>', 'dcc-sim gateway base URL (not the SMKI portal: it refuses device CSRs)', 'http://127.0.0.1:8079')
  .option('--out <file>', 'write the certificate (PEM) to a file')
  .addOption(jsonOption())
  .action(async (file: string, o: { db: string; as: string; device?: string; url: string; out?: string; json?: boolean }) => {
    const { signDeviceCsrEnvelope } = await import('./smki/index.ts');
    const { xmlSignerOf } = await import('./client.ts');
    const requester = parseEui(o.as);
    const body = withWorld(o.db, (w) =>
      signDeviceCsrEnvelope({ requester, csr: readFileSync(file), ...(o.device ? { deviceId: parseEui(o.device) } : {}) }, xmlSignerOf(w, requester)),
    );
    const res = await fetch(`${o.url.replace(/\/$/, '')}/smki/device-csr`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const answer = (await res.json()) as { error?: string; code?: string; pem?: string; deviceId?: string; keyUsage?: string; serial?: string };
    if (!res.ok || !answer.pem) throw new WorldError(answer.code ?? 'refused', `the device CSR was refused (HTTP ${res.status}, ${answer.code ?? '?'}): ${answer.error ?? 'no reason given'}`);
    if (o.out) writeFileSync(o.out, answer.pem);
    out(o.json, answer, () => (o.out ? `device ${answer.deviceId} ${answer.keyUsage} certificate ${answer.serial} written to ${o.out}` : answer.pem!.trimEnd()));
  });

// --- parties ---------------------------------------------------------------------------------
const parties = program.command('parties').description('DCC Users, network parties and the DCC');
parties
  .command('list')
  .addOption(dbOption())
  .addOption(jsonOption())
  .action((o: { db: string; json?: boolean }) =>
    withWorld(o.db, (w) => {
      const list = w.store.listParties();
      out(o.json, list, () =>
        table([
          ['EUI', 'NAME', 'ROLES', 'DCC USER', 'SMKI', 'UEPT', 'DEVICE CSR', 'RESPONSE URL'],
          ...list.map((p) => [
            dashedEui(p.eui),
            p.name,
            p.isDcc ? 'DCC' : p.userRoles.join(','),
            p.dccUser ? 'yes' : 'no',
            p.smkiSubscriber ? 'yes' : 'no',
            p.ueptCompleted ? 'yes' : 'no',
            p.deviceSubscriber ? 'yes' : 'no',
            p.responseUrl ?? '-',
          ]),
        ]),
      );
    }),
  );
function flagArgument(name: string, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (/^(true|yes|on|1)$/i.test(text)) return true;
  if (/^(false|no|off|0)$/i.test(text)) return false;
  throw new WorldError('bad-argument', `${name} takes true or false, got '${text}'`);
}

parties
  .command('set <eui>')
  .description('set a party\'s flags: UEPT completed, Authorised Subscriber for Device Certificates (MP074), SMKI subscriber, DCC User')
  .addOption(dbOption())
  .option('--uept <bool>', 'has completed User Entry Process Tests (true|false)')
  .option('--device-subscriber <bool>', 'is an Authorised Subscriber for Device Certificates: may send device CSRs over the gateway (true|false)')
  .option('--smki-subscriber <bool>', 'is an SMKI subscriber (true|false)')
  .option('--dcc-user <bool>', 'is a DCC User (true|false)')
  .addOption(jsonOption())
  .action((euiText: string, o: { db: string; uept?: string; deviceSubscriber?: string; smkiSubscriber?: string; dccUser?: string; json?: boolean }) =>
    withWorld(o.db, (w) => {
      const eui = parseEui(euiText);
      const flags = {
        ueptCompleted: flagArgument('--uept', o.uept),
        deviceSubscriber: flagArgument('--device-subscriber', o.deviceSubscriber),
        smkiSubscriber: flagArgument('--smki-subscriber', o.smkiSubscriber),
        dccUser: flagArgument('--dcc-user', o.dccUser),
      };
      if (Object.values(flags).every((v) => v === undefined)) {
        throw new WorldError('bad-argument', 'give at least one of --uept, --device-subscriber, --smki-subscriber, --dcc-user');
      }
      w.store.setPartyFlags(eui, flags);
      const p = w.store.getParty(eui)!;
      const view = { eui: p.eui, name: p.name, dccUser: p.dccUser, smkiSubscriber: p.smkiSubscriber, ueptCompleted: p.ueptCompleted, deviceSubscriber: p.deviceSubscriber ?? false };
      out(o.json, view, () =>
        `${p.name} (${dashedEui(p.eui)}): DCC User ${p.dccUser ? 'yes' : 'no'}, SMKI subscriber ${p.smkiSubscriber ? 'yes' : 'no'}, UEPT ${p.ueptCompleted ? 'completed' : 'not completed'}, device CSRs ${p.deviceSubscriber ? 'authorised' : 'not authorised'}`,
      );
    }),
  );
parties
  .command('set-response-url <eui> <url>')
  .description("the party's Receive Response Service address for asynchronous DUIS responses")
  .addOption(dbOption())
  .action((euiText: string, url: string, o: { db: string }) =>
    withWorld(o.db, (w) => {
      const eui = parseEui(euiText);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new WorldError('bad-argument', `'${url}' is not an absolute URL (e.g. http://127.0.0.1:1880/duis)`);
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new WorldError('bad-argument', `response URL must be http or https, got ${parsed.protocol}`);
      }
      w.store.setResponseUrl(eui, parsed.toString());
      process.stdout.write(`response URL of ${dashedEui(eui)} set to ${parsed.toString()}\n`);
    }),
  );

// --- keystore --------------------------------------------------------------------------------
program
  .command('keystore')
  .description('DCC Boxed keystore interchange')
  .command('export')
  .description("write the parties' certificates and private keys as a DCC Boxed keystore.json")
  .addOption(dbOption())
  .requiredOption('--out <file>')
  .action((o: { db: string; out: string }) =>
    withWorld(o.db, (w) => {
      const { json, entries } = exportKeystore(w);
      writeFileSync(o.out, json);
      process.stdout.write(`wrote ${entries} keystore entries to ${o.out}\n`);
    }),
  );

// --- serve / demo / send -------------------------------------------------------------------
function serveOptions(cmd: Command): Command {
  return cmd
    .option('--port <port>', 'DUIS listener port', '8079')
    .option('--smki-port <port>', 'SMKI portal interface port (organisation certificates, DCC Boxed style)', '8083')
    .option('--no-smki', 'do not start the SMKI portal listener')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--no-network-operator-check', 'disapply the SECMP0063 / MP128 network operator check')
    .option('--duis-xsd <file>', 'also validate requests against this DUIS XSD (libxml2-wasm)')
    .option('--request-log-keep <n>', 'the most recent requests whose DUIS XML the request log keeps (older ones keep their outcome); 0 = all', '20000')
    .option('--workers <n>', 'worker threads parsing DUIS requests and checking their signatures beside the main thread; 0 = all in-thread (default: DCC_SIM_WORKERS, else CPUs - 2)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; needs --tls-key)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--tls-ca <file>', 'mutual TLS: clients must present a certificate issued by this CA (PEM)')
    .option('--admin-token <token>', 'token for the console and JSON API (default: DCC_SIM_ADMIN_TOKEN, or generated when --host is not loopback)')
    .option('--quiet', 'no request log on stdout');
}

interface ServeFlags {
  port: string;
  smkiPort: string;
  smki: boolean;
  host: string;
  networkOperatorCheck: boolean;
  duisXsd?: string;
  workers?: string;
  requestLogKeep: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  adminToken?: string;
  quiet?: boolean;
}

async function serve(db: string, o: ServeFlags, smkiPortGiven = true): Promise<void> {
  const { startServer } = await import('./server.ts');
  const { defaultWorkerCount } = await import('./dcc/prevalidation-pool.ts');
  const workersText = o.workers ?? process.env.DCC_SIM_WORKERS;
  const workers = workersText === undefined || workersText === '' ? defaultWorkerCount() : countArgument('--workers', workersText);
  let xsd: ((xml: string) => string[]) | undefined;
  if (o.duisXsd) {
    const { createXsdValidator } = await import('../service-requests/index.ts');
    const v = await createXsdValidator(o.duisXsd);
    xsd = (xml) => v.validate(xml);
  }
  if (!o.tlsCert !== !o.tlsKey) throw new WorldError('bad-argument', '--tls-cert and --tls-key go together');
  if (o.tlsCa && !o.tlsCert) throw new WorldError('bad-argument', '--tls-ca (client certificates) needs --tls-cert and --tls-key');
  const tls = o.tlsCert && o.tlsKey ? { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey), ...(o.tlsCa ? { ca: readFileSync(o.tlsCa) } : {}) } : undefined;
  const server = await startServer({
    db,
    host: o.host,
    port: Number(o.port),
    smkiPort: o.smki ? Number(o.smkiPort) : undefined,
    smkiOptional: !smkiPortGiven, // the default 8083 taken (another dcc-sim): serve DUIS anyway
    networkOperatorCheck: o.networkOperatorCheck,
    xsd,
    ...(o.duisXsd ? { xsdFile: o.duisXsd } : {}),
    workers,
    requestLogKeep: countArgument('--request-log-keep', o.requestLogKeep),
    logger: !o.quiet,
    ...(tls ? { tls } : {}),
    ...(o.adminToken ? { adminToken: o.adminToken } : {}),
  });
  process.stderr.write(`dcc-sim DUIS gateway on ${server.url}/api/v1/serviceS|serviceT|serviceD (world ${db})\n`);
  if (tls?.ca) process.stderr.write('dcc-sim: mutual TLS, clients must present a certificate issued by --tls-ca\n');
  if (server.admin?.generated) process.stderr.write(`dcc-sim admin token (console and JSON API, Authorization: Bearer ...): ${server.admin.token}\n`);
  else if (server.admin) process.stderr.write('dcc-sim: the console and JSON API need the admin token (Authorization: Bearer ...)\n');
  if (server.smkiUrl) process.stderr.write(`dcc-sim SMKI portal (organisation certificates) on ${server.smkiUrl}/services/certificatesearch\n`);
  else if (o.smki) process.stderr.write(`dcc-sim: SMKI portal not started, port ${o.smkiPort} is in use (give --smki-port PORT, or --no-smki)\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

serveOptions(program.command('serve').description('run the DCC: DUIS gateway and JSON API').addOption(dbOption())).action(
  async (o: ServeFlags & { db: string }, cmd: Command) => serve(o.db, o, cmd.getOptionValueSource('smkiPort') !== 'default'),
);

serveOptions(
  program
    .command('demo')
    .description('seed a demo world (if the file does not exist yet) and serve it: what `npm start` runs')
    .option('--db <file>', 'world database', 'dcc-sim-demo.db')
    .option('--premises <n>', 'premises in a new demo world', '2000'),
).action(async (o: ServeFlags & { db: string; premises: string }, cmd: Command) => {
  if (!existsSync(o.db)) {
    const partial = `${o.db}.partial-${process.pid}`;
    const world = World.open(partial, { create: true });
    try {
      const summary = seedDemoWorld(world, { premises: Number(o.premises), seed: 'dcc-sim', referenceTime: new Date(), onProgress: progressBar('seeding demo world') });
      world.store.db.pragma('wal_checkpoint(TRUNCATE)');
      world.close();
      renameSync(partial, o.db);
      process.stderr.write(`seeded ${o.db}: ${summary.premises} premises, ${summary.devices} devices\n`);
    } catch (err) {
      world.close();
      rmSync(partial, { force: true });
      throw err;
    }
  }
  await serve(o.db, o, cmd.getOptionValueSource('smkiPort') !== 'default');
});

program
  .command('send <request>')
  .description('sign a DUIS request (a template will do) as a party of the world and send it; critical requests go through both legs')
  .addOption(dbOption())
  .option('--as <eui>', 'the sending party (default: the RequestID originator)')
  .option('--url <url>', 'dcc-sim base URL', 'http://127.0.0.1:8079')
  .option('--preserve-counter', 'keep the RequestID counter instead of a fresh one')
  .option('--wait <seconds>', 'wait this long for the asynchronous responses and print them', '5')
  .addOption(jsonOption())
  .action(async (file: string, o: { db: string; as?: string; url: string; preserveCounter?: boolean; wait: string; json?: boolean }) => {
    const { sendRequest } = await import('./client.ts');
    const world = World.open(o.db, { readonly: true });
    let legs;
    try {
      legs = await sendRequest(world, { xml: readFileSync(file, 'utf8'), as: o.as, baseUrl: o.url.replace(/\/$/, ''), preserveCounter: o.preserveCounter });
    } finally {
      world.close();
    }
    const last = legs[legs.length - 1]!;
    const requestId = last.response?.requestId?.text;
    let asyncResponses: unknown[] = [];
    if (last.responseCode === 'I99' && requestId && Number(o.wait) > 0) {
      const deadline = Date.now() + Number(o.wait) * 1000;
      while (Date.now() < deadline) {
        const r = await fetch(`${o.url.replace(/\/$/, '')}/api/responses?requestId=${encodeURIComponent(requestId)}`);
        asyncResponses = (await r.json()) as unknown[];
        if (asyncResponses.length) break;
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    out(o.json, { legs: legs.map(({ response: _r, ...l }) => l), asyncResponses }, () =>
      [
        ...legs.map((l) => `${l.endpoint}: ${l.responseCode}${l.reason ? ` (${l.reason})` : ''}`),
        ...(asyncResponses as { kind: string; responseCode: string; xml: string }[]).map((a) => `asynchronous ${a.kind}: ${a.responseCode}\n${a.xml}`),
        legs.length && !asyncResponses.length ? last.responseXml : '',
      ].filter(Boolean).join('\n'),
    );
    if (!/^I(0|99)$/.test(last.responseCode)) process.exitCode = 2;
  });

program
  .command('sign-precommand <hex>')
  .description("sign a GBCS pre-command (hex) with its originator's digital-signing key from the world; prints the signed pre-command (hex)")
  .addOption(dbOption())
  .action(async (hex: string, o: { db: string }) => {
    const { signPreCommand } = await import('./client.ts');
    withWorld(o.db, (w) => {
      const clean = hex.replace(/\s+/g, '');
      if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new WorldError('bad-argument', 'the pre-command must be hex');
      process.stdout.write(signPreCommand(w, Buffer.from(clean, 'hex')).toString('hex').toUpperCase() + '\n');
    });
  });

// --- examples --------------------------------------------------------------------------------
program
  .command('example <kind>')
  .description('print a ready-to-send DUIS request for a device: handover (6.21), update-credentials (6.15.1, issues fresh certificates), read-credentials (6.24.1), read-inventory (8.2)')
  .addOption(dbOption())
  .requiredOption('--device <eui>')
  .addOption(new Option('--role <role>', 'RemotePartyRole').choices(['Supplier', 'NetworkOperator']).default('Supplier'))
  .action(async (kind: string, o: { db: string; device: string; role: 'Supplier' | 'NetworkOperator' }) => {
    const { exampleRequest } = await loadExamples();
    withWorld(o.db, (w) => {
      const kinds = ['handover', 'update-credentials', 'read-credentials', 'read-inventory'];
      if (!kinds.includes(kind)) throw new WorldError('bad-argument', `unknown example '${kind}': one of ${kinds.join(', ')}`);
      const xml = w.store.transaction(() => exampleRequest(w, kind as ExampleKind, { device: parseEui(o.device), role: o.role }));
      process.stdout.write(xml + '\n');
    });
  });

// --- clock ---------------------------------------------------------------------------------
const clock = program.command('clock').description("the world's simulated time (certificate validity, future-dated commands, the 7-day rule)");
clock
  .command('show')
  .addOption(dbOption())
  .action((o: { db: string }) => {
    withWorld(o.db, (w) => process.stdout.write(new SimulatedClock(w.store).now().toISOString() + '\n'));
  });
clock
  .command('set <time>')
  .description('set the simulated time (ISO 8601), or "real" to follow real time again')
  .addOption(dbOption())
  .action((time: string, o: { db: string }) =>
    withWorld(o.db, (w) => {
      const c = new SimulatedClock(w.store);
      if (time === 'real') c.reset();
      else {
        const t = new Date(time);
        if (Number.isNaN(t.getTime())) throw new WorldError('bad-argument', `'${time}' is not a date-time (ISO 8601) or "real"`);
        c.set(t);
      }
      process.stdout.write(c.now().toISOString() + '\n');
    }),
  );
clock
  .command('advance <duration>')
  .description('move the simulated time forward, e.g. 7d, 36h, 90m, 30s')
  .addOption(dbOption())
  .action((duration: string, o: { db: string }) => {
    withWorld(o.db, (w) => process.stdout.write(new SimulatedClock(w.store).advance(parseDuration(duration)).toISOString() + '\n'));
  });

// --- compliance: post-commissioning report, network operator changes, training scenarios --------
// (issue 5 parts 2, 3 and 5; the modules load lazily so other commands start as fast as before)
function reportAt(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) throw new WorldError('bad-argument', `--at '${text}' is not a date-time (ISO 8601)`);
  return t;
}

const reportCmd = program.command('report').description('DCC reports');
reportCmd
  .command('post-commissioning')
  .description("network operator certificates of every commissioned ESME and GPF against registration data, 7 days after commissioning (IEDP 5.3, MP128B)")
  .addOption(dbOption())
  .option('--at <time>', "report time (ISO 8601); default the world's simulated clock")
  .addOption(new Option('--format <format>', 'table, json, or csv (one line per device)').choices(['table', 'json', 'csv']).default('table'))
  .addOption(new Option('--type <type>').choices(['ESME', 'GPF']))
  .option('--network-operator <eui>', 'only supply points registered to this network operator')
  .option('--supplier <eui>', 'only supply points registered to this supplier')
  .addOption(new Option('--state <state>', 'devices listed: this state only').choices(['compliant', 'pending', 'non-compliant']))
  .option('--reason <reason>', 'devices listed: this reason only (e.g. other-network-operator, acb-in-esme, gno-not-dcc-user, revoked-certificate)')
  .option('--limit <n>', 'devices listed (table: 10 non-compliant, json: 100; csv: all)')
  .option('--offset <n>', 'devices to skip', '0')
  .action(async (o: { db: string; at?: string; format: 'table' | 'json' | 'csv'; type?: 'ESME' | 'GPF'; networkOperator?: string; supplier?: string; state?: string; reason?: string; limit?: string; offset: string }) => {
    const c = await import('./compliance/index.ts');
    if (o.reason !== undefined && !c.isNonComplianceReason(o.reason)) throw new WorldError('bad-argument', `--reason '${o.reason}' is not one the report gives`);
    const state = o.state as import('../db/index.ts').ComplianceState | undefined;
    const reason = o.reason as import('../db/index.ts').NonComplianceReason | undefined;
    withWorld(o.db, (w) => {
      const scope = {
        at: c.reportTime(w, reportAt(o.at)),
        type: o.type,
        networkOperatorEui: o.networkOperator ? parseEui(o.networkOperator) : undefined,
        supplierEui: o.supplier ? parseEui(o.supplier) : undefined,
      };
      if (o.format === 'csv') {
        if (o.limit !== undefined) {
          const rows = c.complianceDevices(w, { ...scope, state, reason, limit: countArgument('--limit', o.limit), offset: countArgument('--offset', o.offset) });
          process.stdout.write(c.csvHeader() + c.csvRows(rows));
        } else c.writeCsv(w, { ...scope, state, reason }, (chunk) => process.stdout.write(chunk));
        return;
      }
      const limit = o.limit !== undefined ? countArgument('--limit', o.limit) : o.format === 'table' ? 10 : 100;
      const listState = state ?? (o.format === 'table' && reason === undefined ? 'non-compliant' : undefined);
      const r = c.postCommissioningReport(w, {
        ...scope,
        devices: limit > 0 ? { state: listState, reason, limit, offset: countArgument('--offset', o.offset) } : undefined,
      });
      out(o.format === 'json', r, () => c.formatReportTable(r));
    });
  });

const scenarioCmd = program.command('scenario').description('training scenarios and network operator changes (MP128A)');
scenarioCmd
  .command('list')
  .description('the training scenarios and their steps')
  .addOption(jsonOption())
  .action(async (o: { json?: boolean }) => {
    const { describeScenarios } = await import('./scenarios/index.ts');
    const list = describeScenarios();
    out(o.json, list, () =>
      list.map((s) => [`${s.name}: ${s.title}`, `  ${s.summary}`, ...s.steps.map((st) => `  ${st.index + 1}. ${st.title}`)].join('\n')).join('\n\n'),
    );
  });

scenarioCmd
  .command('run <name>')
  .description('run a training scenario step by step, narrated; exits 2 if its expected outcome is not met')
  .option('--db <file>', 'world to run it on (default: a fresh scratch world, removed afterwards)')
  .option('--url <url>', 'a running `dcc-sim serve` of the same --db (default: a DCC started in this process on 127.0.0.1)')
  .addOption(jsonOption())
  .action(async (name: string, o: { db?: string; url?: string; json?: boolean }) => {
    const s = await import('./scenarios/index.ts');
    const scenario = s.findScenario(name);
    if (o.url && !o.db) throw new WorldError('bad-argument', '--url needs --db: the world file the server at that URL serves (to sign as its parties)');
    const scratch = o.db ? undefined : s.scratchWorld();
    const file = o.db ?? scratch!.file;
    const host = o.url ? await s.remoteHost(file, o.url) : await s.inProcessHost(file);
    let summary;
    try {
      if (!o.json) {
        process.stdout.write(`${scenario.title}\n${scenario.summary}\n`);
        process.stdout.write(`(on ${o.db ?? `a scratch world of ${s.SCRATCH_PREMISES} premises`}, through ${host.where})\n\n`);
      }
      const run = new s.ScenarioRun(scenario, host);
      summary = await run.runAll((r) => {
        if (!o.json) process.stdout.write(s.formatStepResult(r, scenario.steps.length) + '\n\n');
      });
    } finally {
      await host.close();
      scratch?.cleanup();
    }
    if (o.json) out(true, summary, () => '');
    else process.stdout.write(`${summary.status === 'passed' ? 'PASSED' : 'FAILED'}: ${scenario.name} (${summary.results.filter((r) => r.ok).length} of ${scenario.steps.length} steps passed)\n`);
    if (summary.status !== 'passed') process.exitCode = 2;
  });

scenarioCmd
  .command('transfer-network')
  .description("move supply points to another network operator in registration data (e.g. National Grid -> Cadent), then list the devices still holding the outgoing operator's certificates and their remedy (MP128A)")
  .addOption(dbOption())
  .requiredOption('--from <eui>', 'the outgoing network operator')
  .requiredOption('--to <eui>', 'the incoming network operator')
  .option('--mpxn-prefix <digits>', 'only supply points whose MPAN/MPRN starts with these digits')
  .option('--limit <n>', 'devices listed', '20')
  .option('--remedy', "send the remedy as signed DUIS: the outgoing operator's 6.15.1 NOByNO (ACB certificates on GPFs), then the suppliers' 6.21 with the incoming operator's certificates")
  .option('--cease', 'after the remedy, let the outgoing operator cease to be a DCC User (refused while devices still hold its certificates)')
  .option('--url <url>', 'with --remedy: a running `dcc-sim serve` of the same --db (default: a DCC started in this process)')
  .addOption(jsonOption())
  .action(async (o: { db: string; from: string; to: string; mpxnPrefix?: string; limit: string; remedy?: boolean; cease?: boolean; url?: string; json?: boolean }) => {
    const c = await import('./compliance/index.ts');
    const from = parseEui(o.from);
    const to = parseEui(o.to);
    const limit = countArgument('--limit', o.limit);
    const result: Record<string, unknown> = {};
    const lines: string[] = [];
    const s = await import('./scenarios/index.ts');
    withWorld(o.db, (w) => {
      const t = c.transferNetwork(w, { from, to, mpxnPrefix: o.mpxnPrefix, limit });
      result.transfer = t;
      const name = (e: string | null) => (e ? (w.store.getParty(e)?.name ?? dashedEui(e)) : '-');
      lines.push(
        `registration data: ${t.moved} supply point(s)${t.mpxnPrefix ? ` with MPxN ${t.mpxnPrefix}*` : ''} moved from ${t.from.name} (${dashedEui(from)}) to ${t.to.name} (${dashedEui(to)})`,
        `${t.stranded.total} device(s) at ${t.to.name}'s supply points still hold ${t.from.name}'s certificates: ${t.to.name} cannot reach them (only the holder of a network operator cell can replace it)`,
      );
      if (t.stranded.total) {
        lines.push(
          '',
          table([
            ['EUI', 'TYPE', 'STATUS', 'MPxN', 'CELLS', 'SUPPLIER', 'REMEDY'],
            ...t.stranded.devices.map((d) => [dashedEui(d.eui), d.type, d.status, d.mpxn ?? '-', d.cells.join('+'), name(d.supplierEui), s.describeRemedy(d, w)]),
          ]),
          `(${t.stranded.devices.length} of ${t.stranded.total})`,
          '',
          `MP128A: before ceasing to be a DCC User ${t.from.name} replaces its certificates on the devices by the ACB's (6.15.1 NOByNO; on an ESME by the registered`,
          `operator's, as an ESME's network operator cells cannot hold the ACB's); then, where ${t.to.name} is a DCC User with certificates, the supplier`,
          `places them with 6.21. \`dcc-sim parties cease-dcc-user ${dashedEui(from)}\` is refused while any device holds ${t.from.name}'s certificates.`,
        );
        if (!o.remedy) lines.push('Run again with --remedy to send these requests (--cease to end with the cessation).');
      }
    });
    if (o.remedy) {
      const host = o.url ? await s.remoteHost(o.db, o.url) : await s.inProcessHost(o.db);
      try {
        const progress = progressBar('remedy');
        const sum = await s.remedyAll(host.world, host.driver, from, { registeredTo: to, mpxnPrefix: o.mpxnPrefix, onDevice: (_x, i, n) => progress?.(i + 1, n) });
        result.remedy = { ...sum, outcomes: sum.outcomes.map((x) => ({ device: x.device.eui, ok: x.ok, problem: x.problem, requests: x.sent.map((r) => ({ service: r.service, sender: r.sender, requestId: r.requestId, legs: r.legs, outcome: r.outcome, cellsChanged: r.cellsChanged })) })) };
        lines.push('', `remedy through ${host.where}: ${sum.remedied} of ${sum.devices} device(s) remedied, ${sum.failed} failed, ${sum.unreachable} with no remedy by DUIS`);
        for (const x of sum.outcomes.filter((y) => !y.ok).slice(0, 10)) lines.push(`  ${dashedEui(x.device.eui)}: ${x.problem}`);
        const after = sum.outcomes.map((x) => c.deviceCompliance(host.world, x.device.eui));
        const compliant = after.filter((d) => d?.state === 'compliant').length;
        result.complianceAfter = { devices: after.length, compliant };
        lines.push(`post-commissioning report for them now: ${compliant} of ${after.length} compliant`);
        if (o.cease) {
          try {
            const r = c.ceaseDccUser(host.world, from);
            result.cease = r;
            lines.push(`${r.party.name} ceased to be a DCC User at ${r.at}; ${r.revokedCertificates.length} of its certificates revoked`);
          } catch (err) {
            if (!(err instanceof c.CeaseRefused)) throw err;
            result.cease = { refused: err.message, devicesHoldingCertificates: err.refusal.devicesHoldingCertificates };
            lines.push(`cease-dcc-user refused: ${err.message}`);
            process.exitCode = 2;
          }
        }
        if (sum.failed) process.exitCode = 2;
      } finally {
        await host.close();
      }
    }
    out(o.json, result, () => lines.join('\n'));
  });

parties
  .command('cease-dcc-user <eui>')
  .description('a network party ceases to be a DCC User (MP128A): refused while devices hold its certificates; then its certificates are revoked')
  .addOption(dbOption())
  .addOption(jsonOption())
  .action(async (euiText: string, o: { db: string; json?: boolean }) => {
    const c = await import('./compliance/index.ts');
    withWorld(o.db, (w) => {
      let r;
      try {
        r = c.ceaseDccUser(w, parseEui(euiText));
      } catch (err) {
        if (err instanceof c.CeaseRefused) {
          const name = (e: string | null) => (e ? (w.store.getParty(e)?.name ?? dashedEui(e)) : '-');
          const sample = err.refusal.sample.map((d) => `  ${d.type} ${dashedEui(d.eui)} MPxN ${d.mpxn ?? '-'} registered to ${name(d.registeredNetworkOperatorEui)} (${d.cells.join('+')})`);
          throw new WorldError(err.code, `${err.message}\n${sample.join('\n')}${err.refusal.devicesHoldingCertificates > sample.length ? `\n  ... and ${err.refusal.devicesHoldingCertificates - sample.length} more` : ''}`);
        }
        throw err;
      }
      out(o.json, r, () => `${r.party.name} (${dashedEui(r.party.eui)}) is no longer a DCC User nor an SMKI Subscriber (${r.at}); revoked ${r.revokedCertificates.length} certificate(s): ${r.revokedCertificates.map((x) => x.serial).join(', ')}`);
    });
  });

// --- info ------------------------------------------------------------------------------------
program
  .command('info')
  .description('what a world file holds')
  .addOption(dbOption())
  .addOption(jsonOption())
  .action((o: { db: string; json?: boolean }) =>
    withWorld(o.db, (w) => {
      const info = {
        profile: w.store.getMeta(META.profile),
        seed: w.store.getMeta(META.seed),
        referenceTime: w.store.getMeta(META.referenceTime),
        parties: w.store.listParties().length,
        devices: w.store.countDevices(),
      };
      out(o.json, info, () => Object.entries(info).map(([k, v]) => `${k}: ${v}`).join('\n'));
    }),
  );

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as Error & { code?: string };
  process.stderr.write(`dcc-sim: ${e.message}\n`);
  if (process.env.DCC_SIM_DEBUG) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
}
