/**
 * The devices room: the GBCS codec (CS02a, CS02b, CS02c framing and payloads, signature, ACB MAC, annotations)
 * and the device emulators (ESME, GSME, GPF, CHF) that verify and execute CS02a/CS02b/CS02c commands. Both sides
 * dispatch by GBCS message code through a table of use cases (gbcs/codecs.ts, emulator/registry.ts).
 * Other rooms import only this file.
 */
export { GbcsError } from './gbcs/errors.ts';
export type { Annotate, LengthStyle } from './gbcs/ber.ts';
export type { CellId, CellKeyUsage } from './gbcs/cell-id.ts';
export { describeCellId, sameCell } from './gbcs/cell-id.ts';
export { encodeDlmsDateTime, decodeDlmsDateTime } from './gbcs/dlms-time.ts';
export {
  CRA_FLAG, encodeApdu, decodeApdu, signApdu, verifyApduSignature, stripSignature,
} from './gbcs/apdu.ts';
export type { Cra, GroupingHeader, ApduFields, ApduForm, GeneralSigningApdu } from './gbcs/apdu.ts';
export {
  MAC_LENGTH, computeGbcsMac, wrapWithMac, wrapWithAcbMac, verifyMac, isGeneralCiphering, unwrapGeneralCiphering, keyAgreement, rememberKeyAgreements,
} from './gbcs/mac.ts';
export type { CipheredMessage, KeyAgreement, P256PublicKey } from './gbcs/mac.ts';
export {
  CredentialsReplacementMode, StatusCode, ALERT_FUTURE_DATED_SUCCESS, ALERT_FUTURE_DATED_FAILURE, CANCELLATION_DATE_TIME,
  CS02B_ALERT_MESSAGE_CODE, CS02B_MESSAGE_CODES, cs02bMessageCode, isCs02bMessageCode, modeName, statusName,
  encodeCs02bCommand, decodeCs02bCommand, encodeCs02bResponse, decodeCs02bResponse, encodeCs02bAlert, decodeCs02bAlert,
} from './gbcs/cs02b.ts';
export type {
  Cs02bCommand, Cs02bReplacement, Cs02bResponse, Cs02bAlert, ExecutionOutcome, ReplacementOutcome, RemotePartySeqNumberChange,
  Cs02bBody,
} from './gbcs/cs02b.ts';
export {
  CS02A_MESSAGE_CODE, encodeCs02aCommand, decodeCs02aCommand, encodeCs02aResponse, decodeCs02aResponse,
} from './gbcs/cs02a.ts';
export type { Cs02aCommand, Cs02aResponse, Cs02aRoleDetails, Cs02aCellDetails, Cs02aBody } from './gbcs/cs02a.ts';
export {
  CS02C_MESSAGE_CODE, Cs02cError, encodeCs02cCommand, decodeCs02cCommand, encodeCs02cResponse, decodeCs02cResponse, buildDeviceCsr,
} from './gbcs/cs02c.ts';
export type { Cs02cCommand, Cs02cResponse, Cs02cCsr, Cs02cBody, DeviceKeyUsage } from './gbcs/cs02c.ts';
export {
  CS02D_MESSAGE_CODE, DeviceCertificateStatus, encodeCs02dCommand, decodeCs02dCommand, decodeCs02dResponse, encodeStatusResponse,
} from './gbcs/cs02d.ts';
export type { Cs02dCommand, Cs02dResponse, Cs02dBody } from './gbcs/cs02d.ts';
export { CS02E_MESSAGE_CODE, encodeCs02eCommand, decodeCs02eCommand, encodeCs02eResponse, decodeCs02eResponse } from './gbcs/cs02e.ts';
export type { Cs02eCommand, Cs02eResponse, Cs02eBody } from './gbcs/cs02e.ts';
export { CS02F_MESSAGE_CODE, encodeCs02fCommand, decodeCs02fCommand, encodeCs02fResponse, decodeCs02fResponse } from './gbcs/cs02f.ts';
export type { Cs02fCommand, Cs02fResponse, Cs02fBody } from './gbcs/cs02f.ts';
export {
  CS02G_MESSAGE_CODES, CS02G_BY_SUPPLIER_MESSAGE_CODE, CS02G_BY_LOAD_CONTROLLER_MESSAGE_CODE, CS02G_ALERT_MESSAGE_CODE,
  credentialsMessageCode, credentialsAlertMessageCode,
} from './gbcs/cs02g.ts';
export type { Cs02gBody } from './gbcs/cs02g.ts';
export { decodeGbcsMessage, decodeBody, annotateGbcs } from './gbcs/message.ts';
export {
  HanMessageCode, JoinMethod, HAN_DEVICE_TYPE, HanStatus, hanDeviceTypeName, encodeJoinCommand, decodeJoinCommand, encodeUnjoinCommand,
  decodeUnjoinCommand, encodeHanStatus, decodeHanStatus, encodeDeviceLogResponse, decodeDeviceLogResponse, encodeSetTimeCommand,
  decodeSetTimeCommand, encodeSetTimeResponse, decodeSetTimeResponse, encodeGpfLogRestoreCommand, decodeGpfLogRestoreCommand,
  encodeGpfLogRestoreResponse, decodeGpfLogRestoreResponse,
} from './gbcs/han.ts';
export type { JoinCommand, HanLogEntry, DeviceLogResponse, SetTimeCommand, SetTimeResponse, HanBody, GpfLogRestoreResult } from './gbcs/han.ts';
export {
  CS06_MESSAGE_CODE, CS06_ALERT_MESSAGE_CODE, CS08_MESSAGE_CODE, FirmwareStatus, encodeActivateFirmwareCommand, decodeActivateFirmwareCommand,
  encodeActivateFirmwareResponse, decodeActivateFirmwareResponse, encodeActivateFirmwareAlert, decodeActivateFirmwareAlert,
  encodeFirmwareVersionResponse, decodeFirmwareVersionResponse, firmwareVersionText,
} from './gbcs/firmware.ts';
export type { ActivateFirmwareCommand, FirmwareOutcome, ActivateFirmwareAlert, FirmwareBody } from './gbcs/firmware.ts';
export { alertCodeOf } from './gbcs/alerts.ts';
export { CONTINGENCY_SYMMETRIC_KEY_LENGTH, wrapContingencyKey, unwrapContingencyKey } from './gbcs/contingency.ts';
export { encryptSensitive, decryptSensitive } from './gbcs/sensitive.ts';
export type { SensitiveParties } from './gbcs/sensitive.ts';
export { makeUtrn, decodeUtrn, utrnPence, UTRN_COUNTER_STEP } from './gbcs/utrn.ts';
export type { UtrnFields, UtrnValueClass } from './gbcs/utrn.ts';
export {
  DLMS_ACCESS_REQUEST, DLMS_ACCESS_RESPONSE, DLMS_DATA_NOTIFICATION, DLMS_TAG, DataAccessResult, dlms, obis, obisText, invokeIdFor,
  encodeDlmsData, decodeDlmsData, encodeAxdrLength, encodeAccessRequest, decodeAccessRequest, encodeAccessResponse, decodeAccessResponse,
  encodeDataNotification, decodeDataNotification,
} from './gbcs/dlms.ts';
export type { DlmsData, TypeDescription, AccessKind, AccessSpec, AccessRequest, AccessResult, AccessResponse, DataNotification } from './gbcs/dlms.ts';
export {
  GBZ_PROFILE_ID, GbzControl, ZclCluster, ZclType, ZclStatus, ZIGBEE_EPOCH_MS, zigbeeTime, dateOfZigbeeTime, isGbz, encodeGbz, decodeGbz,
  encodeGbzAlert, decodeGbzAlert, encodeZclValue, readZclValue, encodeReadAttributes, decodeReadAttributes, encodeReadAttributesResponse,
  decodeReadAttributesResponse, encodeDefaultResponse,
} from './gbcs/gbz.ts';
export type { GbzComponent, GbzPayload, GbzAlert, GbzEncryptedPart, ZclValue, ReadAttributeRecord } from './gbcs/gbz.ts';
export type { GbcsMessage, GbcsBody, GbcsAnnotation } from './gbcs/message.ts';
export { CODECS, codecFor, indexCodecs } from './gbcs/codecs.ts';
export type { UseCaseCodec, PayloadDecoder } from './gbcs/use-case-codec.ts';

