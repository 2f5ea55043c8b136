import {
  certificateToPem,
  dashedEui,
  issueDeviceCertificate,
  parseEui,
  PkiError,
  rawPublicKey,
  type Eui,
  type KeyUsage,
} from '../../pki/index.ts';
import { DuisRejection, readDuisSigner, signDuis, verifyDuisSignature, type DuisSigner } from '../../service-requests/index.ts';
import type { CertificateRecord } from '../../db/index.ts';
import { META, WorldError, type World } from '../world/index.ts';
import { parseDeviceCsr, csrDer, type DeviceCsr } from './csr.ts';
import { MP074_DEVICE_CERTIFICATES, SmkiRefusal } from './refusal.ts';
import { escapeXml, readFlatXml, xmlElements } from './xml.ts';

// The Ad Hoc Device CSR service (MP074): on the DCC Gateway connection only, from Authorised
// Subscribers for Device Certificates who have completed UEPT. The request is a small XML envelope
// signed like DUIS (enveloped XMLDSig, the requester's XML-signing key, KeyInfo X509IssuerSerial):
//
//   <DeviceCSRRequest xmlns="urn:dcc-sim:smki:1">
//     <Requester>90-B3-D5-1F-42-00-00-01</Requester>     the party asking (its EUI)
//     <DeviceID>00-DB-5A-0E-00-00-00-0D</DeviceID>       optional: must be the EUI the CSR names
//     <CSR>MIIB…</CSR>                                   PKCS#10, base64 DER or PEM text
//     <ds:Signature>…</ds:Signature>                     signDuis() with the requester's OU 87 key
//   </DeviceCSRRequest>
//
// The same CSR sent again returns the certificate already issued for that device key (a replay
// changes nothing).

export const SMKI_NS = 'urn:dcc-sim:smki:1';

export type SmkiInterface = 'gateway' | 'portal';

export interface DeviceCsrContext {
  world: World;
  now(): Date;
  /** which listener the request arrived on: only the gateway may act (MP074) */
  via: SmkiInterface;
  /** accept a party's organisation DS certificate as its XML signer (ZAZ1 worlds, as the DUIS pipeline does) */
  acceptOrganisationXmlSigners?: boolean;
}

export interface DeviceCertificateIssued {
  certificateId: number;
  der: Buffer;
  deviceEui: Eui;
  keyUsage: KeyUsage;
  serialHex: string;
  requester: Eui;
  /** true when the CSR's key had been certified before and that certificate is returned */
  existing: boolean;
}

/** The unsigned envelope (compact, ready for signDuis). */
export function buildDeviceCsrEnvelope(o: { requester: Eui; csr: Buffer | string; deviceId?: Eui }): string {
  const der = csrDer(o.csr);
  return (
    `<?xml version="1.0" encoding="UTF-8"?><DeviceCSRRequest xmlns="${SMKI_NS}">` +
    xmlElements([
      ['Requester', dashedEui(o.requester)],
      ['DeviceID', o.deviceId ? dashedEui(o.deviceId) : undefined],
      ['CSR', der.toString('base64')],
    ]) +
    '</DeviceCSRRequest>'
  );
}

/** The envelope signed with a party's XML-signing identity (see client.ts xmlSignerOf). */
export function signDeviceCsrEnvelope(o: { requester: Eui; csr: Buffer | string; deviceId?: Eui }, signer: DuisSigner): string {
  return signDuis(buildDeviceCsrEnvelope(o), signer);
}

interface Envelope {
  requester: Eui;
  deviceId: Eui | null;
  csr: string;
}

