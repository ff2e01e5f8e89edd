import { createReadStream } from 'node:fs';
import { access, constants, open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** A backfill source: a local path, a file:// URL or an http(s) URL the workers can read. */
export type SourceProblem = { kind: 'unreadable'; message: string };

export interface Line {
  /** 1-based line number in the (decompressed) file. */
  number: number;
  text: string;
}

export interface LineBatch {
  lines: Line[];
  /** Byte offset after the last line returned (plain local files only; null otherwise). */
  nextByteOffset: number | null;
  endOfFile: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];

function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

function localPath(source: string): string {
  return source.startsWith('file://') ? new URL(source).pathname : source;
}

/** Null when the source can be read, else why not. */
export async function checkSource(source: string): Promise<SourceProblem | null> {
  if (isUrl(source)) {
    try {
      const res = await fetch(source, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
      return res.ok ? null : { kind: 'unreadable', message: `${source} answered ${res.status}` };
    } catch (error) {
      return { kind: 'unreadable', message: `${source} cannot be fetched: ${(error as Error).message}` };
    }
  }
  try {
    await access(localPath(source), constants.R_OK);
    if (!(await stat(localPath(source))).isFile()) return { kind: 'unreadable', message: `${source} is not a file` };
    const handle = await open(localPath(source));
    await handle.close();
    return null;
  } catch (error) {
    return { kind: 'unreadable', message: `${source} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

async function isGzip(source: string): Promise<boolean> {
  if (isUrl(source)) return /\.gz($|\?)/i.test(source);
  const handle = await open(localPath(source));
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

async function byteStream(source: string, startByte: number, gzip: boolean): Promise<AsyncIterable<Buffer>> {
  let raw: AsyncIterable<Buffer>;
  if (isUrl(source)) {
    const res = await fetch(source);
    if (!res.ok || !res.body) throw new Error(`${source} answered ${res.status}`);
    raw = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>) as AsyncIterable<Buffer>;
  } else {
    raw = createReadStream(localPath(source), { start: startByte });
  }
  return gzip ? (Readable.from(raw).pipe(createGunzip()) as AsyncIterable<Buffer>) : raw;
}

/**
 * Reads up to `max` lines after line `afterLine`. Plain local files resume at
 * a byte offset; compressed files and URLs are read from the start, skipping
 * lines already done. Line endings are \n or \r\n.
 */
export async function readLines(source: string, afterLine: number, max: number, byteOffset: number | null): Promise<LineBatch> {
  const gzip = await isGzip(source);
  const seekable = !gzip && !isUrl(source);
  const start = seekable && byteOffset !== null ? byteOffset : 0;
  let lineNumber = seekable && byteOffset !== null ? afterLine : 0;
  const lines: Line[] = [];
  let consumed = start;
  let pending: Buffer = Buffer.alloc(0);
  const stream = await byteStream(source, start, gzip);
  for await (const chunk of stream) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let newline: number;
    while ((newline = pending.indexOf(0x0a)) !== -1) {
      const raw = pending.subarray(0, newline);
      pending = pending.subarray(newline + 1);
      consumed += newline + 1;
      lineNumber += 1;
      if (lineNumber <= afterLine) continue;
      lines.push({ number: lineNumber, text: stripCr(raw).toString('utf8') });
      if (lines.length >= max) {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        return { lines, nextByteOffset: seekable ? consumed : null, endOfFile: false };
      }
    }
  }
  if (pending.length > 0) {
    lineNumber += 1;
    consumed += pending.length;
    if (lineNumber > afterLine) lines.push({ number: lineNumber, text: stripCr(pending).toString('utf8') });
  }
  return { lines, nextByteOffset: seekable ? consumed : null, endOfFile: true };
}

/** Lines in the source (for progress and ETA). */
export async function countLines(source: string): Promise<number> {
  let count = 0;
  let last = 0x0a;
  for await (const chunk of await byteStream(source, 0, await isGzip(source))) {
    for (const byte of chunk) if (byte === 0x0a) count += 1;
    if (chunk.length > 0) last = chunk[chunk.length - 1] as number;
  }
  return last === 0x0a ? count : count + 1;
}

function stripCr(buf: Buffer): Buffer {
  return buf.length > 0 && buf[buf.length - 1] === 0x0d ? buf.subarray(0, buf.length - 1) : buf;
}
