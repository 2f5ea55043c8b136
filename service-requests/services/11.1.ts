/**
 * 11.1 Update Firmware: a supplier gives the DCC a firmware image for its meters; the DCC distributes it
 * (firmware-distribution.ts) and the meter verifies its hash and runs it when 11.3 activates it.
 */
import { dashedEui } from '../../pki/index.ts';
import { firmwareDistributionService } from './firmware-distribution.ts';

/** dcc-sim's assignment of the E1101xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes1101 = {
  unknownDevice: 'E110101', // a DeviceID is not in the smart metering inventory
  notSupplier: 'E110102', // the sender is not the registered supplier of a listed device
  deviceType: 'E110103', // a listed device does not take an image by 11.1 (comms hubs, GPFs; PPMIDs and HCALCSs take 11.4)
  version: 'E110105', // FirmwareVersion is not the four octets a meter reports (8 hex digits)
  status: 'E110106', // a listed device is not installed (decommissioned, withdrawn, suspended)
} as const;

export const updateFirmware = firmwareDistributionService({
  variant: '11.1',
  displayName: 'Update Firmware',
  element: 'UpdateFirmware',
  exampleName: 'update-firmware',
  codes: Codes1101,
  takesImage: ['ESME', 'GSME'],
  wrongType: (d) => `${d.type} ${dashedEui(d.eui)} does not take an image by Update Firmware${d.type === 'CHF' || d.type === 'GPF' ? ' (the DCC updates comms hubs itself)' : ''}`,
  installed: ['Whitelisted', 'InstalledNotCommissioned', 'Commissioned'],
  activatesOnArrival: false,
  devices: 'device(s)',
});
