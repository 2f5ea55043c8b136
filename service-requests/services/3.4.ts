/** 3.4 Update Supplier Name: the name and telephone number the meter shows, on an ESME (ECS16) or a GSME (GCS44). */
import { deviceCommandService } from './device-command.ts';
import { bodies, esmeSupplierName, gsmeSupplierName } from './display-commands.ts';

export const updateSupplierName = deviceCommandService({
  variant: '3.4',
  displayName: 'Update Supplier Name',
  body: bodies.supplierName,
  sender: 'supplier',
  command(b, type, { counter, now }) {
    if (type === 'ESME') return { useCase: 'ECS16', messageCode: 0x0025, payload: esmeSupplierName(counter, b.name, b.telephone) };
    if (type === 'GSME') return { useCase: 'GCS44', messageCode: 0x0088, payload: gsmeSupplierName(now, b.name, b.telephone) };
    return `a supplier name is shown by an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'supplier-name', body: () => ({ kind: 'UpdateSupplierName' as const, name: 'DCC SIM ENERGY', telephone: '0800 000 0000' }) },
  describe: (b) => [{ label: 'SupplierName', value: b.name }, { label: 'SupplierTelephoneNumber', value: b.telephone }],
});
