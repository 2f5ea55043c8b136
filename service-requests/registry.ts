/**
 * The service registry: the DUIS service request variants dcc-sim carries out, one module each.
 * Request parsing and building, the pipeline, the DCC, the console, the scenarios and the CLI ask
 * it; a service that is not listed here is refused as unsupported, naming what is.
 */
import { CRITICAL_SERVICE_REFERENCE_VARIANTS, DuisRejection, type BodyCodec, type DuisRejectionContext, type RequestBody, type RequestBodies } from './duis/index.ts';
import type { Endpoint, ServiceModule } from './service.ts';
import { updateSecurityCredentialsKrp, updateSecurityCredentialsKrpSigned } from './services/6.15.1.ts';
import { issueSecurityCredentials, issueSecurityCredentialsSigned } from './services/6.17.ts';
import { updateSecurityCredentialsDevice, updateSecurityCredentialsDeviceSigned } from './services/6.15.2.ts';
import { requestHandoverOfDccControlledDevice } from './services/6.21.ts';
import { updateSecurityCredentialsCoS } from './services/6.23.ts';
import { retrieveDeviceSecurityCredentialsKrp } from './services/6.24.1.ts';
import { retrieveDeviceSecurityCredentialsDevice, retrieveDeviceSecurityCredentialsDeviceSigned } from './services/6.24.2.ts';
import { readInventory } from './services/8.2.ts';
import { decommissionDevice } from './services/8.3.ts';
import { updateInventory } from './services/8.4.ts';
import { serviceOptOut } from './services/8.5.ts';
import { serviceOptIn } from './services/8.6.ts';
import { returnLocalCommandResponse } from './services/8.13.ts';
import { chfInstallSuccessSmWan } from './services/8.14.1.ts';
import { chfInstallSuccessNoSmWan } from './services/8.14.2.ts';
import { chfFaultReturn } from './services/8.14.3.ts';
import { chfNoFaultReturn } from './services/8.14.4.ts';
import { requestWanMatrix } from './services/12.1.ts';
import { devicePrenotification } from './services/12.2.ts';
import { SIGNED_PRE_COMMAND_VARIANTS } from './services/signed-pre-command.ts';
import { enableSupply, enableSupplySigned } from './services/7.1.ts';
import { disableSupply, disableSupplySigned } from './services/7.2.ts';
import { armSupply, armSupplySigned } from './services/7.3.ts';
import { readSupplyStatus } from './services/7.4.ts';
// tariffs and balances (section 1)
import { updateImportTariffPrimary, updateImportTariffPrimarySigned } from './services/1.1.1.ts';
import { updateImportTariffSecondary, updateImportTariffSecondarySigned } from './services/1.1.2.ts';
import { updatePricePrimary, updatePricePrimarySigned } from './services/1.2.1.ts';
import { updatePriceSecondary, updatePriceSecondarySigned } from './services/1.2.2.ts';
import { updateMeterBalance, updateMeterBalanceSigned } from './services/1.5.ts';
import { updatePaymentMode, updatePaymentModeSigned } from './services/1.6.ts';
import { resetTariffBlockCounterMatrix, resetTariffBlockCounterMatrixSigned } from './services/1.7.ts';
import { updatePrepayConfiguration, updatePrepayConfigurationSigned } from './services/2.1.ts';
import { topUpDevice } from './services/2.2.ts';
import { updateDebt, updateDebtSigned } from './services/2.3.ts';
import { activateEmergencyCredit, activateEmergencyCreditSigned } from './services/2.5.ts';
import { activateAuxiliaryLoad, activateAuxiliaryLoadSigned } from './services/7.5.ts';
import { deactivateAuxiliaryLoad, deactivateAuxiliaryLoadSigned } from './services/7.6.ts';
import { readAlcsDataService } from './services/7.7.ts';
import { resetAuxiliaryLoad, resetAuxiliaryLoadSigned } from './services/7.8.ts';
import { addAuxiliaryLoadToBoostButton } from './services/7.9.ts';
import { removeAuxiliaryLoadFromBoostButton } from './services/7.10.ts';
import { readBoostButtonDetails } from './services/7.11.ts';
import { setRandomisedOffsetLimit, setRandomisedOffsetLimitSigned } from './services/7.12.ts';
import { setAuxiliaryControllerState, setAuxiliaryControllerStateSigned } from './services/7.13.ts';
import { readAuxiliaryControllerConfigurationData } from './services/7.14.ts';
import { readAuxiliaryControllerOperationalData } from './services/7.15.ts';
import { readDeviceConfigurationVoltage } from './services/6.2.1.ts';
import { readDeviceConfigurationRandomisation } from './services/6.2.2.ts';
import { readDeviceConfigurationBillingCalendar } from './services/6.2.3.ts';
import { readDeviceConfigurationIdentity } from './services/6.2.4.ts';
import { readDeviceConfigurationPowerThresholds } from './services/6.2.5.ts';
import { readDeviceConfigurationMpxn } from './services/6.2.7.ts';
import { readDeviceConfigurationGas } from './services/6.2.8.ts';
import { readDeviceConfigurationPaymentMode } from './services/6.2.9.ts';
import { readEventOrSecurityLog } from './services/6.13.ts';
import { updateAuxiliaryControllerScheduler, updateAuxiliaryControllerSchedulerSigned } from './services/6.14.3.ts';
import { updateAlcScheduler, updateAlcSchedulerSigned } from './services/6.14.2.ts';
import { updateGasConversion, updateGasConversionSigned } from './services/6.6.ts';
import { updateGasFlow, updateGasFlowSigned } from './services/6.7.ts';
import { updateBillingCalendar, updateBillingCalendarSigned } from './services/6.8.ts';
import { updateAlcDescriptions, updateAlcDescriptionsSigned } from './services/6.14.1.ts';
import { readEventAndAlertBehaviours } from './services/6.2.10.ts';
import { updateLoadLimitingGeneralSettings, updateLoadLimitingGeneralSettingsSigned } from './services/6.4.1.ts';
import { updateLoadLimitingCounterReset } from './services/6.4.2.ts';
import { updateDeviceConfigurationVoltage } from './services/6.5.ts';
import { updateDeviceConfigurationPowerThreshold } from './services/6.12.ts';
import { setMaximumDemandConfigurableTimePeriod } from './services/6.18.1.ts';
import { resetMaximumDemandRegisters } from './services/6.18.2.ts';
import { setDeviceConfigurationImportMpxn } from './services/6.20.1.ts';
import { setDeviceConfigurationExportMpan } from './services/6.20.2.ts';
import { setElectricitySupplyTamperState, setElectricitySupplyTamperStateSigned } from './services/6.25.ts';
import { updateDailyBlockCounterReset, updateDailyBlockCounterResetSigned } from './services/6.26.ts';
import { updateRmsVoltageCounterReset } from './services/6.27.ts';
import { setChfSubGhzConfiguration } from './services/6.28.ts';
import { requestChfSubGhzChannelScan } from './services/6.29.ts';
import { readChfSubGhzConfiguration } from './services/6.30.ts';
import { readChfSubGhzChannel } from './services/6.31.ts';
import { readChfSubGhzChannelLog } from './services/6.32.ts';
// ESME reads (section 4)
import { readInstantaneousImportRegisters } from './services/4.1.1.ts';
import { readInstantaneousImportTOUMatrices } from './services/4.1.2.ts';
import { readInstantaneousImportTOUWithBlocksMatrices } from './services/4.1.3.ts';
import { readInstantaneousExportRegisters } from './services/4.2.ts';
import { readInstantaneousPrepayValues } from './services/4.3.ts';
import { retrieveCoMOrTariffTriggeredBillingDataLog } from './services/4.4.2.ts';
import { retrieveBillingCalendarTriggeredBillingDataLog } from './services/4.4.3.ts';
import { retrieveBillingDataLogDebtPayments } from './services/4.4.4.ts';
import { retrieveBillingDataLogPrepaymentCredits } from './services/4.4.5.ts';
import { retrieveImportDailyReadLog } from './services/4.6.1.ts';
import { retrieveExportDailyReadLog } from './services/4.6.2.ts';
import { readActiveImportProfileData } from './services/4.8.1.ts';
import { readReactiveImportProfileData } from './services/4.8.2.ts';
import { readExportProfileData } from './services/4.8.3.ts';
import { readNetworkData } from './services/4.10.ts';
import { readTariffPrimaryElement } from './services/4.11.1.ts';
import { readTariffSecondaryElement } from './services/4.11.2.ts';
import { readMaximumDemandImportRegisters } from './services/4.12.1.ts';
import { readMaximumDemandExportRegisters } from './services/4.12.2.ts';
import { readPrepaymentConfiguration } from './services/4.13.ts';
import { readPrepaymentDailyReadLog } from './services/4.14.ts';
import { readLoadLimitData } from './services/4.15.ts';
import { readActivePowerImport } from './services/4.16.ts';
import { retrieveDailyConsumptionLog } from './services/4.17.ts';
import { readMeterBalance } from './services/4.18.ts';
// DCC schedules (section 5)
import { createSchedule } from './services/5.1.ts';
import { readSchedule } from './services/5.2.ts';
import { deleteSchedule } from './services/5.3.ts';
import { readInstantaneousImportBlockCounters } from './services/4.1.4.ts';
import { displayMessage } from './services/3.1.ts';
import { restrictAccessForChangeOfTenancy } from './services/3.2.ts';
import { clearEventLog } from './services/3.3.ts';
import { updateSupplierName } from './services/3.4.ts';
import { disablePrivacyPin } from './services/3.5.ts';
import { requestCustomerIdentificationNumber } from './services/9.1.ts';
import { recordNetworkDataGas } from './services/14.1.ts';
import { commissionDevice, commissionDeviceSigned } from './services/8.1.1.ts';
import { synchroniseClock, synchroniseClockSigned } from './services/6.11.ts';
import { updateHanDeviceLog } from './services/8.11.ts';
import { readDeviceLog } from './services/8.9.ts';
import { joinServiceCritical, joinServiceCriticalSigned } from './services/8.7.1.ts';
import { joinServiceNonCritical } from './services/8.7.2.ts';
import { unjoinServiceCritical, unjoinServiceCriticalSigned } from './services/8.8.1.ts';
import { unjoinServiceNonCritical } from './services/8.8.2.ts';
import { updateFirmware } from './services/11.1.ts';
import { readFirmwareVersion } from './services/11.2.ts';
import { activateFirmware, activateFirmwareSigned } from './services/11.3.ts';
import { updatePpmidFirmware } from './services/11.4.ts';
import { restoreHanDeviceLog } from './services/8.12.1.ts';
import { restoreGpfDeviceLog } from './services/8.12.2.ts';
import { limitApcLevel, limitApcLevelSigned } from './services/7.16.ts';
import { configureAlertBehaviour } from './services/6.22.ts';

