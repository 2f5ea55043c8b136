/**
 * Enumerations copied from DUIS_Schema_V5.4.xsd (DUIS 5.4, GBCS 4.3, Nov 2025) so that the schema checks
 * run without the XSD. Regenerate when the XSD changes; the tests compare them with the XSD file.
 */

/** sr:ServiceReference (xs:string enumeration). */
export const SERVICE_REFERENCES: readonly string[] = [
  '1.1', '1.2', '1.5', '1.6', '1.7', '2.1', '2.2', '2.3', '2.5', '3.1', '3.2', '3.3', '3.4', '3.5', '4.1',
  '4.2', '4.3', '4.4', '4.6', '4.8', '4.10', '4.11', '4.12', '4.13', '4.14', '4.15', '4.16', '4.17',
  '4.18', '5.1', '5.2', '5.3', '6.2', '6.4', '6.5', '6.6', '6.7', '6.8', '6.11', '6.12', '6.13', '6.14',
  '6.15', '6.17', '6.18', '6.20', '6.21', '6.22', '6.23', '6.24', '6.25', '6.26', '6.27', '6.28', '6.29',
  '6.30', '6.31', '6.32', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '7.7', '7.8', '7.9', '7.10', '7.11',
  '7.12', '7.13', '7.14', '7.15', '7.16', '8.1', '8.2', '8.3', '8.4', '8.5', '8.6', '8.7', '8.8', '8.9',
  '8.11', '8.12', '8.13', '8.14', '9.1', '11.1', '11.2', '11.3', '11.4', '12.1', '12.2', '14.1'
];

/** sr:ServiceReferenceVariant (xs:string enumeration). */
export const SERVICE_REFERENCE_VARIANTS: readonly string[] = [
  '1.1.1', '1.1.2', '1.2.1', '1.2.2', '1.5', '1.6', '1.7', '2.1', '2.2', '2.3', '2.5', '3.1', '3.2',
  '3.3', '3.4', '3.5', '4.1.1', '4.1.2', '4.1.3', '4.1.4', '4.2', '4.3', '4.4.2', '4.4.3', '4.4.4',
  '4.4.5', '4.6.1', '4.6.2', '4.8.1', '4.8.2', '4.8.3', '4.10', '4.11.1', '4.11.2', '4.12.1', '4.12.2',
  '4.13', '4.14', '4.15', '4.16', '4.17', '4.18', '5.1', '5.2', '5.3', '6.2.1', '6.2.2', '6.2.3', '6.2.4',
  '6.2.5', '6.2.7', '6.2.8', '6.2.9', '6.2.10', '6.4.1', '6.4.2', '6.5', '6.6', '6.7', '6.8', '6.11',
  '6.12', '6.13', '6.14.1', '6.14.2', '6.14.3', '6.15.1', '6.15.2', '6.17', '6.18.1', '6.18.2', '6.20.1',
  '6.20.2', '6.21', '6.22', '6.23', '6.24.1', '6.24.2', '6.25', '6.26', '6.27', '6.28', '6.29', '6.30',
  '6.31', '6.32', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '7.7', '7.8', '7.9', '7.10', '7.11', '7.12',
  '7.13', '7.14', '7.15', '7.16', '8.1.1', '8.2', '8.3', '8.4', '8.5', '8.6', '8.7.1', '8.7.2', '8.8.1',
  '8.8.2', '8.9', '8.11', '8.12.1', '8.12.2', '8.13', '8.14.1', '8.14.2', '8.14.3', '8.14.4', '9.1',
  '11.1', '11.2', '11.3', '11.4', '12.1', '12.2', '14.1'
];

