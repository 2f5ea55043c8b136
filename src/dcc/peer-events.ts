import { hostname } from 'node:os';
import { PgListener, postgresOf, type PgDatabase, type PgNotification } from '../../db/index.ts';
import type { Dcc, RequestEvent } from './dcc.ts';

// Several servers on one PostgreSQL world: what each commits, the others hear of. The Dcc NOTIFYs
// its live events (a request answered, cells changed, a DCC order's rows) on PEER_CHANNEL once
// the transaction that wrote them has committed, as it emits them itself (never for one rolled
// back or run again); each server LISTENs on a connection of its own (PgListener) and emits what
// another process sent as 'peer-<event>' on its Dcc, which the console's live stream and the
// metrics take up. SQLite worlds have one process: nothing is sent or heard.

export const PEER_CHANNEL = 'dcc_sim_events';

/** The Dcc events another server on the world is told of; it hears them as `peer-<event>`. */
export const PEER_EVENTS: ReadonlySet<string> = new Set(['request', 'cells', 'dcc-order']);

/**
 * What another server is told of a request it did not handle: its request-log row (the rest is
 * read from there) and what the metrics count. The steps and their timings stay with the server
 * that ran it.
 */
export type PeerRequestEvent = Pick<RequestEvent, 'id' | 'endpoint' | 'responseCode' | 'finalResponseCode' | 'deviceAlertCode' | 'queued'>;

/** This server, among those on the world (its metrics say which it is). */
export const SERVER_NAME = `dcc-sim ${process.pid}@${hostname()}`;

// PostgreSQL refuses a payload of 8000 bytes or more; what would not fit is sent in parts.
const MAX_PAYLOAD = 7900;
const IDS_PER_ORDER = 500;

/** The payloads that tell other servers of an event (none for one they are not told of). */
export function peerPayloads(event: string, data: unknown): string[] {
  if (event === 'request') {
    const e = data as RequestEvent;
    const told: PeerRequestEvent = { id: e.id, endpoint: e.endpoint, responseCode: e.responseCode, finalResponseCode: e.finalResponseCode, deviceAlertCode: e.deviceAlertCode, queued: e.queued };
    let payload = JSON.stringify({ e: event, d: told });
    // hundreds of alerts queued by one request: counted here, not there
    if (payload.length > MAX_PAYLOAD) payload = JSON.stringify({ e: event, d: { ...told, queued: [] } });
    return [payload];
  }
  if (event === 'dcc-order') {
    const ids = (data as { requestLogIds: number[] }).requestLogIds;
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_ORDER) out.push(JSON.stringify({ e: event, d: { requestLogIds: ids.slice(i, i + IDS_PER_ORDER) } }));
    return out;
  }
  if (event === 'cells') {
    const payload = JSON.stringify({ e: event, d: data });
    return payload.length > MAX_PAYLOAD ? [] : [payload];
  }
  return [];
}

/**
 * Tells the world's other servers of an event, once it has committed (a NOTIFY of its own: see
 * PgDatabase.notify). Failing to is not the caller's failure: what it tells of is in the world,
 * only the others' live views miss it.
 */
export function tellPeers(pg: PgDatabase, event: string, data: unknown): void {
  try {
    pg.notify(PEER_CHANNEL, peerPayloads(event, data));
  } catch {
    // the request log has it; the live views of the other servers do not
  }
}

export interface PeerEventsOptions {
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** Hears what the world's other servers commit and emits it on this server's Dcc as `peer-<event>`. */
export class PeerEvents {
  /** heard from other processes, since started */
  heard = 0;
  private readonly listener: PgListener;
  private readonly ownPid: number;

  /** Listens for a PostgreSQL world's Dcc; undefined for SQLite (one process, nobody to hear). */
  static start(dcc: Dcc, o: PeerEventsOptions = {}): PeerEvents | undefined {
    const pg = postgresOf(dcc.world.store.db);
    return pg ? new PeerEvents(dcc, pg, o) : undefined;
  }

  private constructor(
    private readonly dcc: Dcc,
    pg: PgDatabase,
    o: PeerEventsOptions,
  ) {
    // This server's own NOTIFYs come back to its listener too: they are told apart by the sending connection.
    this.ownPid = pg.backendPid();
    this.listener = new PgListener(pg.url, [PEER_CHANNEL], (n) => this.hear(n), {
      onError: (err) => o.log?.('error', `live events of the world's other servers: ${err.message}`),
      onReconnect: () => o.log?.('warn', "listening to the world's other servers again: what they did meanwhile is in the request log, not in the live views"),
    });
  }

  private hear(n: PgNotification): void {
    if (n.senderPid === this.ownPid) return;
    const { e, d } = JSON.parse(n.payload) as { e: string; d: unknown };
    if (!PEER_EVENTS.has(e)) return;
    this.heard++;
    this.dcc.emit(`peer-${e}`, d);
  }

  close(): void {
    this.listener.close();
  }
}
