/**
 * The GBCS of the ESME reads (DUIS section 4; catalogue.md §3.1), shared by the section-4 service modules: a
 * sensitive read is an action on a class-30 data-protection object listing what it protects (a log with its
 * date range); a plain read is a list of gets; a log is a get-with-selection by date range. The body codecs of
 * the section-4 request bodies are here too, and `readService`, the shape of every section-4 module: the ESME
 * command from here, the GSME's from gsme-reads.ts.
 */
import {
  dlms, encodeAccessRequest, encodeDlmsDateTime, invokeIdFor, obis, type AccessSpec, type DlmsData,
} from '../../devices/index.ts';
import type { Eui } from '../../pki/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import type { BodyField, ExampleContext } from '../service.ts';
import { deviceCommandService, emptyBody, executionOnlyBody, type CommandTime, type GbcsCommand, type Sender } from './device-command.ts';
import { gsmeReadCommand } from './gsme-reads.ts';

const { Sequence, checkAttributes, readDateTime, el, textEl, writeDateTime, writeExecution } = bodyKit;

// ---------------------------------------------------------------- bodies

/** ReadLogFutureDatable (and its URP form): an optional ExecutionDateTime, the log period, a URP's KA certificate. */
export interface ReadLogBody<K extends string = string> {
  kind: K;
  executionDateTime?: Date;
  start: Date;
  end: Date;
  /** the requesting supplier's KA certificate when its key is not on the device (URP) */
  kaCertificate?: Buffer;
}

export function readLogBody<const K extends string>(element: K, urp: boolean): BodyCodec<ReadLogBody<K>> {
  return {
    element,
    read(item, path, ctx) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const exec = s.optional('ExecutionDateTime');
      const period = s.required('ReadLogPeriod');
      const cert = urp ? s.optional('KAPublicSecurityCredentials') : undefined;
      s.end();
      const pp = `${path}/sr:ReadLogPeriod`;
      checkAttributes(period, pp);
      const ps = new Sequence(period, pp);
      const start = readDateTime(ps.required('StartDateTime'), `${pp}/sr:StartDateTime`);
      const end = readDateTime(ps.required('EndDateTime'), `${pp}/sr:EndDateTime`);
      ps.end();
      const body: ReadLogBody<K> = { kind: element, start, end };
      if (exec) body.executionDateTime = readDateTime(exec, `${path}/sr:ExecutionDateTime`);
      if (cert) body.kaCertificate = ctx.certificate(cert, `${path}/sr:KAPublicSecurityCredentials`);
      return body;
    },
    write(b) {
      const period = el('ReadLogPeriod', textEl('StartDateTime', writeDateTime(b.start, 'body.start')) + textEl('EndDateTime', writeDateTime(b.end, 'body.end')));
      const cert = b.kaCertificate ? textEl('KAPublicSecurityCredentials', Buffer.from(b.kaCertificate).toString('base64')) : '';
      return writeExecution(b.executionDateTime) + period + cert;
    },
  };
}

// ---------------------------------------------------------------- GBCS

const RANGE_CLOCK = obis('0-0:94.44.100.255');
const Y2000 = Date.UTC(2000, 0, 1);
const seconds = (d: Date): DlmsData => dlms.dlu(Math.max(0, Math.floor((d.getTime() - Y2000) / 1000)));

/** What a data-protection read protects: an attribute, a log's with a date range. */
export interface Protected {
  classId: number;
  obis: string;
  attribute: number;
  range?: { from: Date; to: Date };
}

/** The requester and device as the protection parameters name them (the probe of the device type has none). */
function parties(at: CommandTime): { originator: Eui; target: Eui } {
  return { originator: at.originator ?? '0000000000000000', target: at.target ?? '0000000000000000' };
}

