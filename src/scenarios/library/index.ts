// The training scenarios, in the order a course would take them.
import type { ScenarioDefinition } from '../runner.ts';
import { commissionEsme } from './commission-esme.ts';
import { misissuedCertificate } from './misissued-certificate.ts';
import { gpfHandover } from './gpf-handover.ts';
import { gasNetworkSale } from './gas-network-sale.ts';
import { changeOfSupplier } from './change-of-supplier.ts';
import { smkiRecovery } from './smki-recovery.ts';
import { installDualFuel } from './install-dual-fuel.ts';
import { prepayment } from './prepayment.ts';

export const SCENARIOS: readonly ScenarioDefinition[] = [
  commissionEsme, misissuedCertificate, gpfHandover, gasNetworkSale, changeOfSupplier, smkiRecovery, installDualFuel, prepayment,
];
