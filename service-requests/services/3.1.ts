/** 3.1 Display Message: the supplier's message on the ESME's display (ECS10) or the GSME's (GCS07). */
import { deviceCommandService } from './device-command.ts';
import { bodies, esmeDisplayMessage, gsmeDisplayMessage } from './display-commands.ts';

export const displayMessage = deviceCommandService({
  variant: '3.1',
  displayName: 'Display Message',
  body: bodies.displayMessage,
  sender: 'supplier',
  command(b, type, { counter, now }) {
    if (type === 'ESME') return { useCase: 'ECS10', messageCode: 0x0021, payload: esmeDisplayMessage(counter, b.message) };
    if (type === 'GSME') return { useCase: 'GCS07', messageCode: 0x0071, payload: gsmeDisplayMessage(now, b.message) };
    return `a message is displayed by an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'display-message', body: () => ({ kind: 'DisplayMessage' as const, message: 'Your meter is working normally' }) },
  describe: (b) => [{ label: 'SupplierMessage', value: b.message }],
});
