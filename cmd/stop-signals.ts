import type { Logger } from '../src/util/logger.js'

/** Exit statuses of a second signal during a stop: the shell's 128 + signal number. */
const HARD_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 }

export interface StopSignals {
  /** Aborts on the first SIGTERM or SIGINT. */
  readonly signal: AbortSignal
  /** Which signal asked for the stop, if one did. */
  readonly received: () => NodeJS.Signals | undefined
  dispose(): void
}

/**
 * The first SIGTERM or SIGINT asks for a clean stop (the chunk in flight is finished or dropped, the
 * run recorded, the lock released); a second one while stopping exits at once — the database is still
 * sound (every chunk is a transaction) and the next run takes over the dead process's lock.
 */
export function listenForStop(logger: Logger): StopSignals {
  const controller = new AbortController()
  let received: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      process.stderr.write(`cachesync: second ${signal} while stopping: exiting at once\n`)
      process.exit(HARD_EXIT[signal] ?? 1)
    }
    received = signal
    logger.warn({ signal }, 'stop requested: finishing the chunk in flight')
    controller.abort(new Error(signal))
  }
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    },
  }
}
