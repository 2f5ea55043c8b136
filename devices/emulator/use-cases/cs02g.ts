/**
 * CS02g "Update Security Credentials (Load Controller)": CS02b's checks and execution (use-cases/cs02b.ts,
 * modes 10 and 11) for the load controller cells an ESME holds, under message codes 0x0125 (by the load
 * controller, authorised by its DS cell) and 0x0126 (by the supplier, authorised by the supplier DS cell);
 * signed and ACB-MAC'd; future-datable, the 8F66/8F67 alert under message code 0x0124.
 */
import { CS02G_MESSAGE_CODES } from '../../gbcs/cs02g.ts';
import type { UseCase } from '../use-case.ts';
import { executeDueCs02b, processCs02b } from './cs02b.ts';

export const CS02G: UseCase = {
  name: 'CS02g',
  messageCodes: CS02G_MESSAGE_CODES,
  // Only an ESME has load controller cells (cells.ts).
  deviceTypes: ['ESME'],
  emulated: 'CS02g 0x0125-0x0126',
  process: processCs02b,
  executeDue: executeDueCs02b,
};