function readEnvelope(body: Buffer): Envelope {
  const head = body.subarray(0, 256).toString('latin1').replace(/^\uFEFF?\s*/, '').replace(/^\xEF\xBB\xBF\s*/, '');
  if (!head.startsWith('<')) {
    throw new SmkiRefusal(
      401,
      'unsigned',
      'a bare CSR identifies no one: send it in a DeviceCSRRequest envelope (Requester, optional DeviceID, CSR) signed with the requester\'s XML-signing key, as DUIS requests are (docs/smki.md)',
    );
  }
  const xml = readFlatXml(body);
  if (xml.root !== 'DeviceCSRRequest' || (xml.namespace !== null && xml.namespace !== SMKI_NS)) {
    throw new SmkiRefusal(400, 'bad-request', `expected a DeviceCSRRequest${xml.namespace ? ` in ${SMKI_NS}` : ''}, got ${xml.root}${xml.namespace ? ` in ${xml.namespace}` : ''}`);
  }
  const values = new Map<string, string>();
  for (const f of xml.fields) {
    if (f.name === 'Signature') continue;
    if (!['Requester', 'DeviceID', 'CSR'].includes(f.name)) throw new SmkiRefusal(400, 'bad-request', `DeviceCSRRequest has an unexpected element ${f.name} (Requester, DeviceID, CSR)`);
    if (values.has(f.name)) throw new SmkiRefusal(400, 'bad-request', `DeviceCSRRequest has more than one ${f.name}`);
    values.set(f.name, f.text);
  }
  const eui = (name: string, text: string | undefined): Eui | null => {
    if (text === undefined) return null;
    try {
      return parseEui(text);
    } catch (err) {
      throw new SmkiRefusal(400, 'bad-request', `${name}: ${(err as Error).message}`);
    }
  };
  const requester = eui('Requester', values.get('Requester'));
  if (!requester) throw new SmkiRefusal(400, 'bad-request', 'DeviceCSRRequest has no Requester (the EUI of the party asking)');
  const csr = values.get('CSR');
  if (!csr) throw new SmkiRefusal(400, 'bad-request', 'DeviceCSRRequest has no CSR');
  return { requester, deviceId: eui('DeviceID', values.get('DeviceID')), csr };
}

/** The requester is who it says: its XML-signing certificate (by KeyInfo serial) verifies the envelope. */
function authenticate(ctx: DeviceCsrContext, body: Buffer, requester: Eui): CertificateRecord {
  let signer;
  try {
    signer = readDuisSigner(body);
  } catch (err) {
    if (err instanceof DuisRejection) throw new SmkiRefusal(401, 'bad-signature', `the envelope's signature is not in the DUIS profile: ${err.reason}`);
    throw err;
  }
  if (!signer) throw new SmkiRefusal(401, 'unsigned', `the DeviceCSRRequest carries no ds:Signature; it must be signed with ${dashedEui(requester)}'s XML-signing key`);
  const store = ctx.world.store;
  const candidates = store.certificatesBySerial(signer.serialDecimal);
  const own = candidates.filter(
    (c) => c.subjectEui === requester && c.keyUsage === 'DS' && (c.kind === 'xml-signing' || (ctx.acceptOrganisationXmlSigners === true && c.kind === 'organisation')),
  );
  if (own.length === 0) {
    const other = candidates[0];
    throw new SmkiRefusal(
      401,
      'unknown-signer',
      other
        ? `certificate ${signer.serialDecimal} (KeyInfo) is not an XML-signing certificate of ${dashedEui(requester)}${other.subjectEui ? ` (it belongs to ${dashedEui(other.subjectEui)})` : ''}`
        : `no certificate with serial ${signer.serialDecimal} (KeyInfo X509SerialNumber) in the SMKI repository`,
    );
  }
  const live = own.filter((c) => c.revokedAt === null);
  if (live.length === 0) throw new SmkiRefusal(401, 'signer-revoked', `${dashedEui(requester)}'s XML-signing certificate ${signer.serialDecimal} is revoked (${own[0]!.revocationReason ?? 'no reason'}, ${own[0]!.revokedAt})`);
  let reason = 'the signature does not verify';
  for (const c of live) {
    const v = verifyDuisSignature(body, ctx.world.certificateFacts(c.id).publicKey);
    if (v.ok) return c;
    reason = v.reason ?? reason;
  }
  throw new SmkiRefusal(401, 'bad-signature', `the envelope's XML signature check failed: ${reason}`);
}