/** In this order: an endpoint's first service names unreadable requests sent to it (see unreadService). */
export const SERVICES = [
  updateSecurityCredentialsKrp,
  updateSecurityCredentialsKrpSigned,
  issueSecurityCredentials,
  issueSecurityCredentialsSigned,
  updateSecurityCredentialsDevice,
  updateSecurityCredentialsDeviceSigned,
  requestHandoverOfDccControlledDevice,
  updateSecurityCredentialsCoS,
  retrieveDeviceSecurityCredentialsKrp,
  retrieveDeviceSecurityCredentialsDevice,
  retrieveDeviceSecurityCredentialsDeviceSigned,
  readInventory,
  decommissionDevice,
  updateInventory,
  serviceOptOut,
  serviceOptIn,
  returnLocalCommandResponse,
  chfInstallSuccessSmWan,
  chfInstallSuccessNoSmWan,
  chfFaultReturn,
  chfNoFaultReturn,
  requestWanMatrix,
  devicePrenotification,
  enableSupply,
  enableSupplySigned,
  disableSupply,
  disableSupplySigned,
  armSupply,
  armSupplySigned,
  readSupplyStatus,
  // tariffs and balances (section 1)
  updateImportTariffPrimary,
  updateImportTariffPrimarySigned,
  updateImportTariffSecondary,
  updateImportTariffSecondarySigned,
  updatePricePrimary,
  updatePricePrimarySigned,
  updatePriceSecondary,
  updatePriceSecondarySigned,
  updateMeterBalance,
  updateMeterBalanceSigned,
  updatePaymentMode,
  updatePaymentModeSigned,
  resetTariffBlockCounterMatrix,
  resetTariffBlockCounterMatrixSigned,
  // prepayment (DUIS section 2)
  updatePrepayConfiguration,
  updatePrepayConfigurationSigned,
  topUpDevice,
  updateDebt,
  updateDebtSigned,
  activateEmergencyCredit,
  activateEmergencyCreditSigned,
  // auxiliary loads, boost button and auxiliary controllers (DUIS 7.5-7.15)
  activateAuxiliaryLoad,
  activateAuxiliaryLoadSigned,
  deactivateAuxiliaryLoad,
  deactivateAuxiliaryLoadSigned,
  readAlcsDataService,
  resetAuxiliaryLoad,
  resetAuxiliaryLoadSigned,
  addAuxiliaryLoadToBoostButton,
  removeAuxiliaryLoadFromBoostButton,
  readBoostButtonDetails,
  setRandomisedOffsetLimit,
  setRandomisedOffsetLimitSigned,
  setAuxiliaryControllerState,
  setAuxiliaryControllerStateSigned,
  readAuxiliaryControllerConfigurationData,
  readAuxiliaryControllerOperationalData,
  // device configuration (DUIS section 6, issue 15)
  readDeviceConfigurationVoltage,
  readDeviceConfigurationRandomisation,
  readDeviceConfigurationBillingCalendar,
  readDeviceConfigurationIdentity,
  readDeviceConfigurationPowerThresholds,
  readDeviceConfigurationMpxn,
  readDeviceConfigurationGas,
  readDeviceConfigurationPaymentMode,
  readEventOrSecurityLog,
  updateDeviceConfigurationVoltage,
  updateDeviceConfigurationPowerThreshold,
  setMaximumDemandConfigurableTimePeriod,
  resetMaximumDemandRegisters,
  setDeviceConfigurationImportMpxn,
  setDeviceConfigurationExportMpan,
  setElectricitySupplyTamperState,
  setElectricitySupplyTamperStateSigned,
  updateDailyBlockCounterReset,
  updateDailyBlockCounterResetSigned,
  updateRmsVoltageCounterReset,
  setChfSubGhzConfiguration,
  requestChfSubGhzChannelScan,
  readChfSubGhzConfiguration,
  readChfSubGhzChannel,
  readChfSubGhzChannelLog,
  readEventAndAlertBehaviours,
  updateLoadLimitingGeneralSettings,
  updateLoadLimitingGeneralSettingsSigned,
  updateLoadLimitingCounterReset,
  updateBillingCalendar,
  updateBillingCalendarSigned,
  updateAlcDescriptions,
  updateAlcDescriptionsSigned,
  updateGasConversion,
  updateGasConversionSigned,
  updateGasFlow,
  updateGasFlowSigned,
  updateAlcScheduler,
  updateAlcSchedulerSigned,
  updateAuxiliaryControllerScheduler,
  updateAuxiliaryControllerSchedulerSigned,
  // ESME reads (section 4): the ESME's command; another device type's from gsme-reads.ts
  readInstantaneousImportRegisters,
  readInstantaneousImportTOUMatrices,
  readInstantaneousImportTOUWithBlocksMatrices,
  readInstantaneousExportRegisters,
  readInstantaneousPrepayValues,
  retrieveCoMOrTariffTriggeredBillingDataLog,
  retrieveBillingCalendarTriggeredBillingDataLog,
  retrieveBillingDataLogDebtPayments,
  retrieveBillingDataLogPrepaymentCredits,
  retrieveImportDailyReadLog,
  retrieveExportDailyReadLog,
  readActiveImportProfileData,
  readReactiveImportProfileData,
  readExportProfileData,
  readNetworkData,
  readTariffPrimaryElement,
  readTariffSecondaryElement,
  readMaximumDemandImportRegisters,
  readMaximumDemandExportRegisters,
  readPrepaymentConfiguration,
  readPrepaymentDailyReadLog,
  readLoadLimitData,
  readActivePowerImport,
  retrieveDailyConsumptionLog,
  readMeterBalance,
  // DCC schedules (section 5): non-device; the DCC sends the scheduled reads as the clock moves
  createSchedule,
  readSchedule,
  deleteSchedule,
  // GSME/GPF reads, display, tenancy, event logs, supplier details, CIN, network data (issue 16)
  readInstantaneousImportBlockCounters,
  displayMessage,
  restrictAccessForChangeOfTenancy,
  clearEventLog,
  updateSupplierName,
  disablePrivacyPin,
  requestCustomerIdentificationNumber,
  recordNetworkDataGas,
  // Installation, commissioning, the HAN and the comms hub's device log; firmware
  commissionDevice,
  commissionDeviceSigned,
  synchroniseClock,
  synchroniseClockSigned,
  updateHanDeviceLog,
  readDeviceLog,
  joinServiceCritical,
  joinServiceCriticalSigned,
  joinServiceNonCritical,
  unjoinServiceCritical,
  unjoinServiceCriticalSigned,
  unjoinServiceNonCritical,
  updateFirmware,
  readFirmwareVersion,
  activateFirmware,
  activateFirmwareSigned,
  updatePpmidFirmware,
  restoreHanDeviceLog,
  restoreGpfDeviceLog,
  limitApcLevel,
  limitApcLevelSigned,
  configureAlertBehaviour,
] as const satisfies readonly ServiceModule<any>[];

