// The subset of the `pg` package's API we use (pg ships no types and @types/pg would be a
// dependency for these few lines).
declare module 'pg' {
  export interface QueryResult<R = Record<string, unknown>> {
    rows: R[];
    rowCount: number | null;
  }
  export interface QueryConfig {
    text: string;
    values?: unknown[];
    name?: string;
    query_timeout?: number;
  }
  export interface PoolClient {
    query<R = Record<string, unknown>>(config: QueryConfig | string, values?: unknown[]): Promise<QueryResult<R>>;
    query<R = Record<string, unknown>>(config: QueryConfig, callback: (error: Error | null, result: QueryResult<R>) => void): void;
    release(error?: Error | boolean): void;
    on(event: 'error', listener: (err: Error) => void): this;
    removeListener(event: 'error', listener: (err: Error) => void): this;
  }
  export interface PoolConfig {
    connectionString?: string;
    max?: number;
    min?: number;
    idleTimeoutMillis?: number;
    connectionTimeoutMillis?: number;
    statement_timeout?: number;
    query_timeout?: number;
    idle_in_transaction_session_timeout?: number;
    keepAlive?: boolean;
    keepAliveInitialDelayMillis?: number;
    application_name?: string;
    types?: { getTypeParser(oid: number, format?: string): (value: string) => unknown };
  }
  export class Pool {
    constructor(config?: PoolConfig);
    query<R = Record<string, unknown>>(config: QueryConfig | string, values?: unknown[]): Promise<QueryResult<R>>;
    connect(): Promise<PoolClient>;
    connect(callback: (error: Error | undefined, client: PoolClient | undefined, done: (release?: Error | boolean) => void) => void): void;
    end(): Promise<void>;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'connect', listener: (client: PoolClient) => void): this;
    readonly totalCount: number;
    readonly idleCount: number;
    readonly waitingCount: number;
  }
  export const types: { getTypeParser(oid: number, format?: string): (value: string) => unknown };
  const pg: { Pool: typeof Pool; types: typeof types };
  export default pg;
}
