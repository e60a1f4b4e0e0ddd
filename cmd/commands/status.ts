import { readStatus, type Status } from '../../src/ops/status.js'
import type { StatusArgs } from '../definitions/status.js'
import { EXIT } from '../exit-status.js'
import { formatStatus } from '../format-status.js'
import { loadConfig } from '../load-config.js'

/** `cachesync status`: per source rows, last sync, cache age; the database; whether a run holds it. */
export async function run(args: StatusArgs): Promise<number> {
  const status = await readStatus(loadConfig(args))
  process.stdout.write(args.json ? `${JSON.stringify(statusToJson(status))}\n` : `${formatStatus(status)}\n`)
  return EXIT.ok
}

/** The `--json` contract of `cachesync status`: absent values are null. */
export function statusToJson(status: Status): object {
  return JSON.parse(JSON.stringify(status, (_key, value: unknown) => (value === undefined ? null : value))) as object
}
