import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { hostname } from 'node:os'
import { delimiter, join } from 'node:path'
import { CachesyncError } from '../../util/errors.js'

export type PgTool = 'pg_dump' | 'pg_restore'

export interface ToolResult {
  code: number | null
  stdout: string
  stderr: string
}

/** How a PostgreSQL client program reaches the sink without the password on its command line. */
export interface ToolConnection {
  /** The URL without its password, for `--dbname`. */
  dbname: string
  env: NodeJS.ProcessEnv
  /** The password, to be kept out of anything printed. */
  secret: string | undefined
}

/**
 * Splits the password off the sink's URL into PGPASSWORD of the child's environment. A command line is
 * readable by every user of the host (ps); a process's environment only by its owner and root, who can
 * read the URL in cachesync's configuration anyway; and unlike a temporary passfile, nothing is left on
 * disk if the process is killed. A URL without a password leaves the child to find one where the sink's
 * driver did: PGPASSWORD, else the passfile.
 */
export function toolConnection(url: string): ToolConnection {
  const parsed = new URL(url)
  const secret = parsed.password !== '' ? decodeURIComponent(parsed.password) : (parsed.searchParams.get('password') ?? undefined)
  parsed.password = ''
  parsed.searchParams.delete('password')
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: `cachesync backup ${hostname()} pid ${process.pid}`.slice(0, 63) }
  if (secret !== undefined) env.PGPASSWORD = secret
  return { dbname: parsed.toString(), env, secret }
}

/**
 * Runs a PostgreSQL client program from the PATH to its end. `--no-password` belongs in `args`: a
 * backup from cron must fail, not wait for a password at a prompt no one sees.
 */
export async function runPgTool(tool: PgTool, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? notOnPath(tool) : new CachesyncError('ERR_TOOL', `Cannot run ${tool}: ${err.message}`, { cause: err }))
    })
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Throws the error of a missing tool unless each is an executable file in a directory of the PATH (no process started). */
export function requirePgTools(tools: readonly PgTool[]): void {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '')
  for (const tool of tools) {
    const found = dirs.some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK)
        return true
      } catch {
        return false
      }
    })
    if (!found) throw notOnPath(tool)
  }
}

function notOnPath(tool: PgTool): CachesyncError {
  return new CachesyncError(
    'ERR_TOOL',
    `${tool} is not on the PATH: a backup of a PostgreSQL sink runs pg_dump and pg_restore, of the server's major version or newer; ` +
      'install them with the Debian package postgresql-client (apt-get install postgresql-client), or put their directory on the PATH',
  )
}

/** A tool's stderr on one line (`pg_dump: error: …; pg_dump: detail: …`), any password masked. */
export function oneLine(stderr: string, secret: string | undefined): string {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ')
  return secret === undefined || secret === '' ? line : line.replaceAll(secret, '***')
}