/** sr:ResponseCode (xs:string enumeration). */
export const RESPONSE_CODES: readonly string[] = [
  'I0', 'I99', 'E1', 'E2', 'E3', 'E4', 'E5', 'E11', 'E12', 'E13', 'E17', 'E19', 'E20', 'E21', 'E30',
  'E31', 'E40', 'E41', 'E42', 'E43', 'E44', 'E45', 'E46', 'E47', 'E48', 'E49', 'E50', 'E51', 'E52', 'E53',
  'E54', 'E55', 'E56', 'E57', 'E58', 'E59', 'E60', 'E61', 'E62', 'E63', 'E64', 'E65', 'E66', 'E67', 'E68',
  'E69', 'E70', 'E71', 'E100', 'E1000', 'E1001', 'E1003', 'E1004', 'E1006', 'E1007', 'E1008', 'E1010',
  'E1011', 'E010101', 'E010102', 'E010201', 'E030301', 'E030302', 'E040101', 'E041701', 'E050101',
  'E050102', 'E050103', 'E050105', 'E050107', 'E050108', 'E050109', 'E050110', 'E050111', 'E050112',
  'E050201', 'E050202', 'W050201', 'E050301', 'E050302', 'W050301', 'E060501', 'E060502', 'E060701',
  'E060801', 'E060802', 'E060803', 'E061301', 'E061304', 'E061305', 'E061501', 'E061504', 'E061505',
  'E061506', 'E061507', 'E061508', 'E061509', 'E061801', 'E061802', 'E061803', 'E062101', 'E062102',
  'E062103', 'E062105', 'E062201', 'E062202', 'E062203', 'E062301', 'E062302', 'E062303', 'E062304',
  'E062305', 'E062306', 'E062401', 'E062402', 'E062403', 'E062801', 'E062802', 'E062803', 'E080201',
  'E080202', 'E080301', 'E080302', 'E080405', 'E080406', 'E080407', 'E080408', 'E080409', 'E080410',
  'E080411', 'E080412', 'E080413', 'E080414', 'E080415', 'E080501', 'E080502', 'E080503', 'E080601',
  'E080602', 'E080604', 'E080606', 'E080607', 'E080702', 'E080721', 'E080722', 'E080723', 'E080801',
  'E080821', 'E080822', 'E080901', 'E080902', 'E080903', 'E081101', 'E081102', 'E081104', 'E081105',
  'E081106', 'E081107', 'E081108', 'E081109', 'E081110', 'E081111', 'E081202', 'E081204', 'E081205',
  'E081221', 'E081222', 'E081223', 'E081301', 'E081302', 'E081303', 'E081401', 'E081402', 'E081405',
  'E081406', 'W081401', 'E110101', 'E110102', 'E110103', 'E110105', 'E110106', 'W110101', 'E110401',
  'E110402', 'E110403', 'E110405', 'W110401', 'E120101', 'E120102', 'E120103', 'E120201', 'E120203',
  'E120204', 'E120207'
];

