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

/** How many request-log ids this server remembers having seen (its own and its peers'), to replay a gap without repeats. */
const REMEMBERED_IDS = 10_000;
/**
 * How far below the highest id seen a replay looks: ids are drawn when a request is logged, so a peer's request
 * may commit after one with a higher id; its id is found again within this margin.
 */
const REPLAY_MARGIN = 1_000;
/** At most this many requests are replayed after one gap; the rest are in the request log, and said so. */
const REPLAY_LIMIT = 5_000;

/** Hears what the world's other servers commit and emits it on this server's Dcc as `peer-<event>`. */
export class PeerEvents {
  private readonly listener: PgListener;
  private readonly ownPid: number;
  /** request-log ids seen committed, this server's and its peers', oldest first */
  private readonly seen = new Set<number>();
  private highest = 0;
  private readonly onOwnRequest = (e: RequestEvent) => this.remember(e.id);

  /** Listens for a PostgreSQL world's Dcc; undefined for SQLite (one process, nobody to hear). */
  static start(dcc: Dcc, o: PeerEventsOptions = {}): PeerEvents | undefined {
    const pg = postgresOf(dcc.world.store.db);
    return pg ? new PeerEvents(dcc, pg, o) : undefined;
  }

  private constructor(
    private readonly dcc: Dcc,
    private readonly pg: PgDatabase,
    private readonly o: PeerEventsOptions,
  ) {
    // This server's own NOTIFYs come back to its listener too: they are told apart by the sending connection.
    this.ownPid = pg.backendPid();
    this.highest = (pg.query('SELECT coalesce(max(id), 0) AS n FROM requests')[0] as { n: number }).n;
    dcc.on('request', this.onOwnRequest);
    // DCC_SIM_PEER_RETRY_MS: how long a lost listening connection waits before listening again (default 1 s)
    const retryMs = Number(process.env.DCC_SIM_PEER_RETRY_MS) || undefined;
    this.listener = new PgListener(pg.url, [PEER_CHANNEL], (n) => this.hear(n), {
      ...(retryMs ? { retryMs } : {}),
      onError: (err) => o.log?.('error', `live events of the world's other servers: ${err.message}`),
      onReconnect: () => this.replayGap(),
    });
  }

  private remember(id: number): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > REMEMBERED_IDS) this.seen.delete(this.seen.values().next().value!);
    if (id > this.highest) this.highest = id;
    return true;
  }

  private hear(n: PgNotification): void {
    if (n.senderPid === this.ownPid) return;
    const { e, d } = JSON.parse(n.payload) as { e: string; d: unknown };
    if (!PEER_EVENTS.has(e)) return;
    // a request the replay of a gap already told of (its commit raced the listener's return)
    if (e === 'request' && !this.remember((d as PeerRequestEvent).id)) return;
    this.dcc.emit(`peer-${e}`, d);
  }

  /**
   * Listening again after the connection was lost: what the other servers committed meanwhile was NOTIFYed to
   * nobody. Their requests are read back from the request log (each once: the live views and the metrics show
   * them as if heard); the changed cells and DCC orders of the gap are not.
   */
  private replayGap(): void {
    let rows: { id: number; path: string; response_code: string; final_response_code: string | null; device_alert_code: string | null }[];
    try {
      rows = this.pg.query(
        `SELECT id, path, response_code, final_response_code, device_alert_code FROM requests WHERE id > $1 ORDER BY id LIMIT ${REPLAY_LIMIT + 1}`,
        [Math.max(0, this.highest - REPLAY_MARGIN)],
      ) as typeof rows;
    } catch (err) {
      this.o.log?.('warn', `listening to the world's other servers again; reading back what they did meanwhile failed (${(err as Error).message}): it is in the request log, not in the live views`);
      return;
    }
    let told = 0;
    for (const r of rows.slice(0, REPLAY_LIMIT)) {
      if (!this.remember(r.id)) continue;
      const e: PeerRequestEvent = {
        id: r.id, endpoint: r.path as PeerRequestEvent['endpoint'], responseCode: r.response_code, finalResponseCode: r.final_response_code ?? r.response_code,
        deviceAlertCode: r.device_alert_code, queued: [],
      };
      this.dcc.emit('peer-request', e);
      told++;
    }
    const more = rows.length > REPLAY_LIMIT ? `; more than ${REPLAY_LIMIT}: the rest are in the request log only` : '';
    this.o.log?.('warn', `listening to the world's other servers again: ${told} request(s) they answered meanwhile read back from the request log (their changed cells are not in the live views)${more}`);
  }

  close(): void {
    this.dcc.off('request', this.onOwnRequest);
    this.listener.close();
  }
}