/** MP074: an Authorised Subscriber for Device Certificates who has completed UEPT. */
function authorise(ctx: DeviceCsrContext, requester: Eui): void {
  const party = ctx.world.store.getParty(requester);
  if (!party) throw new SmkiRefusal(403, 'unknown-party', `${dashedEui(requester)} is not a known party`);
  const who = `${party.name} (${dashedEui(requester)})`;
  if (!party.deviceSubscriber) {
    throw new SmkiRefusal(403, 'not-authorised-subscriber', `${who} is not an Authorised Subscriber for Device Certificates (MP074; \`dcc-sim parties set ${dashedEui(requester)} --device-subscriber true --db FILE\`)`);
  }
  if (!party.ueptCompleted) {
    throw new SmkiRefusal(403, 'uept-not-completed', `${who} has not completed User Entry Process Tests; MP074 admits device CSRs only from parties who have (\`dcc-sim parties set ${dashedEui(requester)} --uept true --db FILE\`)`);
  }
}

function checkDevice(ctx: DeviceCsrContext, csr: DeviceCsr, deviceId: Eui | null): void {
  if (deviceId !== null && deviceId !== csr.deviceEui) {
    throw new SmkiRefusal(422, 'device-mismatch', `DeviceID ${dashedEui(deviceId)} is not the device the CSR names in its hardwareModuleName (${dashedEui(csr.deviceEui)})`);
  }
  const store = ctx.world.store;
  if (store.getDevice(csr.deviceEui)) return;
  const party = store.getParty(csr.deviceEui);
  if (party) {
    throw new SmkiRefusal(422, 'not-a-device', `the CSR names ${dashedEui(csr.deviceEui)}, which is ${party.name}, a party, not a device: device certificates are for devices in the smart metering inventory`);
  }
  throw new SmkiRefusal(422, 'unknown-device', `device ${dashedEui(csr.deviceEui)} (the CSR's hwSerialNum) is not in the smart metering inventory`);
}

/** An unrevoked certificate the repository already holds for this device, usage and key. */
function alreadyCertified(world: World, csr: DeviceCsr): CertificateRecord | undefined {
  // The device's own (derived) key is certified already, even if nobody had looked at it yet. After a CS02c
  // the device's current key is a newer one than its recorded certificate's, hence the key comparison.
  const own = world.deviceKeys(csr.deviceEui);
  if ((csr.keyUsage === 'DS' ? own.dsKey : own.kaKey).point.equals(csr.publicKey)) {
    const mine = world.deviceCertificates(csr.deviceEui);
    const cert = csr.keyUsage === 'DS' ? mine.dsCertificate : mine.kaCertificate;
    if (cert.revokedAt === null && rawPublicKey(world.certificateFacts(cert.id).publicKey).equals(csr.publicKey)) return cert;
  }
  return world.store
    .searchCertificates({ eui: csr.deviceEui, kind: 'device', keyUsage: csr.keyUsage })
    .filter((c) => c.revokedAt === null)
    .find((c) => rawPublicKey(world.certificateFacts(c.id).publicKey).equals(csr.publicKey));
}

/** A certificate for the key the device now holds (one it generated on a CS02c) becomes its current one. */
function recordIfCurrent(world: World, csr: DeviceCsr, certificateId: number): void {
  const own = world.deviceKeys(csr.deviceEui);
  if (!(csr.keyUsage === 'DS' ? own.dsKey : own.kaKey).point.equals(csr.publicKey)) return;
  world.deviceCertificates(csr.deviceEui); // the credentials row exists from here on
  world.store.setDeviceCredentialId(csr.deviceEui, csr.keyUsage, certificateId);
}

/**
 * Handles a device CSR request as the DCC does: the interface, the requester's signature, MP074
 * authorisation, the CSR, the device; then issues from the world's device CA and stores the
 * certificate in the SMKI repository. Throws SmkiRefusal with the reason.
 */
