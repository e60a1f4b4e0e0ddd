import { once } from 'node:events'
import type { CommandModule } from 'yargs'
import { startDemoApi } from '../../src/demo-api/demo-api.js'
import type { DemoFault } from '../../src/demo-api/demo-faults.js'
import { CachesyncError } from '../../src/util/errors.js'

interface ServeDemoArgs {
  port: number
  records: number
  seed: number
  changeRate: number
  gzip: boolean
  faults?: string
}

export function serveDemoCommand(setExit: (code: number) => void): CommandModule<object, ServeDemoArgs> {
  return {
    command: 'serve-demo',
    describe: 'serve the generated DMR data set over HTTP on 127.0.0.1, at the built-in sources’ paths',
    builder: (y) =>
      y
        .option('port', { type: 'number', default: 0, describe: 'port to listen on; 0 picks a free one' })
        .option('records', { type: 'number', default: 276_600, describe: 'records over the three sources' })
        .option('seed', { type: 'number', default: 1, describe: 'the same seed serves the same data' })
        .option('change-rate', { type: 'number', default: 0, describe: 'serve the data set changed by this fraction' })
        .option('gzip', { type: 'boolean', default: false, describe: 'gzip bodies for clients that accept it' })
        .option('faults', {
          type: 'string',
          describe:
            'faults by path as JSON, e.g. \'{"/static/users.json":{"status":503,"retryAfter":2,"times":1}}\'; or per request: ?fault=500|429|hang|cut|stall|invalid',
        }) as never,
    handler: async (args) => {
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65_535)
        throw new CachesyncError('ERR_USAGE', `--port must be 0..65535, got ${args.port}`)
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
      setExit(0)
    },
  }
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
