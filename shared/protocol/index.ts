// The agent protocol's message types, re-exported under short names, plus the two codecs
// an HTTP endpoint needs: protobuf (the wire format) and JSON (for debugging with curl).
// The classes come from printgate.js, generated from printgate.proto.

import './runtime.ts';
import { printgate } from './printgate.js';

export const pb = printgate.v1;
export type { printgate };

export const CONTENT_TYPE_PROTOBUF = 'application/x-protobuf';
export const AGENT_API_PREFIX = '/api/agent/v1';

/** The subset of a generated message class the codecs need. */
export interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
  fromObject(object: Record<string, unknown>): T;
  toObject(message: T, options?: Record<string, unknown>): Record<string, unknown>;
  verify(message: Record<string, unknown>): string | null;
}

export const JSON_OPTIONS = { enums: String, longs: Number, defaults: true, arrays: true } as const;

export function encodeMessage<T>(type: MessageType<T>, value: T): Uint8Array {
  return type.encode(value).finish();
}
