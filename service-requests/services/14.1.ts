/**
 * 14.1 Record Network Data (Gas): the gas transporter (the registered network operator) has the GSME sample its
 * consumption every 6 minutes, 41 samples (GCS31 Start Sampling), which 4.10 then reads. A GSME holds no network
 * operator cells, so the DCC's ACB sends it with the User's RequestID in other-information (‡, as RTDS).
 */
import { deviceCommandService, emptyBody } from './device-command.ts';
import { gsmeStartSampling } from './display-commands.ts';

export const recordNetworkDataGas = deviceCommandService({
  variant: '14.1',
  displayName: 'Record Network Data (Gas)',
  body: emptyBody('RecordNetworkDataGAS'),
  sender: 'networkOperator',
  command(_b, type, { now }) {
    if (type === 'GSME') return { useCase: 'GCS31', messageCode: 0x0080, payload: gsmeStartSampling(now), viaAcb: true };
    return `network data is recorded by a GSME, not a ${type}`;
  },
  example: { name: 'record-network-data', body: () => ({ kind: 'RecordNetworkDataGAS' as const }) },
});
