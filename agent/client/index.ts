// The agent's server client: import from here.
export * from './client.ts';
export * from './idempotency.ts';
export * from './options.ts';
export * from './analysis.ts';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