/** Action get_protected_attributes (method 1) on 0-0:43.2.n.255, asking for authenticated and encrypted data. */
export function protectedRead(at: CommandTime, n: number, objects: readonly Protected[]): Buffer {
  const { originator, target } = parties(at);
  const tid = Buffer.alloc(9);
  tid[0] = 0x04;
  tid.writeBigUInt64BE(at.counter, 1);
  const list = dlms.array(objects.map((o) => dlms.structure(
    dlms.longUnsigned(o.classId), dlms.octets(obis(o.obis)), dlms.integer(o.attribute), dlms.longUnsigned(0),
    o.range
      ? dlms.structure(dlms.enum(1), dlms.structure(dlms.octets(encodeDlmsDateTime(o.range.from)), dlms.octets(encodeDlmsDateTime(o.range.to))))
      : dlms.structure(dlms.enum(0), dlms.null()),
  )));
  const protection = dlms.array([dlms.structure(dlms.enum(2), dlms.structure(
    dlms.octets(tid), dlms.octets(originator), dlms.octets(target), dlms.octets(Buffer.alloc(0)),
    dlms.structure(dlms.enum(2), dlms.structure(dlms.octets('02'), dlms.octets(Buffer.alloc(0)))),
  ))]);
  return encodeAccessRequest({
    invokeId: invokeIdFor(at.counter),
    specs: [{ kind: 'action', classId: 30, obis: obis(`0-0:43.2.${n}.255`), id: 1 }],
    data: [dlms.structure(list, protection)],
  });
}

export type Get = readonly [classId: number, obis: string, attribute: number] | { log: string; from: Date; to: Date };

/** Gets of attributes and logs (a log: attribute 2 of a profile, selected by date range), in order. */
export function gets(at: CommandTime, list: readonly Get[]): Buffer {
  const specs: AccessSpec[] = list.map((g) => ('log' in g
    ? {
      kind: 'get-with-selection', classId: 7, obis: obis(g.log), id: 2, selector: 1,
      parameters: dlms.structure(dlms.structure(dlms.longUnsigned(1), dlms.octets(RANGE_CLOCK), dlms.integer(2), dlms.longUnsigned(0)), seconds(g.from), seconds(g.to), dlms.array([])),
    }
    : { kind: 'get', classId: g[0], obis: obis(g[1]), id: g[2] }));
  return encodeAccessRequest({ invokeId: invokeIdFor(at.counter), specs, data: specs.map(() => dlms.null()) });
}

// ---------------------------------------------------------------- the module shape

type EsmeCommand<B> = (body: B, at: CommandTime) => GbcsCommand;

export interface ReadServiceDef<B extends { kind: string }> {
  variant: string;
  displayName: string;
  body: BodyCodec<B>;
  sender: Sender;
  esme: EsmeCommand<B>;
  example: { name: string; body(ctx: ExampleContext): B };
  /** the ACB sends it on the User's behalf (‡) */
  viaAcb?: boolean;
  localDelivery?: boolean;
  describe?(body: B): BodyField[];
}

/** A section-4 read: the ESME's command from `esme`, any other device type's from the GSME reads (E11 if none). */
export function readService<B extends { kind: string }>(def: ReadServiceDef<B>) {
  return deviceCommandService<B>({
    variant: def.variant,
    displayName: def.displayName,
    body: def.body,
    sender: def.sender,
    command(body, type, at) {
      if (type === 'ESME') {
        const c = def.esme(body, at);
        // A URP read (the requester's KA certificate in the body) goes from the ACB, the certificate with it.
        const urpCertificate = urpCertificateOf(body);
        return urpCertificate ? { ...c, viaAcb: true, urpCertificate } : def.viaAcb ? { ...c, viaAcb: true } : c;
      }
      return gsmeReadCommand(def.variant, body, type, at) ?? `${def.displayName} is not served for a ${type}`;
    },
    example: def.example,
    ...(def.localDelivery ? { localDelivery: true } : {}),
    describe: def.describe ?? ((b) => describeRead(b)),
  });
}

function urpCertificateOf(b: object): Buffer | undefined {
  return (b as Partial<ReadLogBody>).kaCertificate;
}

function describeRead(b: object): BodyField[] {
  const out: BodyField[] = [];
  const r = b as Partial<ReadLogBody>;
  if (r.executionDateTime) out.push({ label: 'ExecutionDateTime', value: r.executionDateTime.toISOString() });
  if (r.start && r.end) out.push({ label: 'ReadLogPeriod', value: `${r.start.toISOString()} – ${r.end.toISOString()}` });
  if (r.kaCertificate) out.push({ label: 'KAPublicSecurityCredentials', certificate: r.kaCertificate });
  return out;
}

export { emptyBody, executionOnlyBody };

/** An example's log period: the last whole UTC day. */
export function lastDay(): { start: Date; end: Date } {
  const end = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  return { start: new Date(end.getTime() - 86_400_000), end };
}
