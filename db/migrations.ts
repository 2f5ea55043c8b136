// Schema migrations, applied in order inside one transaction each. Never edit a released
// migration: add a new one, so that existing world files upgrade in place.

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * A change SQL alone cannot make column-agnostically (run after `sql`, in the same transaction), e.g. a
   * table rebuilt from its own CREATE statement. Such a migration runs with foreign keys off (SQLite's
   * table-rebuild procedure) and is checked with foreign_key_check before it commits.
   */
  rebuild?: (db: { prepare(sql: string): { get(): unknown; all(): unknown[] }; exec(sql: string): unknown }) => void;
  /**
   * What a PostgreSQL world runs instead of `sql` and `rebuild`, where they are SQLite's alone (a table
   * rebuild, JSON functions over old rows). Without it, `sql` is translated (db/postgres).
   */
  postgres?: string;
}

/** Rebuilds `table` from its own CREATE statement as `edit` changes it, keeping its rows, columns and indexes. */
function rebuildTable(table: string, edit: (createSql: string) => string): NonNullable<Migration['rebuild']> {
  return (db) => {
    const row = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '${table}'`).get() as { sql: string } | undefined;
    if (!row) throw new Error(`migration: no table ${table}`);
    const edited = edit(row.sql);
    if (edited === row.sql) throw new Error(`migration: the ${table} table's definition is not the one expected`);
    const indexes = (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '${table}' AND sql IS NOT NULL`).all() as { sql: string }[]).map((i) => i.sql);
    // A table rebuilt before was renamed into place: SQLite then keeps its name quoted.
    db.exec(edited.replace(new RegExp(`^CREATE TABLE (?:"${table}"|${table}\\b)`), `CREATE TABLE ${table}_rebuilt`));
    db.exec(`INSERT INTO ${table}_rebuilt SELECT * FROM ${table}`);
    db.exec(`DROP TABLE ${table}`);
    db.exec(`ALTER TABLE ${table}_rebuilt RENAME TO ${table}`);
    for (const sql of indexes) db.exec(sql);
  };
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'world model: SMKI repository, registration data, inventory, trust-anchor cells',
    sql: `
CREATE TABLE world_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Parties: DCC Users, network parties and the DCC's own roles. A party may hold several user roles.
CREATE TABLE parties (
  eui              TEXT PRIMARY KEY CHECK (length(eui) = 16 AND eui = upper(eui)),
  name             TEXT NOT NULL,
  dcc_user         INTEGER NOT NULL DEFAULT 1 CHECK (dcc_user IN (0, 1)),
  smki_subscriber  INTEGER NOT NULL DEFAULT 1 CHECK (smki_subscriber IN (0, 1)),
  uept_completed   INTEGER NOT NULL DEFAULT 0 CHECK (uept_completed IN (0, 1)),
  is_dcc           INTEGER NOT NULL DEFAULT 0 CHECK (is_dcc IN (0, 1)),
  response_url     TEXT
) WITHOUT ROWID;

-- DUIS user roles (IS, ES, GS, ED, GT, RSA, OU) held by a party.
CREATE TABLE party_user_roles (
  party_eui  TEXT NOT NULL REFERENCES parties(eui) ON DELETE CASCADE,
  user_role  TEXT NOT NULL CHECK (user_role IN ('IS', 'ES', 'GS', 'ED', 'GT', 'RSA', 'OU')),
  PRIMARY KEY (party_eui, user_role)
) WITHOUT ROWID;

-- The SMKI repository: every certificate the world knows, organisation, CA and device alike.
-- Organisation certificates held by a whole fleet are stored once and referenced from the cells.
CREATE TABLE certificates (
  id                 INTEGER PRIMARY KEY,
  fingerprint        TEXT NOT NULL UNIQUE,
  serial_hex         TEXT NOT NULL,
  serial_decimal     TEXT NOT NULL,
  kind               TEXT NOT NULL CHECK (kind IN ('root', 'issuing-ca', 'device-ca', 'organisation', 'xml-signing', 'device')),
  subject_eui        TEXT,
  role               INTEGER,
  key_usage          TEXT NOT NULL,
  ski                TEXT NOT NULL,
  aki                TEXT,
  subject_dn         TEXT NOT NULL,
  issuer_dn          TEXT NOT NULL,
  not_before         TEXT NOT NULL,
  not_after          TEXT NOT NULL,
  label              TEXT,
  der                BLOB NOT NULL,
  revoked_at         TEXT,
  revocation_reason  TEXT
);
CREATE INDEX certificates_by_serial ON certificates (serial_decimal);
CREATE INDEX certificates_by_subject ON certificates (subject_eui, role, key_usage);
CREATE INDEX certificates_by_ski ON certificates (ski);

-- Private keys the simulator holds: the DCC's, and the parties' so it can act for them
-- (\`dcc-sim send --as\`, the console's forms, keystore export). Never logged, never served.
CREATE TABLE private_keys (
  certificate_id  INTEGER PRIMARY KEY REFERENCES certificates(id) ON DELETE CASCADE,
  pkcs8           BLOB NOT NULL
);

-- Electricity distributor IDs (first two digits of the MPAN core) and the licensed distributor.
CREATE TABLE distributors (
  distributor_id  TEXT PRIMARY KEY CHECK (length(distributor_id) = 2),
  area            TEXT NOT NULL,
  market_id       TEXT NOT NULL,
  party_eui       TEXT NOT NULL REFERENCES parties(eui)
) WITHOUT ROWID;

-- Registration data per supply point: MPAN core (13 digits) or MPRN (up to 10 digits).
CREATE TABLE supply_points (
  mpxn                  TEXT PRIMARY KEY,
  fuel                  TEXT NOT NULL CHECK (fuel IN ('E', 'G')),
  network_operator_eui  TEXT NOT NULL REFERENCES parties(eui),
  supplier_eui          TEXT REFERENCES parties(eui),
  uprn                  INTEGER,
  postcode              TEXT,
  address               TEXT
) WITHOUT ROWID;
CREATE INDEX supply_points_by_network_operator ON supply_points (network_operator_eui);
CREATE INDEX supply_points_by_supplier ON supply_points (supplier_eui);
CREATE INDEX supply_points_by_uprn ON supply_points (uprn);

-- Smart Metering Inventory.
CREATE TABLE devices (
  eui              TEXT PRIMARY KEY CHECK (length(eui) = 16 AND eui = upper(eui)),
  type             TEXT NOT NULL CHECK (type IN ('ESME', 'GSME', 'GPF', 'CHF')),
  status           TEXT NOT NULL CHECK (status IN ('Pending', 'Whitelisted', 'InstalledNotCommissioned', 'Commissioned',
                                                   'Decommissioned', 'Withdrawn', 'Suspended', 'Recovery', 'Recovered')),
  mpxn             TEXT REFERENCES supply_points(mpxn),
  comms_hub_eui    TEXT,
  manufacturer     TEXT NOT NULL,
  model            TEXT NOT NULL,
  firmware         TEXT NOT NULL,
  commissioned_at  TEXT
) WITHOUT ROWID;
CREATE INDEX devices_by_mpxn ON devices (mpxn);
CREATE INDEX devices_by_comms_hub ON devices (comms_hub_eui);

-- Trust-anchor cells, one row per device, one column per cell (NULL where the type has no such
-- cell or it is empty): a million-premise fleet is millions of devices, and one narrow row per
-- device keeps the world small and fast to seed. Cells reference the SMKI repository.
-- seq_* are the anti-replay counters per remote party role (floors), as decimal text (uint64).
CREATE TABLE device_security (
  device_eui              TEXT PRIMARY KEY REFERENCES devices(eui) ON DELETE CASCADE,
  root                    INTEGER REFERENCES certificates(id),
  recovery                INTEGER REFERENCES certificates(id),
  supplier_ds             INTEGER REFERENCES certificates(id),
  supplier_ka             INTEGER REFERENCES certificates(id),
  supplier_top_up_ka      INTEGER REFERENCES certificates(id),
  network_operator_ds     INTEGER REFERENCES certificates(id),
  network_operator_ka     INTEGER REFERENCES certificates(id),
  acb_ds                  INTEGER REFERENCES certificates(id),
  acb_ka                  INTEGER REFERENCES certificates(id),
  transitional_cos_ds     INTEGER REFERENCES certificates(id),
  wan_provider_ds         INTEGER REFERENCES certificates(id),
  seq_numbers             TEXT NOT NULL DEFAULT '{}',
  top_up_seq_number       TEXT NOT NULL DEFAULT '0',
  alert_counter           TEXT NOT NULL DEFAULT '0'
) WITHOUT ROWID;
CREATE INDEX device_security_by_network_operator_ds ON device_security (network_operator_ds);

-- A device's own key pairs are derived from the world secret and its EUI; its certificates are
-- issued by the device CA when first needed and kept here.
CREATE TABLE device_credentials (
  device_eui          TEXT PRIMARY KEY REFERENCES devices(eui) ON DELETE CASCADE,
  ds_certificate_id   INTEGER NOT NULL REFERENCES certificates(id),
  ka_certificate_id   INTEGER NOT NULL REFERENCES certificates(id)
) WITHOUT ROWID;

-- Future-dated commands a device has accepted and holds until their execution time.
CREATE TABLE device_pending_commands (
  device_eui   TEXT NOT NULL REFERENCES devices(eui) ON DELETE CASCADE,
  counter      TEXT NOT NULL,
  originator   TEXT NOT NULL,
  execute_at   TEXT NOT NULL,
  command      BLOB NOT NULL,
  PRIMARY KEY (device_eui, originator, counter)
) WITHOUT ROWID;
CREATE INDEX device_pending_by_time ON device_pending_commands (execute_at);
`,
  },
  {
    version: 2,
    name: 'gateway: request log, originator counters, issued pre-commands, DCC counters, response outbox',
    sql: `
-- Every DUIS request received, accepted or not, with its outcome: the audit trail users query.
CREATE TABLE requests (
  id                  INTEGER PRIMARY KEY,
  received_at         TEXT NOT NULL,
  path                TEXT NOT NULL,
  request_id          TEXT,
  originator_eui      TEXT,
  target_eui          TEXT,
  counter             TEXT,
  service_reference   TEXT,
  service_variant     TEXT,
  command_variant     INTEGER,
  response_code       TEXT NOT NULL,
  reason              TEXT,
  failed_step         TEXT,
  request_xml         BLOB NOT NULL,
  response_xml        TEXT,
  steps               TEXT,
  changed_cells       TEXT
);
CREATE INDEX requests_by_request_id ON requests (request_id);
CREATE INDEX requests_by_originator ON requests (originator_eui, id);
CREATE INDEX requests_by_target ON requests (target_eui, id);

-- The last counter accepted from each originator: RequestID counters must strictly increase.
CREATE TABLE originator_counters (
  originator_eui  TEXT PRIMARY KEY,
  last_counter    TEXT NOT NULL
) WITHOUT ROWID;

-- Pre-commands the DCC issued for critical requests (CV 4), waiting for the signed leg (CV 5).
CREATE TABLE pre_commands (
  request_id    TEXT PRIMARY KEY,
  target_eui    TEXT NOT NULL,
  service_variant TEXT NOT NULL,
  payload       BLOB NOT NULL,
  issued_at     TEXT NOT NULL,
  consumed_at   TEXT
) WITHOUT ROWID;

-- The DCC's own originator counters for commands it sends as a remote party (ACB for 6.21).
CREATE TABLE dcc_counters (
  role_name  TEXT PRIMARY KEY,
  counter    TEXT NOT NULL
) WITHOUT ROWID;

-- Asynchronous DUIS responses and alerts awaiting delivery to a party's Receive Response Service.
-- Written in the same transaction as the device state change that produced them.
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  party_eui        TEXT NOT NULL,
  request_id       TEXT,
  response_id      TEXT,
  kind             TEXT NOT NULL,
  response_code    TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  body             TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT NOT NULL,
  last_error       TEXT,
  delivered_at     TEXT
);
CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt_at);
CREATE INDEX outbox_by_request ON outbox (request_id);
`,
  },
  // Keep this list in version order.
  {
    version: 3,
    name: 'compliance: indexes for the post-commissioning report and network operator changes',
    sql: `
-- The post-commissioning report reads commissioned ESMEs and GPFs only: start from them, not from
-- the whole inventory (comms hubs and gas meters are half of it). With the MPxN (and the EUI, the
-- key) in it the index covers what the report needs of a device.
CREATE INDEX IF NOT EXISTS devices_by_type_status ON devices (type, status, commissioned_at, mpxn);
-- Which devices still hold a party's certificates (MP128A): through the certificate ids of the
-- party (certificates_by_subject) into both network operator cells.
CREATE INDEX IF NOT EXISTS device_security_by_network_operator_ka ON device_security (network_operator_ka);
`,
  },
  {
    version: 4,
    name: 'SMKI: Authorised Subscriber for Device Certificates (MP074)',
    sql: `
-- MP074: device certificate signing requests are accepted only from parties the SMKI Registration
-- Authority has made Authorised Subscribers for Device Certificates (and who have completed UEPT,
-- parties.uept_completed), and only over the DCC Gateway connection. Off unless set.
ALTER TABLE parties ADD COLUMN device_subscriber INTEGER NOT NULL DEFAULT 0 CHECK (device_subscriber IN (0, 1));
`,
  },
  {
    version: 5,
    name: 'outbox: responses not yet tried, per party (admission control)',
    sql: `
-- A party's requests wait while too many of its asynchronous responses have not even been tried:
-- counted on every request, so only those rows are indexed.
CREATE INDEX IF NOT EXISTS outbox_untried_by_party ON outbox (party_eui) WHERE delivered_at IS NULL AND attempts = 0;
`,
  },
  {
    version: 6,
    name: 'inventory: the fields DUIS 8.4 and 12.2 set, and who pre-notified a device',
    sql: `
-- 12.2 Device Pre-notification and 8.4 Update Inventory record more of a device than the seed does:
-- its SMETS/CHTS version and ESME variant, an ESME's secondary import and export MPANs, a GSME's
-- GPF, and the party that pre-notified it (it manages the device until an MPxN names a supplier).
ALTER TABLE devices ADD COLUMN smets_chts_version TEXT;
ALTER TABLE devices ADD COLUMN esme_variant TEXT;
ALTER TABLE devices ADD COLUMN secondary_import_mpan TEXT;
ALTER TABLE devices ADD COLUMN export_mpan TEXT;
ALTER TABLE devices ADD COLUMN associated_gpf_eui TEXT;
ALTER TABLE devices ADD COLUMN added_by TEXT;
`,
  },
  {
    version: 7,
    name: 'inventory: a comms hub\'s SM WAN state (DUIS 8.14)',
    sql: `
-- A Communications Hub Status Update says whether an installed hub reached the SM WAN (8.14.1,
-- Connected) or was installed where there is none yet (8.14.2, NoSMWAN); NULL until one says.
ALTER TABLE devices ADD COLUMN sm_wan TEXT CHECK (sm_wan IN ('Connected', 'NoSMWAN'));
`,
  },
  {
    version: 8,
    name: 'request log: the final outcome beside the acknowledgement',
    sql: `
-- A request the DCC acknowledged (I99) may still fail at the device: its final outcome is the
-- asynchronous response's code (E21 when the device discards the command) with the device's reason
-- and alert code. NULL final_response_code: the acknowledgement was final (refusals, I0 answers).
ALTER TABLE requests ADD COLUMN final_response_code TEXT;
ALTER TABLE requests ADD COLUMN final_reason TEXT;
ALTER TABLE requests ADD COLUMN device_alert_code TEXT;
-- Rows logged before this migration: a device step that failed is the device's refusal (E21).
UPDATE requests SET final_response_code = 'E21',
  final_reason = (SELECT json_extract(s.value, '$.detail') FROM json_each(requests.steps) s
                   WHERE json_extract(s.value, '$.step') = 'device' AND json_extract(s.value, '$.ok') = 0 LIMIT 1)
 WHERE failed_step IS NULL AND steps LIKE '%"step":"device","ok":false%';
`,
    // A PostgreSQL world is younger than this migration: it has no older rows to fill in.
    postgres: `
ALTER TABLE requests ADD COLUMN final_response_code TEXT;
ALTER TABLE requests ADD COLUMN final_reason TEXT;
ALTER TABLE requests ADD COLUMN device_alert_code TEXT;
`,
  },
  {
    version: 9,
    name: "outbox: a party's mailbox, newest first",
    sql: `
-- GET /api/parties/{eui}/inbox and dcc-sim inbox read one party's responses, newest first, paged.
CREATE INDEX IF NOT EXISTS outbox_by_party ON outbox (party_eui, id);
`,
  },
  {
    version: 10,
    name: 'device security: key pairs a device generated on command (CS02c, SRV 6.17)',
    sql: `
-- JSON {"DS": n, "KA": n}: how many key pairs of each usage the device generated on a CS02c command.
-- A device's keys are derived from the world secret, its EUI and this generation (0: the pair it was made with).
ALTER TABLE device_security ADD COLUMN key_generations TEXT NOT NULL DEFAULT '{}';
`,
  },
  {
    version: 11,
    name: 'device application state: what commands changed in a meter, comms hub or HAN device beyond its cells',
    sql: `
-- JSON: DLMS attribute values and ZCL attributes set by commands, HAN joins, device logs, supply and
-- prepayment state, firmware. Lazily materialised: a device never commanded has no row, and reads
-- compute its registers from the meter model and the clock.
CREATE TABLE device_app_state (
  device_eui TEXT PRIMARY KEY REFERENCES devices(eui) ON DELETE CASCADE,
  state      TEXT NOT NULL
);
`,
  },
  {
    version: 12,
    name: 'request log: the GBCS command the DCC sent to the device',
    sql: `
-- The command as it travelled (MAC'd, signed): the console decodes it field by field beside the device's answer.
ALTER TABLE requests ADD COLUMN gbcs_command BLOB;
`,
  },
  {
    version: 16,
    name: 'faults injected on devices, comms hubs and parties',
    sql: `
CREATE TABLE faults (
  target_eui TEXT NOT NULL,
  kind       TEXT NOT NULL,
  detail     TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (target_eui, kind)
);
`,
  },
  {
    version: 14,
    name: 'device security: the load controller cells of an ESME (CS02g, SRV 6.15.1 RemotePartyRole LoadController)',
    sql: `
-- GBCS 4 ESMEs hold a load controller's DS and KA certificates (remote party role 8) for APC commands.
ALTER TABLE device_security ADD COLUMN load_controller_ds INTEGER REFERENCES certificates(id);
ALTER TABLE device_security ADD COLUMN load_controller_ka INTEGER REFERENCES certificates(id);
`,
  },
  {
    version: 13,
    name: 'DCC schedules (DUIS 5.1-5.3): reads the DCC sends on a User\'s behalf as the clock moves',
    sql: `
-- One row per DSPScheduleID. details: the CreateSchedule body as JSON (5.2 reads it back; the runner builds
-- each read's body from it). next_run_at: the next occurrence, ISO; the runner sends every occurrence the
-- simulated clock has passed and moves it on by the frequency.
CREATE TABLE dcc_schedules (
  id             INTEGER PRIMARY KEY,
  originator_eui TEXT NOT NULL,
  device_eui     TEXT NOT NULL,
  service_variant TEXT NOT NULL,
  details        TEXT NOT NULL,
  next_run_at    TEXT NOT NULL,
  created_at     TEXT NOT NULL
);
CREATE INDEX dcc_schedules_due ON dcc_schedules (next_run_at);
CREATE INDEX dcc_schedules_device ON dcc_schedules (device_eui);
`,
  },
  {
    version: 15,
    name: 'inventory: PPMID and HCALCS devices',
    // The HAN devices the join, device-log and firmware services reach (catalogue.md §0.2: RTDS A4 PPMID, A5 HCALCS).
    sql: '',
    rebuild: rebuildTable('devices', (sql) => sql.replace(
      "CHECK (type IN ('ESME', 'GSME', 'GPF', 'CHF'))",
      "CHECK (type IN ('ESME', 'GSME', 'GPF', 'CHF', 'PPMID', 'HCALCS'))",
    )),
    postgres: `ALTER TABLE devices DROP CONSTRAINT devices_type_check,
  ADD CONSTRAINT devices_type_check CHECK (type IN ('ESME', 'GSME', 'GPF', 'CHF', 'PPMID', 'HCALCS'));`,
  },
  {
    version: 17,
    name: "device security: the root's contingency key a device holds (CS02b anyByContingency)",
    sql: `
-- Which generation of the root's contingency key (World.rootContingencyKey) the device holds wrapped; every
-- device is made with generation 1; 0: none, spent by a contingency command the device carried out.
ALTER TABLE device_security ADD COLUMN contingency_key_generation INTEGER NOT NULL DEFAULT 1;
`,
  },
  {
    version: 18,
    name: 'inventory: IHD and CAD (Type 2) devices',
    // DUIS DeviceType has IHD and CAD; they enter by 12.2 and live in hub device logs and meter joins (rules-and-data.md).
    sql: '',
    rebuild: rebuildTable('devices', (sql) => sql.replace(
      "CHECK (type IN ('ESME', 'GSME', 'GPF', 'CHF', 'PPMID', 'HCALCS'))",
      "CHECK (type IN ('ESME', 'GSME', 'GPF', 'CHF', 'PPMID', 'HCALCS', 'IHD', 'CAD'))",
    )),
    postgres: `ALTER TABLE devices DROP CONSTRAINT devices_type_check,
  ADD CONSTRAINT devices_type_check CHECK (type IN ('ESME', 'GSME', 'GPF', 'CHF', 'PPMID', 'HCALCS', 'IHD', 'CAD'));`,
  },
  {
    version: 19,
    name: "request log: the device's response to a command delivered locally (8.13 returns it)",
    sql: `
-- A command obtained for local delivery (CV 2, 3) and given to its device over the HAN: the device's GBCS response,
-- which the User returns to the DCC with 8.13 Return Local Command Response (the request library's example finds it here).
ALTER TABLE requests ADD COLUMN local_response BLOB;
`,
  },
  {
    version: 20,
    name: 'outbox: the process delivering a row, and until when (several processes serving one PostgreSQL world)',
    sql: `
-- Who claimed a row for delivery and until when (ISO, real time); another process takes it once
-- the lease has run out (db/gateway-store.ts claimDueOutbox). SQLite worlds have one process and leave them empty.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
`,
  },
  {
    version: 21,
    name: 'sandboxes of a PostgreSQL world: each a database of its own, known to every server on the world',
    // A SQLite world keeps its sandboxes as files beside it (src/sandboxes); only PostgreSQL needs the registry.
    sql: '',
    postgres: `
-- database: the sandbox's world now; snapshot: the copy taken at creation, which a reset copies again
-- (into a new database: generation counts the resets, so a server still serving the old one notices).
CREATE TABLE sandboxes (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  text NOT NULL,
  database    text NOT NULL,
  snapshot    text NOT NULL,
  generation  integer NOT NULL DEFAULT 1
);`,
  },
  {
    version: 22,
    name: 'device application state: the meters in prepayment mode found by an index, not by reading every row',
    sql: `
-- The scheduler asks every second which meters are in prepayment mode (their credit drains on their own): the same
-- predicate as DeviceSecurityStore's inPrepayment, so that query reads this index instead of every device's JSON.
CREATE INDEX IF NOT EXISTS device_app_state_in_prepayment ON device_app_state (device_eui)
  WHERE json_extract(state, '$.prepayment.paymentMode') = 'prepayment';
`,
  },
  {
    version: 23,
    name: 'outbox: the undelivered rows of each party, so the delivery queue reads only the parties with a URL',
    sql: `
-- A party without a Receive Response Service URL keeps its responses and alerts (its mailbox), undelivered, for as
-- long as it has none: the queue's reads go party by party through this index, over the parties with a URL only,
-- instead of over every undelivered row (db/gateway-store.ts outboxDue, outboxNextDue).
CREATE INDEX IF NOT EXISTS outbox_undelivered_by_party ON outbox (party_eui, next_attempt_at, id) WHERE delivered_at IS NULL;
`,
  },
  {
    version: 24,
    name: 'inventory: the comms hub that names a GPF, found by an index (a GPF belongs to one hub)',
    sql: `
-- 12.2 refuses a comms hub pre-notified with the GPF another hub already names (InventoryStore.commsHubOfGpf). Only
-- hubs not installed yet are indexed: installing a hub links its GPF's row to it (8.14.1), where the lookup finds it
-- by the GPF's key; every hub of a seeded fleet is installed, so a 1,000,000-premise world indexes none (an index of
-- every hub naming a GPF made that world's file 25 MB larger).
CREATE INDEX IF NOT EXISTS devices_by_associated_gpf ON devices (associated_gpf_eui)
  WHERE associated_gpf_eui IS NOT NULL AND status IN ('Pending', 'Whitelisted');
`,
  },
];
