// IPP numbers as data: delimiter and value tags (RFC 8010 §3.5), operation ids (RFC 8011,
// PWG 5100.x and CUPS's own 0x4001–0x4027 from the CUPS Implementation of IPP), and the
// status codes we branch on. Plain `as const` tables (no enums: Node strips types only).

/** Delimiter tags that open an attribute group. */
export const GroupTag = {
  operation: 0x01,
  job: 0x02,
  endOfAttributes: 0x03,
  printer: 0x04,
  unsupported: 0x05,
  subscription: 0x06,
  eventNotification: 0x07,
  resource: 0x08,
  document: 0x09,
  system: 0x0a,
} as const;

/** Value tags. 0x10–0x1f are out-of-band, 0x20–0x2f integer-like, 0x30–0x3f octet-string-like, 0x40–0x5f character strings. */
export const ValueTag = {
  // out-of-band
  unsupported: 0x10,
  default: 0x11,
  unknown: 0x12,
  noValue: 0x13,
  notSettable: 0x15,
  deleteAttribute: 0x16,
  adminDefine: 0x17,
  // integers
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  // octet strings
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  // character strings
  textWithoutLanguage: 0x41,
  nameWithoutLanguage: 0x42,
  keyword: 0x44,
  uri: 0x45,
  uriScheme: 0x46,
  charset: 0x47,
  naturalLanguage: 0x48,
  mimeMediaType: 0x49,
  memberAttrName: 0x4a,
  /** Followed by a 4-byte extended tag (RFC 8010 §3.5.2). */
  extension: 0x7f,
} as const;

export type ValueTagName = keyof typeof ValueTag;

const TAG_NAMES = new Map<number, string>(Object.entries(ValueTag).map(([k, v]) => [v, k]));

/** A readable name for a value tag, for messages ("tag 0x2a" when unknown). */
export function tagName(tag: number): string {
  return TAG_NAMES.get(tag) ?? `tag 0x${tag.toString(16).padStart(2, '0')}`;
}

export function isOutOfBand(tag: number): boolean {
  return tag >= 0x10 && tag <= 0x1f;
}

export const Operation = {
  PrintJob: 0x0002,
  PrintUri: 0x0003,
  ValidateJob: 0x0004,
  CreateJob: 0x0005,
  SendDocument: 0x0006,
  SendUri: 0x0007,
  CancelJob: 0x0008,
  GetJobAttributes: 0x0009,
  GetJobs: 0x000a,
  GetPrinterAttributes: 0x000b,
  HoldJob: 0x000c,
  ReleaseJob: 0x000d,
  RestartJob: 0x000e,
  PausePrinter: 0x0010,
  ResumePrinter: 0x0011,
  PurgeJobs: 0x0012,
  SetPrinterAttributes: 0x0013,
  SetJobAttributes: 0x0014,
  GetPrinterSupportedValues: 0x0015,
  CreatePrinterSubscriptions: 0x0016,
  CreateJobSubscriptions: 0x0017,
  GetSubscriptionAttributes: 0x0018,
  GetSubscriptions: 0x0019,
  RenewSubscription: 0x001a,
  CancelSubscription: 0x001b,
  GetNotifications: 0x001c,
  EnablePrinter: 0x0022,
  DisablePrinter: 0x0023,
  PausePrinterAfterCurrentJob: 0x0024,
  HoldNewJobs: 0x0025,
  ReleaseHeldNewJobs: 0x0026,
  ReprocessJob: 0x002c,
  CancelCurrentJob: 0x002d,
  ResumeJob: 0x002f,
  CancelJobs: 0x0038,
  CancelMyJobs: 0x0039,
  CloseJob: 0x003b,
  IdentifyPrinter: 0x003c,
  CupsGetDefault: 0x4001,
  CupsGetPrinters: 0x4002,
  CupsAddModifyPrinter: 0x4003,
  CupsDeletePrinter: 0x4004,
  CupsGetClasses: 0x4005,
  CupsAddModifyClass: 0x4006,
  CupsDeleteClass: 0x4007,
  CupsAcceptJobs: 0x4008,
  CupsRejectJobs: 0x4009,
  CupsSetDefault: 0x400a,
  CupsGetDevices: 0x400b,
  CupsGetPpds: 0x400c,
  CupsMoveJob: 0x400d,
  CupsAuthenticateJob: 0x400e,
  CupsGetPpd: 0x400f,
  CupsGetDocument: 0x4027,
  CupsCreateLocalPrinter: 0x4028,
} as const;

const OPERATION_NAMES = new Map<number, string>(Object.entries(Operation).map(([k, v]) => [v, k]));

export function operationName(op: number): string {
  return OPERATION_NAMES.get(op) ?? `operation 0x${op.toString(16).padStart(4, '0')}`;
}

export const Status = {
  successfulOk: 0x0000,
  successfulOkIgnoredOrSubstituted: 0x0001,
  successfulOkConflicting: 0x0002,
  clientErrorBadRequest: 0x0400,
  clientErrorForbidden: 0x0401,
  clientErrorNotAuthenticated: 0x0402,
  clientErrorNotAuthorized: 0x0403,
  clientErrorNotPossible: 0x0404,
  clientErrorTimeout: 0x0405,
  clientErrorNotFound: 0x0406,
  clientErrorGone: 0x0407,
  clientErrorAttributesOrValuesNotSupported: 0x040b,
  serverErrorInternalError: 0x0500,
  serverErrorNotAcceptingJobs: 0x0506,
  serverErrorBusy: 0x0507,
} as const;

const STATUS_NAMES = new Map<number, string>(Object.entries(Status).map(([k, v]) => [v, k]));

export function statusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `status 0x${status.toString(16).padStart(4, '0')}`;
}

/** IPP job-state enum values. */
export const JobState = {
  pending: 3,
  pendingHeld: 4,
  processing: 5,
  processingStopped: 6,
  canceled: 7,
  aborted: 8,
  completed: 9,
} as const;

/** IPP printer-state enum values. */
export const PrinterState = { idle: 3, processing: 4, stopped: 5 } as const;
