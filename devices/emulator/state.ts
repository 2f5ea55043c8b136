/**
 * A device's security state (gbcs-cs02b.md §7.2) and its credentials. Plain data: the caller persists the
 * state a command returns together with the response it produced.
 */
import type { CertificateFacts, Eui, P256PrivateKey, ScalarKey } from '../../pki/index.ts';
import type { CellId } from '../gbcs/cell-id.ts';
import { factsOf } from './certificate-cache.ts';
import type { DeviceAppState } from './app-state.ts';
import { CELL_IDS, type CellName, type DeviceType, cellsOf, hasCell, isDeviceType } from './cells.ts';

export interface PendingCommand {
  /** Originator counter of the future-dated command. */
  counter: bigint;
  originator: Eui;
  executeAt: Date;
  /** The authenticated general-signing APDU as received (without the MAC wrapper). */
  command: Buffer;
}

export interface DeviceSecurityState {
  eui: Eui;
  type: DeviceType;
  /** DER of the certificate each cell holds. */
  cells: Partial<Record<CellName, Buffer>>;
  /** Per remote party role: the last accepted originator counter, or the floor a CS02b set. */
  seqNumbers: Partial<Record<number, bigint>>;
  /** Supplier prepayment top-up specialist floor. */
  topUpSeqNumber: bigint;
  /** The last alert counter used; the next alert carries alertCounter + 1. */
  alertCounter: bigint;
  pending: PendingCommand[];
  /**
   * How many key pairs of each usage the device has generated on command (CS02c); absent or 0: the pair it was
   * made with. The caller derives `DeviceCredentials` from it, so a new pair is used from the next command on.
   */
  keyGenerations?: Partial<Record<'DS' | 'KA', number>>;
  /** what commands changed beyond the cells (app-state.ts); absent until a command changes something */
  app?: DeviceAppState;
  /**
   * An ESME's variant as made (DUIS ESMEVariant: A… single element, B… twin element, C… polyphase): a twin-element
   * ESME answers its reads with its secondary element's registers too. Absent: single element.
   */
  esmeVariant?: string;
  /**
   * The root's contingency public key as the device holds it: wrapped under a symmetric key only a
   * contingency command reveals (gbcs/contingency.ts). Absent: the device holds none, or has used it (spent).
   */
  rootContingencyKey?: Buffer;
}

/**
 * A device's own private keys, and its own certificates. Only CS02e reads the certificates and only CS02d
 * replaces one, so they are a function (the world issues them on first use) rather than part of the
 * security state every command loads; a CS02d outcome carries the replacement for the caller to persist.
 */
export interface DeviceCredentials {
  dsKey: P256PrivateKey;
  kaKey: P256PrivateKey;
  /**
   * Makes the key pair of a generation (CS02c): the caller's source of new keys (the world derives them from its
   * secret, so a seeded world stays deterministic). A device without it cannot generate keys.
   */
  generateKey?(usage: 'DS' | 'KA', generation: number): ScalarKey;
  /** the device's DS and KA certificates as it holds them; absent: the device holds none it can provide */
  ownCertificates?(): { DS: Buffer; KA: Buffer };
}

export const ZERO_ID = '0000000000000000';

export function cloneState(s: DeviceSecurityState): DeviceSecurityState {
  return {
    eui: s.eui,
    type: s.type,
    cells: { ...s.cells },
    seqNumbers: { ...s.seqNumbers },
    topUpSeqNumber: s.topUpSeqNumber,
    alertCounter: s.alertCounter,
    pending: s.pending.map((p) => ({ ...p })),
    ...(s.keyGenerations ? { keyGenerations: { ...s.keyGenerations } } : {}),
    ...(s.app ? { app: structuredClone(s.app) } : {}),
    ...(s.esmeVariant ? { esmeVariant: s.esmeVariant } : {}),
    ...(s.rootContingencyKey ? { rootContingencyKey: s.rootContingencyKey } : {}),
  };
}

/** Programming errors in what the caller hands over throw TypeError; they are not the device's to refuse. */
export function checkInputs(state: DeviceSecurityState, creds: DeviceCredentials, now: Date): void {
  if (!state || typeof state.eui !== 'string' || !/^[0-9A-F]{16}$/.test(state.eui)) {
    throw new TypeError(`device state: eui '${String(state?.eui)}' is not 16 upper-case hex digits`);
  }
  if (!isDeviceType(state.type)) throw new TypeError(`device state: type '${String(state.type)}' is not ESME, GSME, GPF or CHF`);
  // `in`, not a read: a world's device derives its DS key only when it signs (src/world/world.ts deviceKeys)
  if (!creds || !('dsKey' in creds) || !creds.kaKey) throw new TypeError('device credentials: dsKey and kaKey are required');
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('now must be a valid Date');
}

/** Subject unique ID and SKI a cell reports (zeros for an empty cell or the EUI-less root). */
export function idsOf(der: Buffer | undefined): { uid: string; ski: string } {
  if (!der) return { uid: ZERO_ID, ski: ZERO_ID };
  const f = factsOf(der);
  if (!f) return { uid: ZERO_ID, ski: ZERO_ID };
  return { uid: f.subjectEui ?? ZERO_ID, ski: ski8(f) };
}

/** SMKI key identifiers are 8 octets; a foreign one is cut to its first 8 so it still fits the response. */
function ski8(f: CertificateFacts): string {
  if (/^[0-9A-F]{16}$/.test(f.ski)) return f.ski;
  if (f.ski.length > 16) return f.ski.slice(0, 16);
  return ZERO_ID;
}

/** A fresh device state: empty counters, no pending commands. */
export function newDeviceState(eui: Eui, type: DeviceType, cells: Partial<Record<CellName, Buffer>> = {}): DeviceSecurityState {
  if (!isDeviceType(type)) throw new TypeError(`type '${String(type)}' is not ESME, GSME, GPF or CHF`);
  for (const name of Object.keys(cells) as CellName[]) {
    if (!hasCell(type, name)) throw new TypeError(`a ${type} has no ${name} cell`);
  }
  return { eui, type, cells: { ...cells }, seqNumbers: {}, topUpSeqNumber: 0n, alertCounter: 0n, pending: [] };
}

export interface CellReport {
  name: CellName;
  id: CellId;
  /** Null when the cell is empty or its certificate cannot be parsed. */
  subjectUniqueId: string | null;
  subjectKeyId: string | null;
  state: 'filled' | 'empty' | 'unparseable';
}

/** The cells of a device as CS02a would describe them, for logs and the console. */
export function describeCells(state: DeviceSecurityState): CellReport[] {
  return cellsOf(state.type).map((name) => {
    const der = state.cells[name];
    const f = der ? factsOf(der) : null;
    return {
      name,
      id: { ...CELL_IDS[name] },
      subjectUniqueId: f ? (f.subjectEui ?? ZERO_ID) : null,
      subjectKeyId: f ? ski8(f) : null,
      state: der ? (f ? 'filled' : 'unparseable') : 'empty',
    };
  });
}