/** The request bodies of the registered services: what a parsed DuisRequest may carry. */
export type ServiceBody = ReturnType<(typeof SERVICES)[number]['body']['read']>;
export type ServiceBodyKind = ServiceBody['kind'];

type AnyService = ServiceModule<any>;
const ALL: readonly AnyService[] = SERVICES;

/** The modules that complete a critical service's pre-command, by the critical service's variant. */
const PRE_COMMAND_LEGS = new Map(ALL.filter((s) => s.completesPreCommand).map((s) => [s.variant, s]));
const BY_ELEMENT = new Map<string, AnyService>();
for (const s of ALL) if (!s.completesPreCommand && !BY_ELEMENT.has(s.body.element)) BY_ELEMENT.set(s.body.element, s);
const BY_VARIANT = new Map(ALL.filter((s) => !s.completesPreCommand).map((s) => [s.variant, s]));
const SIGNED_PRE_COMMAND = 'SignedPreCommand';

/** The module that serves a request with this body element and ServiceReferenceVariant, if any. */
export function serviceFor(bodyElement: string, serviceReferenceVariant: string): AnyService | undefined {
  if (bodyElement === SIGNED_PRE_COMMAND) return PRE_COMMAND_LEGS.get(serviceReferenceVariant);
  return BY_ELEMENT.get(bodyElement);
}

