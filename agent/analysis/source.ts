// Random-access byte sources for the parsers. A spool file is never read into memory
// whole: parsers ask for the ranges they need (PDF reads its tail first, raster formats
// stream front to back). A Slice is a window onto another source, used after a wrapper
// such as PJL has been peeled off.

// `node:fs` through getBuiltinModule rather than an `import`: Node builds an ES module
// namespace for an imported built-in by reading every export, and reading `fs.promises`
// loads fs/promises with readline, streams and a REPL history module (about 4 ms of a
// one-shot `printgate analyze`, which needs none of them).
const { closeSync, constants, fstatSync, openSync, read: readAsync, readSync } = process.getBuiltinModule('node:fs');

export interface Source {
  /** Total length in bytes. */
  readonly size: number;
  /** Read up to `length` bytes at `offset`; shorter only at the end of the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: read into `target` (as many bytes as fit, fewer only at the end of the source)
   * and return the count. Lets streaming readers reuse their buffers instead of allocating.
   */
  readInto?(offset: number, target: Uint8Array): Promise<number>;
  /**
   * Optional: readInto without a promise, for sources where a read cannot wait on anything
   * slower than the page cache (a local file, memory). A parser that makes many small reads
   * (PDF objects) then needs no promise per read; it must still give the event loop a turn
   * now and then, since a synchronous read blocks it.
   */
  readIntoSync?(offset: number, target: Uint8Array): number;
  close(): Promise<void>;
}

export class BufferSource implements Source {
  readonly size: number;
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.size = bytes.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.max(0, Math.min(offset, this.size));
    return this.bytes.subarray(start, Math.min(this.size, start + Math.max(0, length)));
  }
  async readInto(offset: number, target: Uint8Array): Promise<number> {
    return this.readIntoSync(offset, target);
  }
  readIntoSync(offset: number, target: Uint8Array): number {
    const start = Math.max(0, Math.min(offset, this.size));
    const part = this.bytes.subarray(start, Math.min(this.size, start + target.length));
    target.set(part);
    return part.length;
  }
  async close(): Promise<void> {}
}

/** Reads of at most this many bytes are made synchronously (see FileSource). */
const SYNC_READ_MAX = 64 * 1024;

/**
 * A local file, read by offset through a plain file descriptor. Opening and small reads
 * (headers, trailers, PDF objects: at most SYNC_READ_MAX) are synchronous: a local file's
 * small read comes from the page cache in microseconds, less than the thread-pool round
 * trip and promise an asynchronous read costs. Large reads (raster formats stream 1 MiB
 * chunks, reading the next while decoding this one) go to the thread pool, and close()
 * waits for any still in flight, so the descriptor is never reused under one.
 */
export class FileSource implements Source {
  readonly size: number;
  private readonly fd: number;
  private closed = false;
  /** Asynchronous reads in flight, and the close() waiting for them to end. */
  private pending = 0;
  private drained: (() => void) | undefined;
  private constructor(fd: number, size: number) {
    this.fd = fd;
    this.size = size;
  }
  static async open(path: string): Promise<FileSource> {
    // Only regular files are analysed (a spool file, a document). O_NONBLOCK, which changes
    // nothing for a regular file, keeps this synchronous open from waiting for a writer
    // when the path is a FIFO; a directory, FIFO or device is then refused by name rather
    // than failing somewhere inside a parser.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) {
        throw Object.assign(new Error(`not a regular file (${st.isDirectory() ? 'a directory' : 'a FIFO, socket or device'}): ${path}`), { code: 'ENOTFILE', path });
      }
      return new FileSource(fd, st.size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.max(0, Math.min(offset, this.size));
    const n = Math.max(0, Math.min(length, this.size - start));
    const buf = new Uint8Array(n);
    const got = await this.readInto(start, buf);
    return got === n ? buf : buf.subarray(0, got);
  }
  async readInto(offset: number, target: Uint8Array): Promise<number> {
    if (target.length <= SYNC_READ_MAX) return this.readIntoSync(offset, target);
    if (this.closed) throw new Error('read from a closed file');
    const start = Math.max(0, Math.min(offset, this.size));
    const n = Math.max(0, Math.min(target.length, this.size - start));
    let got = 0;
    this.pending++;
    try {
      while (got < n) {
        const bytesRead = await this.readPart(target, got, n - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
    } finally {
      if (--this.pending === 0) this.drained?.();
    }
    return got;
  }
  private readPart(target: Uint8Array, at: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      readAsync(this.fd, target, at, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
    });
  }
  readIntoSync(offset: number, target: Uint8Array): number {
    if (this.closed) throw new Error('read from a closed file');
    const start = Math.max(0, Math.min(offset, this.size));
    const n = Math.max(0, Math.min(target.length, this.size - start));
    let got = 0;
    while (got < n) {
      const bytesRead = readSync(this.fd, target, got, n - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pending > 0) await new Promise<void>((resolve) => { this.drained = resolve; });
    closeSync(this.fd);
  }
}

/** A window [start, start+length) of another source. Closing it does not close the base. */
export class SliceSource implements Source {
  readonly size: number;
  private readonly base: Source;
  private readonly start: number;
  constructor(base: Source, start: number, length: number) {
    this.base = base;
    this.start = Math.max(0, Math.min(start, base.size));
    this.size = Math.max(0, Math.min(length, base.size - this.start));
    this.readIntoSync = base.readIntoSync ? (offset, target) => this.sliceIntoSync(offset, target) : undefined;
  }
  /** Offset of this slice within the base source, for error messages. */
  get baseOffset(): number {
    return this.start;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const o = Math.max(0, Math.min(offset, this.size));
    return this.base.read(this.start + o, Math.max(0, Math.min(length, this.size - o)));
  }
  async readInto(offset: number, target: Uint8Array): Promise<number> {
    const o = Math.max(0, Math.min(offset, this.size));
    const n = Math.max(0, Math.min(target.length, this.size - o));
    if (this.base.readInto) return this.base.readInto(this.start + o, target.subarray(0, n));
    const part = await this.base.read(this.start + o, n);
    target.set(part);
    return part.length;
  }
  /** Present only when the base source has it (set in the constructor). */
  readonly readIntoSync: ((offset: number, target: Uint8Array) => number) | undefined;
  private sliceIntoSync(offset: number, target: Uint8Array): number {
    const o = Math.max(0, Math.min(offset, this.size));
    const n = Math.max(0, Math.min(target.length, this.size - o));
    return this.base.readIntoSync!(this.start + o, target.subarray(0, n));
  }
  async close(): Promise<void> {}
}
