// Changes to the smart metering inventory that DUIS makes (12.2 adds a device, 8.3, 8.4 and 8.14
// update one, 8.4 deletes one), with the inventory fields only those services set.
import type { Database, Statement } from 'better-sqlite3';
import { DEVICE_COLUMNS, deviceFromArray, type DeviceRecord } from './inventory-store.ts';

/** The columns of InventoryDetails, in its order. */
const DETAIL_COLUMNS = 'smets_chts_version, esme_variant, secondary_import_mpan, export_mpan, associated_gpf_eui, added_by, sm_wan';
const DEVICE_COLUMN_COUNT = DEVICE_COLUMNS.split(',').length;

export interface InventoryDetails {
  smetsChtsVersion: string | null;
  esmeVariant: string | null;
  secondaryImportMpan: string | null;
  exportMpan: string | null;
  associatedGpfEui: string | null;
  addedBy: string | null;
  /** a comms hub's SM WAN state, once a Communications Hub Status Update said it */
  smWan: string | null;
}

export interface AddedDevice extends Partial<Omit<InventoryDetails, 'smWan'>> {
  eui: string;
  type: string;
  status: string;
  manufacturer: string;
  model: string;
  firmware: string;
}

/** The columns an update may set, by field name. */
const UPDATABLE: Readonly<Record<string, string>> = {
  status: 'status',
  manufacturer: 'manufacturer',
  model: 'model',
  firmware: 'firmware',
  mpxn: 'mpxn',
  commissionedAt: 'commissioned_at',
  smetsChtsVersion: 'smets_chts_version',
  esmeVariant: 'esme_variant',
  secondaryImportMpan: 'secondary_import_mpan',
  exportMpan: 'export_mpan',
  commsHubEui: 'comms_hub_eui',
  smWan: 'sm_wan',
  addedBy: 'added_by',
  associatedGpfEui: 'associated_gpf_eui',
};

export class InventoryChanges {
  private readonly insert: Statement;
  private readonly remove: Statement;
  private readonly details: Statement;
  private readonly withDetails: Statement;
  private readonly updates = new Map<string, Statement>();

  constructor(private readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO devices (eui, type, status, mpxn, comms_hub_eui, manufacturer, model, firmware, commissioned_at,
                            smets_chts_version, esme_variant, associated_gpf_eui, added_by)
       VALUES (@eui, @type, @status, NULL, NULL, @manufacturer, @model, @firmware, NULL,
               @smetsChtsVersion, @esmeVariant, @associatedGpfEui, @addedBy)`,
    );
    // device_security, credentials and pending commands go with it (ON DELETE CASCADE).
    this.remove = db.prepare('DELETE FROM devices WHERE eui = ?');
    this.details = db.prepare(`SELECT ${DETAIL_COLUMNS} FROM devices WHERE eui = ?`);
    this.withDetails = db.prepare(`SELECT ${DEVICE_COLUMNS}, ${DETAIL_COLUMNS} FROM devices WHERE eui = ?`).raw();
  }

  /** A device's record and its details from one row: what a device request reads, once (getDevice and detailsOf were two). */
  deviceWithDetails(eui: string): { device: DeviceRecord; details: InventoryDetails } | undefined {
    const r = this.withDetails.get(eui) as unknown[] | undefined;
    if (!r) return undefined;
    const at = DEVICE_COLUMN_COUNT;
    return {
      device: deviceFromArray(r),
      details: {
        smetsChtsVersion: (r[at] as string | null) ?? null,
        esmeVariant: (r[at + 1] as string | null) ?? null,
        secondaryImportMpan: (r[at + 2] as string | null) ?? null,
        exportMpan: (r[at + 3] as string | null) ?? null,
        associatedGpfEui: (r[at + 4] as string | null) ?? null,
        addedBy: (r[at + 5] as string | null) ?? null,
        smWan: (r[at + 6] as string | null) ?? null,
      },
    };
  }

  add(d: AddedDevice): void {
    this.insert.run({
      ...d,
      smetsChtsVersion: d.smetsChtsVersion ?? null,
      esmeVariant: d.esmeVariant ?? null,
      associatedGpfEui: d.associatedGpfEui ?? null,
      addedBy: d.addedBy ?? null,
    });
  }

  /** Sets the given fields; returns whether the device exists. */
  update(eui: string, set: Readonly<Record<string, string | null | undefined>>): boolean {
    const fields = Object.keys(set).filter((k) => set[k] !== undefined);
    for (const f of fields) if (!(f in UPDATABLE)) throw new RangeError(`inventory field ${f} cannot be updated`);
    if (fields.length === 0) return this.details.get(eui) !== undefined;
    const key = fields.join(',');
    let stmt = this.updates.get(key);
    if (!stmt) {
      stmt = this.db.prepare(`UPDATE devices SET ${fields.map((f) => `${UPDATABLE[f]} = @${f}`).join(', ')} WHERE eui = @eui`);
      this.updates.set(key, stmt);
    }
    const params: Record<string, unknown> = { eui };
    for (const f of fields) params[f] = set[f];
    return stmt.run(params).changes === 1;
  }

  delete(eui: string): boolean {
    return this.remove.run(eui).changes === 1;
  }

  detailsOf(eui: string): InventoryDetails | undefined {
    const r = this.details.get(eui) as Record<string, string | null> | undefined;
    if (!r) return undefined;
    return {
      smetsChtsVersion: r.smets_chts_version ?? null,
      esmeVariant: r.esme_variant ?? null,
      secondaryImportMpan: r.secondary_import_mpan ?? null,
      exportMpan: r.export_mpan ?? null,
      associatedGpfEui: r.associated_gpf_eui ?? null,
      addedBy: r.added_by ?? null,
      smWan: r.sm_wan ?? null,
    };
  }
}