/** The module whose request body is this element (a critical service's request, not its signed leg). */
export function serviceOfBody(bodyElement: string): AnyService | undefined {
  return BY_ELEMENT.get(bodyElement);
}

/** The module of a service request variant (the request itself, not its signed pre-command leg). */
export function serviceByVariant(variant: string): AnyService | undefined {
  return BY_VARIANT.get(variant);
}

/** The registered variants as users see them: names, kind, body element, endpoints and who may send each. */
export function serviceCatalogue(): {
  variant: string; reference: string; name: string; displayName: string; critical: boolean; nonDevice: boolean;
  bodyElement: string; endpoints: Record<string, string>; userRoles: string[];
}[] {
  return [...BY_VARIANT.values()].map((s) => ({
    variant: s.variant, reference: s.reference, name: s.name, displayName: s.displayName, critical: s.critical, nonDevice: s.nonDevice,
    bodyElement: s.body.element,
    endpoints: Object.fromEntries(Object.entries({ ...s.endpoints, ...(PRE_COMMAND_LEGS.get(s.variant)?.endpoints ?? {}) }).map(([cv, ep]) => [cv, ep as string])),
    userRoles: [...(s.userRoles.length > 0 ? s.userRoles : (s.assumedUserRoles ?? []))],
  }));
}