export function handleDeviceCsr(ctx: DeviceCsrContext, body: Buffer): DeviceCertificateIssued {
  if (ctx.via !== 'gateway') throw new SmkiRefusal(403, 'wrong-interface', `device CSRs are not accepted on the SMKI portal interface. ${MP074_DEVICE_CERTIFICATES}`);
  if (!Buffer.isBuffer(body) || body.length === 0) throw new SmkiRefusal(400, 'bad-request', 'empty request: POST a signed DeviceCSRRequest (Content-Type application/xml)');
  const envelope = readEnvelope(body);
  authenticate(ctx, body, envelope.requester);
  authorise(ctx, envelope.requester);
  const csr = parseDeviceCsr(envelope.csr);
  checkDevice(ctx, csr, envelope.deviceId);

  const world = ctx.world;
  return world.store.transaction(() => {
    const known = alreadyCertified(world, csr);
    if (known) {
      recordIfCurrent(world, csr, known.id);
      return { certificateId: known.id, der: known.der, deviceEui: csr.deviceEui, keyUsage: csr.keyUsage, serialHex: known.serialHex, requester: envelope.requester, existing: true };
    }
    let der: Buffer;
    try {
      const dca = world.caHandle(META.deviceCaId);
      der = issueDeviceCertificate(dca, { deviceEui: csr.deviceEui, keyUsage: csr.keyUsage, publicKey: csr.publicKey, notBefore: ctx.now() });
    } catch (err) {
      if (err instanceof WorldError || err instanceof PkiError) throw new SmkiRefusal(503, 'cannot-issue', `the world's device CA cannot issue: ${err.message}`);
      throw err;
    }
    const party = world.store.getParty(envelope.requester);
    const id = world.registerCertificate(der, { label: `device ${dashedEui(csr.deviceEui)} ${csr.keyUsage} (CSR from ${party?.name ?? dashedEui(envelope.requester)})` });
    const record = world.certificate(id);
    recordIfCurrent(world, csr, id);
    return { certificateId: id, der, deviceEui: csr.deviceEui, keyUsage: csr.keyUsage, serialHex: record.serialHex, requester: envelope.requester, existing: false };
  });
}

/** The answer in XML (the default) or JSON. */
export function deviceCsrAnswer(
  outcome: DeviceCertificateIssued | SmkiRefusal,
  json: boolean,
): { status: number; contentType: string; body: string } {
  if (outcome instanceof SmkiRefusal) {
    if (json) return { status: outcome.status, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error: outcome.reason, code: outcome.code }) };
    return {
      status: outcome.status,
      contentType: 'application/xml; charset=utf-8',
      body:
        `<?xml version="1.0" encoding="UTF-8"?><DeviceCSRResponse xmlns="${SMKI_NS}">` +
        xmlElements([
          ['ResponseCode', outcome.status],
          ['ResponseMessage', outcome.reason],
          ['Refusal', outcome.code],
        ]) +
        '</DeviceCSRResponse>',
    };
  }
  const status = outcome.existing ? 200 : 201;
  const message = outcome.existing ? 'Device certificate already issued for this key' : 'Device certificate issued';
  if (json) {
    return {
      status,
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({
        message,
        certificateId: outcome.certificateId,
        deviceId: dashedEui(outcome.deviceEui),
        keyUsage: outcome.keyUsage,
        serial: outcome.serialHex,
        existing: outcome.existing,
        pem: certificateToPem(outcome.der),
      }),
    };
  }
  return {
    status,
    contentType: 'application/xml; charset=utf-8',
    body:
      `<?xml version="1.0" encoding="UTF-8"?><DeviceCSRResponse xmlns="${SMKI_NS}">` +
      xmlElements([
        ['ResponseCode', status],
        ['ResponseMessage', message],
        ['DeviceID', dashedEui(outcome.deviceEui)],
        ['CertificateSerial', outcome.serialHex],
        ['CertificateUsage', outcome.keyUsage],
        ['Existing', outcome.existing],
      ]) +
      `<CertificateBody>${escapeXml(outcome.der.toString('base64'))}</CertificateBody></DeviceCSRResponse>`,
  };
}
