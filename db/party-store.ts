// Parties: the DCC Users and SMKI Subscribers of the world, their flags, user roles and response URLs.
import type { SqliteDatabase } from './world-db.ts';
import { WorldDbError } from './world-db.ts';

import type { UserRole } from '../pki/index.ts';
export { USER_ROLES } from '../pki/index.ts';
export type { UserRole } from '../pki/index.ts';

export interface Party {
  eui: string;
  name: string;
  dccUser: boolean;
  smkiSubscriber: boolean;
  ueptCompleted: boolean;
  isDcc: boolean;
  responseUrl: string | null;
  userRoles: UserRole[];
  /** MP074: an Authorised Subscriber for Device Certificates (migration 4); false when not given */
  deviceSubscriber?: boolean;
}

/** Party flags the SMKI Registration Authority and the DCC set (`dcc-sim parties set`). */
export interface PartyFlags {
  dccUser?: boolean;
  smkiSubscriber?: boolean;
  ueptCompleted?: boolean;
  deviceSubscriber?: boolean;
}

/** A Party's columns, in the order partyFromArray reads them */
const PARTY_COLUMNS = 'eui, name, dcc_user, smki_subscriber, uept_completed, is_dcc, response_url, device_subscriber';

// Rows as arrays: every request reads its sender, and better-sqlite3 builds an object row a property at a
// time (~2,500 instructions a column, bench/measurements.md).
function partyFromArray(r: unknown[], roles: UserRole[]): Party {
  return {
    eui: r[0] as string,
    name: r[1] as string,
    dccUser: r[2] === 1,
    smkiSubscriber: r[3] === 1,
    ueptCompleted: r[4] === 1,
    isDcc: r[5] === 1,
    responseUrl: (r[6] as string | null) ?? null,
    userRoles: roles,
    deviceSubscriber: r[7] === 1,
  };
}

/** Queries of the parties and party_user_roles tables; statements are prepared once. */
export class PartyStore {
  private readonly stmts;

  constructor(readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      partyInsert: p(
        `INSERT INTO parties (eui, name, dcc_user, smki_subscriber, uept_completed, is_dcc, response_url)
         VALUES (@eui, @name, @dccUser, @smkiSubscriber, @ueptCompleted, @isDcc, @responseUrl)`,
      ),
      partyRoleInsert: p('INSERT INTO party_user_roles (party_eui, user_role) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      partyGet: p('SELECT * FROM parties WHERE eui = ?'),
      partyGetRaw: p(`SELECT ${PARTY_COLUMNS} FROM parties WHERE eui = ?`).raw(),
      partyRoles: p('SELECT user_role FROM party_user_roles WHERE party_eui = ? ORDER BY user_role').pluck(),
      partyList: p(`SELECT ${PARTY_COLUMNS} FROM parties ORDER BY eui`).raw(),
      partySetResponseUrl: p('UPDATE parties SET response_url = ? WHERE eui = ?'),
      partySetDccUser: p('UPDATE parties SET dcc_user = ? WHERE eui = ?'),
    };
  }

  insertParty(p: Party): void {
    this.stmts.partyInsert.run({
      eui: p.eui,
      name: p.name,
      dccUser: p.dccUser ? 1 : 0,
      smkiSubscriber: p.smkiSubscriber ? 1 : 0,
      ueptCompleted: p.ueptCompleted ? 1 : 0,
      isDcc: p.isDcc ? 1 : 0,
      responseUrl: p.responseUrl,
    });
    for (const role of p.userRoles) this.stmts.partyRoleInsert.run(p.eui, role);
    if (p.deviceSubscriber) this.setPartyFlags(p.eui, { deviceSubscriber: true });
  }

  getParty(eui: string): Party | undefined {
    const r = this.stmts.partyGetRaw.get(eui) as unknown[] | undefined;
    return r ? partyFromArray(r, this.rolesOf(eui)) : undefined;
  }

  listParties(): Party[] {
    return (this.stmts.partyList.all() as unknown[][]).map((r) => partyFromArray(r, this.rolesOf(r[0] as string)));
  }

  private rolesOf(eui: string): UserRole[] {
    return this.stmts.partyRoles.all(eui) as UserRole[];
  }

  setResponseUrl(eui: string, url: string | null): void {
    const r = this.stmts.partySetResponseUrl.run(url, eui);
    if (r.changes === 0) throw new WorldDbError('unknown-party', `no party with EUI ${eui}`);
  }

  setDccUser(eui: string, dccUser: boolean): void {
    const r = this.stmts.partySetDccUser.run(dccUser ? 1 : 0, eui);
    if (r.changes === 0) throw new WorldDbError('unknown-party', `no party with EUI ${eui}`);
  }

  /** Sets the flags given (others unchanged); throws WorldDbError('unknown-party') for an unknown EUI. */
  setPartyFlags(eui: string, flags: PartyFlags): void {
    const columns: [keyof PartyFlags, string][] = [
      ['dccUser', 'dcc_user'],
      ['smkiSubscriber', 'smki_subscriber'],
      ['ueptCompleted', 'uept_completed'],
      ['deviceSubscriber', 'device_subscriber'],
    ];
    const set = columns.filter(([k]) => flags[k] !== undefined);
    if (set.length === 0) {
      if (!this.stmts.partyGet.get(eui)) throw new WorldDbError('unknown-party', `no party with EUI ${eui}`);
      return;
    }
    const sql = `UPDATE parties SET ${set.map(([, c]) => `${c} = ?`).join(', ')} WHERE eui = ?`;
    const r = this.db.prepare(sql).run(...set.map(([k]) => (flags[k] ? 1 : 0)), eui);
    if (r.changes === 0) throw new WorldDbError('unknown-party', `no party with EUI ${eui}`);
  }
}
