import { formatBytes } from '../src/util/format.js'
import type { Logger } from '../src/util/logger.js'
import type { WarmProgressEvent } from '../src/warm/warm-report.js'

/** A line per source on a terminal (pages, records, bytes as they arrive); elsewhere a log line every few seconds. */
export async function createWarmProgress(logger: Logger, enabled: boolean): Promise<{ onProgress: (event: WarmProgressEvent) => void; stop: () => void }> {
  if (!enabled) return { onProgress: () => {}, stop: () => {} }
  if (process.stderr.isTTY) {
    const { default: cliProgress } = await import('cli-progress')
    const multi = new cliProgress.MultiBar(
      { stream: process.stderr, clearOnComplete: true, hideCursor: true, format: ' {source} {pages} pages · {records} records · {size}' },
      cliProgress.Presets.shades_classic,
    )
    const bars = new Map<string, InstanceType<typeof cliProgress.SingleBar>>()
    return {
      onProgress(event) {
        const payload = {
          source: event.source.padEnd(8),
          pages: event.pages,
          records: event.records.toLocaleString('en-US'),
          size: formatBytes(event.bytes),
        }
        let bar = bars.get(event.source)
        if (bar === undefined) {
          bar = multi.create(0, 0, payload)
          bars.set(event.source, bar)
        }
        bar.update(0, payload)
      },
      stop: () => multi.stop(),
    }
  }
  const last = new Map<string, number>()
  return {
    onProgress(event) {
      const now = performance.now()
      if (now - (last.get(event.source) ?? now - 5000) < 5000) return
      last.set(event.source, now)
      logger.info({ source: event.source, pages: event.pages, records: event.records, bytes: event.bytes }, 'progress')
    },
    stop: () => {},
  }
}
