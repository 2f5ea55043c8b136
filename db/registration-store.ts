// Registration data: distributors (network operators by area) and supply points (MPxN, fuel,
// registered network operator and supplier, address).
import type { SqliteDatabase } from './world-db.ts';

export interface Distributor {
  distributorId: string;
  area: string;
  marketId: string;
  partyEui: string;
}

export interface SupplyPoint {
  mpxn: string;
  fuel: 'E' | 'G';
  networkOperatorEui: string;
  supplierEui: string | null;
  uprn: number | null;
  postcode: string | null;
  address: string | null;
}

type Row = Record<string, unknown>;

/** Queries of the distributors and supply_points tables; statements are prepared once. */
export class RegistrationStore {
  private readonly stmts;

  constructor(readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      distributorInsert: p(
        'INSERT INTO distributors (distributor_id, area, market_id, party_eui) VALUES (@distributorId, @area, @marketId, @partyEui)',
      ),
      distributorGet: p('SELECT * FROM distributors WHERE distributor_id = ?'),
      distributorList: p('SELECT * FROM distributors ORDER BY distributor_id'),
      supplyPointInsert: p(
        `INSERT INTO supply_points (mpxn, fuel, network_operator_eui, supplier_eui, uprn, postcode, address)
         VALUES (@mpxn, @fuel, @networkOperatorEui, @supplierEui, @uprn, @postcode, @address)`,
      ),
      // every device request reads its registration data: as an array (cheaper to build than an object row)
      supplyPointGet: p('SELECT mpxn, fuel, network_operator_eui, supplier_eui, uprn, postcode, address FROM supply_points WHERE mpxn = ?').raw(),
      supplyPointOfSupplier: p('SELECT mpxn FROM supply_points sp WHERE supplier_eui = ? AND EXISTS (SELECT 1 FROM devices d WHERE d.mpxn = sp.mpxn) LIMIT 1'),
      supplyPointSetNetworkOperator: p('UPDATE supply_points SET network_operator_eui = ? WHERE mpxn = ?'),
      supplyPointSetSupplier: p('UPDATE supply_points SET supplier_eui = ? WHERE mpxn = ?'),
    };
  }

  insertDistributor(d: Distributor): void {
    this.stmts.distributorInsert.run(d);
  }

  getDistributor(id: string): Distributor | undefined {
    const r = this.stmts.distributorGet.get(id) as Row | undefined;
    if (!r) return undefined;
    return { distributorId: r.distributor_id as string, area: r.area as string, marketId: r.market_id as string, partyEui: r.party_eui as string };
  }

  listDistributors(): Distributor[] {
    return (this.stmts.distributorList.all() as Row[]).map((r) => ({
      distributorId: r.distributor_id as string,
      area: r.area as string,
      marketId: r.market_id as string,
      partyEui: r.party_eui as string,
    }));
  }

  insertSupplyPoint(s: SupplyPoint): void {
    this.stmts.supplyPointInsert.run(s);
  }

  /** An MPxN the supplier is registered for, with devices at it (a premises it serves). */
  supplyPointOfSupplier(supplierEui: string): string | undefined {
    return (this.stmts.supplyPointOfSupplier.get(supplierEui) as { mpxn: string } | undefined)?.mpxn;
  }

  getSupplyPoint(mpxn: string): SupplyPoint | undefined {
    const r = this.stmts.supplyPointGet.get(mpxn) as unknown[] | undefined;
    return r
      ? {
        mpxn: r[0] as string,
        fuel: r[1] as 'E' | 'G',
        networkOperatorEui: r[2] as string,
        supplierEui: (r[3] as string | null) ?? null,
        uprn: (r[4] as number | null) ?? null,
        postcode: (r[5] as string | null) ?? null,
        address: (r[6] as string | null) ?? null,
      }
      : undefined;
  }

  setNetworkOperator(mpxn: string, networkOperatorEui: string): void {
    this.stmts.supplyPointSetNetworkOperator.run(networkOperatorEui, mpxn);
  }

  /** A change of supplier as registration data records it, from its effective date. */
  setSupplier(mpxn: string, supplierEui: string): void {
    this.stmts.supplyPointSetSupplier.run(supplierEui, mpxn);
  }
}