/** The service whose example builder has this name (`dcc-sim example <name>`). */
export function serviceByExample(name: string): AnyService | undefined {
  return ALL.find((s) => s.example?.name === name);
}

/** The example builders' names, in registry order. */
export function exampleNames(): string[] {
  return ALL.flatMap((s) => (s.example ? [s.example.name] : []));
}

/** The service whose GBCS command carries this message code, for a future-dated command's alert. */
export function serviceOfMessageCode(messageCode: number): AnyService | undefined {
  return ALL.find((s) => !s.completesPreCommand && s.messageCodes?.includes(messageCode));
}

/**
 * The service an error response names when the request was refused before its header could be read
 * (size, unsafe or malformed XML, schema). A DUIS ResponseMessage must carry a ServiceReference and
 * ServiceReferenceVariant from the XSD's enumerations, so the endpoint's own first service is the
 * closest honest answer.
 */
export function unreadService(endpoint: Endpoint): { serviceReference: string; serviceReferenceVariant: string } {
  const s = ALL.find((m) => !m.completesPreCommand && Object.values(m.endpoints).includes(endpoint)) ?? ALL[0]!;
  return { serviceReference: s.reference, serviceReferenceVariant: s.variant };
}

function supportedList(): string {
  const named = [...BY_VARIANT.values()].map((s) => `${s.variant} ${s.body.element}`);
  const legs = [...PRE_COMMAND_LEGS.keys()];
  const last = `${SIGNED_PRE_COMMAND} (for ${legs.join(', ')})`;
  return `${named.join(', ')} and ${last}`;
}

