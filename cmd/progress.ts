import type { ProgressEvent } from '../src/engine/source-job.js'
import type { Logger } from '../src/util/logger.js'

/** A bar per source on a terminal; elsewhere a log line every few seconds. Returns the handler and a stop. */
export async function createProgress(logger: Logger, enabled: boolean): Promise<{ onProgress: (event: ProgressEvent) => void; stop: () => void }> {
  if (!enabled) return { onProgress: () => {}, stop: () => {} }
  if (process.stderr.isTTY) {
    const { default: cliProgress } = await import('cli-progress')
    const multi = new cliProgress.MultiBar(
      { stream: process.stderr, clearOnComplete: true, hideCursor: true, format: ' {source} [{bar}] {percentage}% · {records} records' },
      cliProgress.Presets.shades_classic,
    )
    const bars = new Map<string, InstanceType<typeof cliProgress.SingleBar>>()
    return {
      onProgress(event) {
        let bar = bars.get(event.source)
        if (bar === undefined) {
          bar = multi.create(event.bytesTotal, 0, { source: event.source.padEnd(8), records: 0 })
          bars.set(event.source, bar)
        }
        bar.update(event.bytesDone || 0, { records: event.records.toLocaleString('en-US') })
      },
      stop: () => multi.stop(),
    }
  }
  let last = performance.now()
  return {
    onProgress(event) {
      const now = performance.now()
      if (now - last < 5000) return
      last = now
      const percent = event.bytesTotal > 0 && event.bytesDone > 0 ? Math.round((100 * event.bytesDone) / event.bytesTotal) : undefined
      logger.info({ source: event.source, records: event.records, ...(percent === undefined ? {} : { percent }) }, 'progress')
    },
    stop: () => {},
  }
}
