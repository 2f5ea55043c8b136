/** 6.2.8 Read Device Configuration (Gas): the GSME's conversion, calorific value and uncontrolled-flow settings (GCS21a). */
import { ZclCluster } from '../../devices/index.ts';
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, zclReads } from './configuration-commands.ts';

export const readDeviceConfigurationGas = deviceCommandService({
  variant: '6.2.8',
  displayName: 'Read Device Configuration (Gas)',
  body: emptyBody('ReadDeviceConfigurationGas'),
  sender: 'supplier',
  command: byDeviceType('the gas configuration', {
    GSME: () => ({
      useCase: 'GCS21a', messageCode: 0x007b,
      // Price: conversion factor, its trailing digit, calorific value, its unit, its trailing digit; Metering: uncontrolled flow settings
      payload: zclReads([[ZclCluster.price, [0x0306, 0x0305, 0x0304, 0x0303, 0x0302]], [ZclCluster.metering, [0x0b13, 0x0b12, 0x0b11, 0x0b10, 0x0b14, 0x0b15]]]),
    }),
  }),
  example: { name: 'read-gas-configuration', body: () => ({ kind: 'ReadDeviceConfigurationGas' as const }) },
});
