import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { scalar } from '../helpers/database.js'
import { type CliResult, finished, runCli, STACK_LINE, spawnCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const SMALL = 3_000
const LARGE = 150_000

const children: ChildProcess[] = []

/** Waits for a process to exit (and be reaped: a zombie still answers `kill(pid, 0)`). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Polls until `check` holds; the test's own timeout bounds the wait. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5))
}

function lockHolderPid(lockFile: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid?: number }).pid
  } catch {
    return undefined
  }
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
      await exited(child)
    }
  }
})

describe('a second sync on the same database is refused', () => {
  const tmp = useTempDir()
  const small = (): string => join(tmp(), 'small')
  const large = (): string => join(tmp(), 'large')

  beforeAll(async () => {
    await generateDmrCache({ records: SMALL, cacheDir: small(), seed: 3 })
    await generateDmrCache({ records: LARGE, cacheDir: large(), seed: 3 })
  })

  it('while the lock names a live process: exit 3, naming its pid; once that process is killed, the stale lock is taken over', async () => {
    const db = join(tmp(), 'held.db')
    const lockFile = `${db}.lock`
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
    children.push(holder)
    const pid = holder.pid as number
    writeFileSync(lockFile, JSON.stringify({ pid, host: hostname(), startedAt: new Date().toISOString() }))

    const refused = await runCli(['sync', '--db', db, '--cache-dir', small(), '--mode', 'sequential'])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(new RegExp(`\\bpid ${pid}\\b`))
    expect(refused.stderr).toContain(db)
    expect(refused.stderr).not.toMatch(STACK_LINE)
    // The refused sync neither stole nor removed the lock, and wrote nothing.
    expect(lockHolderPid(lockFile)).toBe(pid)
    expect(existsSync(db)).toBe(false)

    holder.kill('SIGKILL')
    await exited(holder)

    const recovered = await runCli(['sync', '--db', db, '--cache-dir', small(), '--mode', 'sequential', '--json'])
    expect(recovered.stderr).not.toMatch(STACK_LINE)
    expect(recovered.code).toBe(0)
    expect((JSON.parse(recovered.stdout) as { records: { inserted: number } }).records.inserted).toBe(SMALL)
    expect(existsSync(lockFile)).toBe(false)
    expect(scalar<number>(db, 'SELECT count(*) FROM users') + scalar<number>(db, 'SELECT count(*) FROM rptrs')).toBeGreaterThan(0)
  })

  it('while a real sync runs in another process: the second CLI sync exits 3 at once; the first then finishes', async () => {
    const db = join(tmp(), 'busy.db')
    const lockFile = `${db}.lock`
    const first = spawnCli(['sync', '--db', db, '--cache-dir', large(), '--mode', 'streaming', '--chunk', '500', '--json'])
    children.push(first)
    const firstDone: Promise<CliResult> = finished(first)
    const pid = first.pid as number

    await until(() => lockHolderPid(lockFile) === pid || first.exitCode !== null)
    // Freeze the first sync while it holds the lock, so that "while it runs" does not depend on timing.
    first.kill('SIGSTOP')
    expect(lockHolderPid(lockFile), 'the first sync still holds the lock once stopped').toBe(pid)

    const second = await runCli(['sync', '--db', db, '--cache-dir', large(), '--mode', 'sequential'])
    expect(second.code).toBe(3)
    expect(second.stderr).toMatch(new RegExp(`locked by another sync: pid ${pid}\\b`))
    expect(second.stderr).not.toMatch(STACK_LINE)
    expect(lockHolderPid(lockFile)).toBe(pid)

    first.kill('SIGCONT')
    const result = await firstDone
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as { ok: boolean; records: { inserted: number } }
    expect(report.ok).toBe(true)
    expect(report.records.inserted).toBe(LARGE)
    expect(existsSync(lockFile)).toBe(false)
    // Exactly one run recorded: the refused one never opened the database.
    expect(scalar<number>(db, 'SELECT count(*) FROM sync_runs')).toBe(1)
  })
})