/** The element names of the sr:Request/sr:Body choice. */
export const REQUEST_BODY_ELEMENTS: readonly string[] = [
  'UpdateImportTariffPrimaryElement', 'UpdateImportTariffSecondaryElement', 'UpdatePricePrimaryElement',
  'UpdatePriceSecondaryElement', 'UpdateMeterBalance', 'UpdatePaymentMode',
  'ResetTariffBlockCounterMatrix', 'UpdatePrepayConfiguration', 'TopUpDevice', 'UpdateDebt',
  'ActivateEmergencyCredit', 'DisplayMessage', 'RestrictAccessForChangeOfTenancy', 'ClearEventLog',
  'UpdateSupplierName', 'DisablePrivacyPIN', 'ReadInstantaneousImportRegisters',
  'ReadInstantaneousImportTOUMatrices', 'ReadInstantaneousImportTOUWithBlocksMatrices',
  'ReadInstantaneousImportBlockCounters', 'ReadInstantaneousExportRegisters',
  'ReadInstantaneousPrepayValues', 'RetrieveCoMOrTariffTriggeredBillingDataLog',
  'RetrieveBillingCalendarTriggeredBillingDataLog', 'RetrieveBillingDataLogDebtPayments',
  'RetrieveBillingDataLogPrepaymentCredits', 'RetrieveImportDailyReadLog', 'RetrieveExportDailyReadLog',
  'ReadActiveImportProfileData', 'ReadReactiveImportProfileData', 'ReadExportProfileData',
  'ReadNetworkData', 'ReadTariffPrimaryElement', 'ReadTariffSecondaryElement',
  'ReadMaximumDemandImportRegisters', 'ReadMaximumDemandExportRegisters', 'ReadPrepaymentConfiguration',
  'ReadPrepaymentDailyReadLog', 'ReadLoadLimitData', 'ReadActivePowerImport',
  'RetrieveDailyConsumptionLog', 'ReadMeterBalance', 'CreateSchedule', 'ReadSchedule', 'DeleteSchedule',
  'ReadDeviceConfigurationVoltage', 'ReadDeviceConfigurationRandomisation',
  'ReadDeviceConfigurationBillingCalendar', 'ReadDeviceConfigurationIdentityExcMPxN',
  'ReadDeviceConfigurationInstantaneousPowerThresholds', 'ReadDeviceConfigurationMPxN',
  'ReadDeviceConfigurationGas', 'ReadDeviceConfigurationPaymentMode',
  'ReadDeviceConfigurationEventAndAlertBehaviours',
  'UpdateDeviceConfigurationLoadLimitingGeneralSettings',
  'UpdateDeviceConfigurationLoadLimitingCounterReset', 'UpdateDeviceConfigurationVoltage',
  'UpdateDeviceConfigurationGasConversion', 'UpdateDeviceConfigurationGasFlow',
  'UpdateDeviceConfigurationBillingCalendar', 'SynchroniseClock',
  'UpdateDeviceConfigurationInstantaneousPowerThreshold', 'ReadEventOrSecurityLog',
  'UpdateDeviceConfigurationALCDescriptions', 'UpdateDeviceConfigurationALCScheduler',
  'UpdateDeviceConfigurationAuxiliaryControllerScheduler', 'UpdateSecurityCredentialsKRP',
  'UpdateSecurityCredentialsDevice', 'IssueSecurityCredentials', 'SetMaximumDemandConfigurableTimePeriod',
  'ResetMaximumDemandRegisters', 'SetDeviceConfigurationImportMPxN', 'SetDeviceConfigurationExportMPAN',
  'RequestHandoverOfDCCControlledDevice', 'ConfigureAlertBehaviour', 'UpdateSecurityCredentialsCoS',
  'RetrieveDeviceSecurityCredentialsKRP', 'RetrieveDeviceSecurityCredentialsDevice',
  'SetElectricitySupplyTamperState', 'UpdateDeviceConfigurationDailyResettingOfTariffBlockCounterMatrix',
  'UpdateDeviceConfigurationRMSVoltageCounterReset', 'SetCHFSubGHzConfiguration',
  'RequestCHFSubGHzChannelScan', 'ReadCHFSubGHzConfiguration', 'ReadCHFSubGHzChannel',
  'ReadCHFSubGHzChannelLog', 'EnableSupply', 'DisableSupply', 'ArmSupply', 'ReadSupplyStatus',
  'ActivateAuxiliaryLoad', 'DeactivateAuxiliaryLoad', 'ReadALCSData', 'ResetAuxiliaryLoad',
  'AddAuxiliaryLoadToBoostButton', 'RemoveAuxiliaryLoadFromBoostButton', 'ReadBoostButtonDetails',
  'SetRandomisedOffsetLimit', 'SetAuxiliaryControllerState', 'ReadAuxiliaryControllerConfigurationData',
  'ReadAuxiliaryControllerOperationalData', 'LimitAPCLevel', 'CommissionDeviceSynchroniseClock',
  'ReadInventory', 'DecommissionDevice', 'UpdateInventory', 'ServiceOptOut', 'ServiceOptIn',
  'JoinServiceCritical', 'JoinServiceNonCritical', 'UnjoinServiceCritical', 'UnjoinServiceNonCritical',
  'ReadDeviceLog', 'UpdateHANDeviceLog', 'RestoreHANDeviceLog', 'RestoreGPFDeviceLog',
  'ReturnLocalCommandResponse', 'CHFInstallSuccessSMWAN', 'CHFInstallSuccessNoSMWAN', 'CHFFaultReturn',
  'CHFNoFaultReturn', 'RequestCustomerIdentificationNumber', 'UpdateFirmware', 'ReadFirmwareVersion',
  'ActivateFirmware', 'UpdatePPMIDFirmware', 'RequestWANMatrix', 'DevicePrenotification',
  'RecordNetworkDataGAS', 'SignedPreCommand'
];

/** sr:DeviceType. */
export const DEVICE_TYPES: readonly string[] = [
  'ESME', 'GSME', 'GPF', 'CHF', 'HCALCS', 'PPMID', 'IHD', 'CAD'
];

/** sr:DeviceStatus. */
export const DEVICE_STATUSES: readonly string[] = [
  'Pending', 'Whitelisted', 'InstalledNotCommissioned', 'Commissioned', 'Decommissioned', 'Withdrawn',
  'Suspended', 'Recovery', 'Recovered'
];

/** sr:FirmwareVersionStatus. */
export const FIRMWARE_VERSION_STATUSES: readonly string[] = [
  'Active', 'Cancelled', 'Expired', 'Withdrawn'
];

/** sr:CPLStatus. */
export const CPL_STATUSES: readonly string[] = [
  'Active', 'Cancelled', 'Expired', 'Withdrawn'
];

/** sr:CSPRegion. */
export const CSP_REGIONS: readonly string[] = [
  'North', 'Central', 'South', '4G North', '4G Central', '4G South', 'Unknown', 'SMETS1'
];

/** sr:Connectivity. */
export const CONNECTIVITIES: readonly string[] = [
  'Cellular', 'Virtual'
];

/** sr:ESMEVariant. */
export const ESME_VARIANTS: readonly string[] = [
  'A', 'B', 'C', 'AD', 'BD', 'CD', 'ADE', 'BDE', 'CDE', 'ADF', 'BDF', 'CDF', 'ADEF', 'BDEF', 'CDEF',
  'ADG', 'ADEG', 'AF', 'BF', 'CF', 'AEF', 'BEF', 'CEF', 'AG', 'AEG'
];
