import type { Argv } from 'yargs'

/** The one slice of yargs' internals this touches; absent from its public types. */
interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } }
}

/**
 * yargs renders the whole help text as soon as a command's handler has started, for the case where the
 * handler later asks for it; ours never do (a failure prints its message, and `--help` is answered before
 * any handler). Rendering it measures ~35 ms of a ~0.4 s cron run, so the caching is turned off. If a
 * yargs release drops these internals, nothing breaks: only the time comes back.
 */
export function skipHelpCache(cli: Argv): void {
  const usage = (cli as unknown as YargsInternals).getInternalMethods?.().getUsageInstance?.()
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {}
}
