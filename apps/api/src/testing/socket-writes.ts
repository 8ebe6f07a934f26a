import { Socket } from 'node:net';

/**
 * How many writes (send system calls) all TCP sockets of this process make while `work` runs:
 * e.g. the round trips a PostgreSQL client makes to its server.
 */
export async function writesDuring(work: () => Promise<unknown>): Promise<number> {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const originals = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    proto[method] = function (this: unknown, ...args: unknown[]) {
      writes++;
      return originals[method].apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(proto, originals);
  }
  return writes;
}
