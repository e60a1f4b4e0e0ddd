import { once } from 'node:events'
import { startDemoApi } from '../../src/demo-api/demo-api.js'
import type { DemoFault } from '../../src/demo-api/demo-faults.js'
import { CachesyncError } from '../../src/util/errors.js'
import type { ServeDemoArgs } from '../definitions/serve-demo.js'
import { EXIT } from '../exit-status.js'

/** `cachesync serve-demo`: the generated DMR data set over HTTP until SIGINT or SIGTERM. */
export async function run(args: ServeDemoArgs): Promise<number> {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65_535) throw new CachesyncError('ERR_USAGE', `--port must be 0..65535, got ${args.port}`)
  const api = await startDemoApi({
    port: args.port,
    records: args.records,
    seed: args.seed,
    changeRate: args.changeRate,
    gzip: args.gzip,
    ...(args.faults === undefined ? {} : { faults: parseFaults(args.faults) }),
  })
  process.stdout.write(`Demo API listening on ${api.url}\n`)
  for (const path of ['/static/rptrs.json', '/static/users.json', '/v2/device?limit=1000&offset=0']) process.stdout.write(`  ${api.url}${path}\n`)
  process.stdout.write(`Warm from it: cachesync warm --base-url ${api.url}\n`)
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')])
  await api.close()
  return EXIT.ok
}

function parseFaults(text: string): Record<string, DemoFault> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new CachesyncError('ERR_USAGE', `--faults is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CachesyncError('ERR_USAGE', '--faults must be a JSON object of faults by path, e.g. {"/static/users.json":{"status":500}}')
  }
  return parsed as Record<string, DemoFault>
}
