// Preloaded (`node --expose-gc -r …/heap-probe.js`) into a server the gateway benchmark
// measures, so the product needs no endpoint for it: over the IPC channel its parent opened,
// the message 'heap?' is answered with the heap after two full collections; the server is
// stopped (SIGTERM) when that channel closes.

/** What the probe answers. */
export interface HeapReport {
  heapUsed: number;
  rss: number;
}

if (process.send) {
  process.on('message', (message) => {
    if (message !== 'heap?') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    process.send?.({ heap: { heapUsed, rss } satisfies HeapReport });
  });
  // The channel must not keep the server alive after its own shutdown, and the server must
  // not outlive a benchmark that died: its end closes the channel.
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