export { CELL_IDS, ALL_CELL_NAMES, DEVICE_TYPES, cellsOf, cellNameOf, hasCell, isDeviceType } from './emulator/cells.ts';
export type { DeviceType, CellName } from './emulator/cells.ts';
export { processCommand, executeDueCommands, commandReads } from './emulator/dispatch.ts';
export { catchUpBetweenCommands } from './emulator/between-commands.ts';
export { alertEnabled } from './emulator/families/alert-behaviour.ts';
export { newDeviceState, describeCells } from './emulator/state.ts';
export type { DeviceSecurityState, DeviceCredentials, PendingCommand, CellReport } from './emulator/state.ts';
export { RejectionAlert } from './emulator/security.ts';
export type { DeviceOutcome, ReplacementFailure, UseCase, DueExecution, CommandInputs, MirroredDevice, UseCaseReads } from './emulator/use-case.ts';
export { USE_CASES, useCaseFor, indexByMessageCode } from './emulator/registry.ts';

// The meter model (meter/): consumption, registers, profiles, logs and prepayment balances, computed from the EUI and the time.
export {
  meterModel, premisesOf, HOUSEHOLD_KINDS, SOLAR_SHARE, ELECTRICITY_QUANTITIES,
  registerAt, halfHour, profileRows, maximumDemand, dailyConsumptionLog, dailyReadLog, tariffRegisters, instantaneous,
  daylight, gasEnergyKWh, GAS_VOLUME_CORRECTION, DEFAULT_CALORIFIC_VALUE,
  touRegisterAt, TOU_REGISTERS, BLOCK_RATES, BLOCKS, balanceAt, balancesAt, balanceCrossing,
} from './meter/index.ts';
export type {
  MeterModel, MeterSpec, SupplyOff, Fuel, HouseholdKind, Premises, Quantity, IntervalAmount, DailyRead, MaximumDemand,
  InstantaneousValues, TouBand, SwitchingTable, Tariff, TariffRegisters, PrepaymentTerms, TouPrices,
} from './meter/index.ts';
export { raiseAlertOnDemand, isCriticalAlertCode, GENERIC_CRITICAL_ALERT, GENERIC_NON_CRITICAL_ALERT } from './emulator/alerts-on-demand.ts';
export { initialChfDeviceLog } from './emulator/families/han.ts';
// after the emulator above: the meter view reads through the families, which need the registry loaded first
export { meterView, METERED_TYPES } from './emulator/meter-view.ts';
export type { MeterView, MeterRegister, MeterTariffSummary, MeterLogEntry } from './emulator/meter-view.ts';
// a meter's prepayment settings in force (2.1's, else its fuel's factory ones), as it applies and reports them
export { emergencyCreditOf, thresholdsOf } from './emulator/families/prepayment.ts';
export type { EmergencyCreditSettings, PrepaymentThresholds } from './emulator/families/prepayment.ts';
