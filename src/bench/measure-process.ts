import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** GNU time (Debian package `time`): reads the child's peak RSS from wait4's rusage. */
export const GNU_TIME = '/usr/bin/time'

/** One finished child process, timed from the outside: start-up and exit included. */
export interface MeasuredProcess {
  code: number | null
  wallMs: number
  /** Peak resident set of the process, in MiB; undefined when GNU time is not installed. */
  rssMb: number | undefined
  stdout: string
  stderr: string
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv
  /** A file given to the child as its standard input. */
  stdinFile?: string
}

let rssFiles = 0

/**
 * Runs `command args…` to completion and times it; with GNU time present it runs under
 * `/usr/bin/time -f %M -o FILE`, so the peak RSS is the tool's own and its stderr stays untouched.
 */
export async function measureProcess(command: string, args: readonly string[], options: MeasureOptions = {}): Promise<MeasuredProcess> {
  const timed = existsSync(GNU_TIME)
  const rssFile = join(tmpdir(), `cachesync-bench-rss-${process.pid}-${rssFiles++}`)
  const [file, argv] = timed ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, [...args]]
  const stdin = options.stdinFile === undefined ? 'ignore' : openSync(options.stdinFile, 'r')
  const started = performance.now()
  try {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(file, argv, { env: options.env ?? process.env, stdio: [stdin, 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout?.setEncoding('utf8').on('data', (text: string) => {
        stdout += text
      })
      child.stderr?.setEncoding('utf8').on('data', (text: string) => {
        stderr += text
      })
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, stdout, stderr }))
    })
    const wallMs = performance.now() - started
    return { ...result, wallMs, rssMb: timed ? readRssMb(rssFile) : undefined }
  } finally {
    if (typeof stdin === 'number') closeSync(stdin)
    rmSync(rssFile, { force: true })
  }
}

function readRssMb(file: string): number | undefined {
  if (!existsSync(file)) return undefined
  // GNU time writes "Command exited with non-zero status N" before the figure when the child failed.
  const kb = Number(readFileSync(file, 'utf8').trim().split('\n').pop())
  return Number.isFinite(kb) && kb > 0 ? Math.round(kb / 1024) : undefined
}
