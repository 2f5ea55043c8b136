/**
 * The service registry against DUIS: every module's command variants and endpoints fit the DUIS
 * CommandVariant table and its service matrix row, and every variant of the matrix has its module.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DuisRejection, parseDuisRequest, SERVICE_MATRIX, SERVICES, serviceByVariant, serviceFor, unreadService, type Endpoint,
} from '../../service-requests/index.ts';

// catalogue.md §0.3: where DCC Boxed's clients post each CommandVariant.
const ENDPOINT_OF_CV: Record<number, Endpoint> = { 1: 'serviceS', 3: 'serviceS', 5: 'serviceS', 7: 'serviceS', 4: 'serviceT', 2: 'serviceD', 6: 'serviceD', 8: 'serviceD' };

const templates = path.join(path.dirname(createRequire(import.meta.url).resolve('@smartdcc/duis-templates/package.json')), 'templates');

describe('service registry', () => {
  it.each(SERVICES.map((s) => [`${s.variant} ${s.body.element}`, s] as const))('%s serves only CommandVariants DUIS defines for it, each on its DUIS endpoint', (_name, s) => {
    const facts = SERVICE_MATRIX.get(s.variant)!;
    expect(facts, `${s.variant} is in the DUIS service matrix`).toBeDefined();
    expect(s.userRoles).toEqual(facts.userRoles);
    expect(s.critical).toBe(facts.critical);
    expect(s.nonDevice).toBe(facts.nonDevice);
    for (const [cv, endpoint] of Object.entries(s.endpoints)) {
      expect(s.commandVariants.includes(Number(cv)) || Boolean(s.completesPreCommand), `CV ${cv} is one of ${s.variant}'s`).toBe(true);
      expect(endpoint).toBe(ENDPOINT_OF_CV[Number(cv)]);
    }
    // What kind of service it is decides its CommandVariants and whether it reaches a device.
    if (s.completesPreCommand) expect(Object.keys(s.endpoints).map(Number)).toEqual([5]);
    else if (s.critical) expect(s.commandVariants).toEqual([4]);
    else if (s.nonDevice) expect(s.commandVariants).toEqual([8]);
    else expect(s.commandVariants).toEqual([1, 2, 3]);
    expect(s.device === undefined).toBe(s.nonDevice);
  });

  it('every critical service has its signed pre-command leg, found by the critical variant', () => {
    for (const s of SERVICES.filter((m) => m.critical && !m.completesPreCommand)) {
      const leg = serviceFor('SignedPreCommand', s.variant);
      expect(leg?.completesPreCommand, `${s.variant} has a SignedPreCommand leg`).toBeDefined();
      expect(leg?.variant).toBe(s.variant);
    }
  });

  it('the DCC itself may send only what RTDS\'s DCC-originated templates are (6.24.1, 8.12.2, 11.2): any other from its EUI is refused', () => {
    expect(SERVICES.filter((s) => s.dccMayOriginate).map((s) => s.variant).sort()).toEqual(['11.2', '6.24.1', '8.12.2']);
    const dccSent = readdirSync(templates).filter((f) => readFileSync(path.join(templates, f), 'utf8').includes('<sr:RequestID>90-B3-D5-1F-30-00-00-02:'));
    expect(dccSent.sort()).toEqual(['CS02fMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML', 'CS08_11.2_SUCCESS_REQUEST_DUIS.XML', 'GCS59_8.12.2_SUCCESS_REQUEST_DUIS.XML']);
  });

  it('one module per body element and per variant', () => {
    const main = SERVICES.filter((s) => !s.completesPreCommand);
    expect(new Set(main.map((s) => s.body.element)).size).toBe(main.length);
    expect(new Set(main.map((s) => s.variant)).size).toBe(main.length);
    for (const s of main) expect(serviceByVariant(s.variant)).toBe(s);
  });

  it('names an unreadable request after a service served on the endpoint it was posted to', () => {
    for (const endpoint of ['serviceS', 'serviceT', 'serviceD'] as const) {
      const named = serviceByVariant(unreadService(endpoint).serviceReferenceVariant);
      expect(Object.values(named?.endpoints ?? {})).toContain(endpoint);
    }
  });

  it('serves every service variant of the DUIS service matrix', () => {
    const unserved = [...SERVICE_MATRIX.keys()].filter((variant) => !serviceByVariant(variant));
    expect(unserved).toEqual([]);
  });

  it('refuses a ServiceReferenceVariant DUIS does not define (E100), naming it', () => {
    const xml = readFileSync(path.join(templates, 'GCS20_6.22_SUCCESS_REQUEST_DUIS.XML'), 'utf8')
      .replace('<sr:ServiceReferenceVariant>6.22</sr:ServiceReferenceVariant>', '<sr:ServiceReferenceVariant>6.99</sr:ServiceReferenceVariant>');
    let err: unknown;
    try {
      parseDuisRequest(Buffer.from(xml));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DuisRejection);
    expect((err as DuisRejection).responseCode).toBe('E100');
    expect((err as DuisRejection).reason).toContain('"6.99" is not a DUIS ServiceReferenceVariant');
  });
});
