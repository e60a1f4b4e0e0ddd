import { parseDuration } from '../src/util/duration.js'
import { CachesyncError } from '../src/util/errors.js'
import type { SyncArgs } from './definitions/sync.js'

/** The flags of `sync` that `--watch` reads. */
export type WatchArgs = Pick<SyncArgs, 'watch' | 'interval' | 'maxAge' | 'warm' | 'dryRun' | 'json'>

/** The flags that belong to `--watch` alone, checked before anything runs. */
export function checkWatchArgs(args: WatchArgs): { intervalMs: number; maxAgeMs: number | undefined } {
  if (!args.watch) {
    for (const [flag, given] of [
      ['--interval', args.interval !== undefined],
      ['--max-age', args.maxAge !== undefined],
      ['--no-warm', !args.warm],
    ] as const) {
      if (given) throw new CachesyncError('ERR_USAGE', `${flag} only applies with --watch`)
    }
    return { intervalMs: 0, maxAgeMs: undefined }
  }
  if (args.dryRun) throw new CachesyncError('ERR_USAGE', '--watch cannot be combined with --dry-run: a dry run writes nothing to watch for')
  return {
    intervalMs: durationFlag('--interval', args.interval ?? '2m'),
    maxAgeMs: args.maxAge === undefined ? undefined : durationFlag('--max-age', args.maxAge),
  }
}

function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0) throw new CachesyncError('ERR_USAGE', `${flag} ${JSON.stringify(text)}: must be a positive duration such as 30s, 2m or 1h`)
  return ms
}
