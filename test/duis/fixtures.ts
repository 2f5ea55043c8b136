// Shared bits of the DUIS suite: the templates in ../shared/duis and a rejection matcher.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { DuisRejection } from '../../service-requests/duis/index.ts';
import type { DuisRejectionStep } from '../../service-requests/duis/index.ts';
import { sharedDuis } from '../helpers/duis-xsd.ts';

export const TEMPLATES = {
  supplier6151: 'CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML',
  supplier6151Future: 'CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML',
  supplier6151Cancel: 'CS02bSupplierBySupplier_6.15.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML',
  no6151: 'CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML',
  noHandover621: 'CS02bNOByNOHandover_6.21_SUCCESS_REQUEST_DUIS.XML',
  supplierHandover621: 'CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML',
  retrieve6241: 'CS02aMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML',
  readInventory82: '8.2_READ_INVENTORY_REQUEST_DUIS.XML',
} as const;

export function template(name: string): string {
  return readFileSync(sharedDuis(name), 'utf8');
}

/** The template with its placeholder ds:Signature (and the comment inside it) removed. */
export function unsignedTemplate(name: string): string {
  return template(name).replace(/\s*<ds:Signature[\s\S]*<\/ds:Signature>/, '');
}

/** Collapses the indentation of a template: what the DCC tool signs. */
export function compact(xml: string): string {
  return xml.replace(/>\s+</g, '><').trim();
}

export function rejectionOf(fn: () => unknown): DuisRejection {
  try {
    fn();
  } catch (e) {
    if (e instanceof DuisRejection) return e;
    throw new Error(`expected a DuisRejection, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error('expected a DuisRejection, but nothing was thrown');
}

export function expectRejection(fn: () => unknown, step: DuisRejectionStep, fragment?: string | RegExp): DuisRejection {
  const r = rejectionOf(fn);
  expect(r.step, `step for: ${r.reason}`).toBe(step);
  if (fragment !== undefined) expect(r.reason).toMatch(fragment);
  return r;
}