/** The service's own header/body consistency and CommandVariant rules (parse time). */
function checkService(body: RequestBody, cv: number, srv: string, ctx: DuisRejectionContext): void {
  if (body.kind === SIGNED_PRE_COMMAND) {
    if (!CRITICAL_SERVICE_REFERENCE_VARIANTS.includes(srv)) throw new DuisRejection('consistency', `a SignedPreCommand answers a critical service request, and ${srv} is not critical`, ctx);
    if (!PRE_COMMAND_LEGS.has(srv)) {
      throw new DuisRejection('unsupported', `signed pre-commands for ${srv} are not supported by dcc-sim (only ${[...PRE_COMMAND_LEGS.keys()].join(', ')})`, ctx);
    }
    if (!SIGNED_PRE_COMMAND_VARIANTS.includes(cv)) {
      throw new DuisRejection('command-variant', `CommandVariant ${cv} does not fit a SignedPreCommand, which is sent with CommandVariant 5, 6 or 7`, ctx);
    }
    return;
  }
  const service = BY_ELEMENT.get(body.kind)!;
  if (srv !== service.variant) {
    throw new DuisRejection('consistency', `sr:${body.kind} is service ${service.variant}, but the header says ServiceReferenceVariant ${srv}`, ctx);
  }
  if (!service.commandVariants.includes(cv)) {
    const why = service.critical
      ? `${srv} is a critical service request: send it with CommandVariant 4 to obtain the pre-command, then the SignedPreCommand with 5, 6 or 7`
      : service.nonDevice
        ? `${srv} is a non-device service request, answered by the DCC: CommandVariant 8`
        : `${srv} is a non-critical device service request: CommandVariant 1, 2 or 3`;
    throw new DuisRejection('command-variant', `CommandVariant ${cv} is not applicable: ${why}`, ctx);
  }
}

/** The registry as the DUIS envelope reader sees it. */
export const REQUEST_BODIES: RequestBodies<ServiceBody> = {
  codec(element: string): BodyCodec<ServiceBody> | undefined {
    if (element === SIGNED_PRE_COMMAND) return PRE_COMMAND_LEGS.values().next().value?.body;
    return BY_ELEMENT.get(element)?.body;
  },
  supportedList,
  checkService,
};
