import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { certificateToPem, parseEui } from '../../pki/index.ts';
import { issueOrganisationCertificateFor, revokeCertificate, SimulatedClock, summariseCertificate, World, WorldError, type CertificateSummary } from '../world/index.ts';
import { countArgument, dbOption, jsonOption, out, withWorld } from './options.ts';
import { table } from './output.ts';

// `certs ...`: the SMKI repository: search, show, export, issue, revoke, and device CSRs sent to the gateway.

const certRows = (list: CertificateSummary[]) =>
  table([
    ['ID', 'SERIAL', 'KIND', 'HOLDER', 'ROLE', 'USAGE', 'VALID TO', 'REVOKED'],
    ...list.map((c) => [String(c.id), c.serial, c.kind, c.holder ?? '-', c.role ?? '-', c.keyUsage, c.notAfter.slice(0, 10), c.revoked ? 'yes' : '']),
  ]);

function findCertificate(w: World, ref: string) {
  const asId = /^#?\d{1,9}$/.test(ref) ? w.store.getCertificate(Number(ref.replace('#', ''))) : undefined;
  if (asId && !ref.startsWith('#') && ref.length > 9) return asId;
  const bySerial = w.store.searchCertificates({ serial: ref, limit: 2 });
  if (bySerial.length === 1) return bySerial[0]!;
  if (asId) return asId;
  throw new WorldError('unknown-certificate', `no certificate with id or serial '${ref}'`);
}

export function registerCerts(program: Command): void {
  const certs = program.command('certs').description('the SMKI repository');
  certs
    .command('list')
    .description('search the SMKI repository: certificates by holder, role, usage, serial, SKI or kind')
    .addOption(dbOption())
    .option('--eui <eui>', 'subject EUI')
    .option('--role <role>', 'remote party role code (decimal, or hex like 0x87)')
    .addOption(new Option('--usage <usage>', 'key usage: digital signing, key agreement or CA').choices(['DS', 'KA', 'CA']))
    .option('--serial <serial>', 'decimal, or hex with 0x')
    .option('--ski <ski>', 'subject key identifier (hex)')
    .addOption(new Option('--kind <kind>', 'what the certificate is').choices(['root', 'issuing-ca', 'device-ca', 'organisation', 'xml-signing', 'device']))
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
  certs
    .command('show')
    .argument('<ref>', 'repository id (#12 or 12) or serial (decimal, or hex with 0x)')
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
    .command('export')
    .argument('<ref>', 'repository id (#12 or 12) or serial (decimal, or hex with 0x)')
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
    .addOption(new Option('--usage <usage>', 'key usage: digital signing or key agreement').choices(['DS', 'KA']).makeOptionMandatory())
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
    .command('revoke')
    .argument('<ref>', 'repository id (#12 or 12) or serial (decimal, or hex with 0x)')
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
    .command('request-device')
    .argument('<csr>', "the device's certificate signing request: a PEM or DER file")
    .description("send a device's CSR (PEM or DER file) to the gateway's device CSR service, signed as the requesting party (MP074: an Authorised Subscriber for Device Certificates with UEPT); prints the device certificate")
    .addOption(dbOption())
    .requiredOption('--as <eui>', "the requesting party: its XML-signing key from the world signs the request")
    .option('--device <eui>', 'the device the CSR is for (checked against the CSR)')
    .option('--url <url>', 'dcc-sim gateway base URL (not the SMKI portal: it refuses device CSRs)', 'http://127.0.0.1:8079')
    .option('--out <file>', 'write the certificate (PEM) to a file')
    .addOption(jsonOption())
    .action(async (file: string, o: { db: string; as: string; device?: string; url: string; out?: string; json?: boolean }) => {
      const { signDeviceCsrEnvelope } = await import('../smki/index.ts');
      const { xmlSignerOf } = await import('../client.ts');
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
}
