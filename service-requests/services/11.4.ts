/**
 * 11.4 Update PPMID/HCALCS Firmware: as 11.1, for a supplier's PPMIDs and HCALCSs (firmware-distribution.ts).
 * The HAN device activates the image when it has it (GBCS: the PPMID then raises CS09, which dcc-sim does not
 * emulate); 11.2 (CS08) then reads the new version.
 */
import { dashedEui } from '../../pki/index.ts';
import { firmwareDistributionService } from './firmware-distribution.ts';

/** dcc-sim's assignment of the E1104xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes1104 = {
  unknownDevice: 'E110401', // a DeviceID is not in the smart metering inventory
  notSupplier: 'E110402', // the sender is not the registered supplier of a listed device
  deviceType: 'E110403', // a listed device is not a PPMID or an HCALCS (meters take 11.1)
  version: 'E110405', // FirmwareVersion is not the four octets a device reports (8 hex digits)
} as const;

export const updatePpmidFirmware = firmwareDistributionService({
  variant: '11.4',
  displayName: 'Update PPMID/HCALCS Firmware',
  element: 'UpdatePPMIDFirmware',
  exampleName: 'update-ppmid-firmware',
  codes: Codes1104,
  takesImage: ['PPMID', 'HCALCS'],
  wrongType: (d) => `${d.type} ${dashedEui(d.eui)} is not a PPMID or an HCALCS${d.type === 'ESME' || d.type === 'GSME' ? ' (a meter takes Update Firmware, 11.1)' : ''}`,
  activatesOnArrival: true,
  devices: 'HAN device(s)',
});
