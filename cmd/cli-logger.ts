import { createLogger, type Logger } from '../src/util/logger.js'

/** The CLI's logger on stderr: pretty on a terminal, JSON lines otherwise; `logLevel` from `--log-level`. */
export function cliLogger(args: { logLevel?: string | undefined }): Logger {
  return createLogger({
    ...(args.logLevel === undefined ? {} : { level: args.logLevel }),
    pretty: process.stderr.isTTY === true,
  })
}
