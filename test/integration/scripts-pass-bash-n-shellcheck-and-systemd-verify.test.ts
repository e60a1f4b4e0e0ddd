import { spawnSync } from 'node:child_process'
import { accessSync, constants, copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.js'
import { requireTools } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'

const scripts = join(repoRoot, 'scripts')
const shellScripts = [
  ...readdirSync(scripts)
    .filter((name) => name.endsWith('.sh'))
    .map((name) => join(scripts, name)),
  ...readdirSync(join(scripts, 'lib')).map((name) => join(scripts, 'lib', name)),
]
const cronFiles = readdirSync(join(scripts, 'cron'))
  .filter((name) => name.endsWith('.cron'))
  .map((name) => join(scripts, 'cron', name))
const unitFiles = readdirSync(join(scripts, 'systemd'))
  .filter((name) => /\.(service|timer)$/.test(name))
  .map((name) => join(scripts, 'systemd', name))

describe('the scripts for servers', () => {
  const tmp = useTempDir()

  it('finds the wrappers, the four cron profiles, the archive profile and the systemd units', () => {
    expect(shellScripts.map((p) => p.slice(scripts.length + 1)).sort()).toEqual(
      expect.arrayContaining(['archive.sh', 'backup.sh', 'lib/wrapper.sh', 'perf-monitor.sh', 'sync.sh', 'warm.sh']),
    )
    expect(cronFiles.map((p) => p.slice(scripts.length + 6)).sort()).toEqual([
      'archive.cron',
      'high-performance.cron',
      'memory-constrained.cron',
      'real-time.cron',
      'standard.cron',
    ])
    expect(unitFiles.length).toBeGreaterThanOrEqual(9)
    expect(unitFiles.map((p) => p.slice(p.lastIndexOf('/') + 1))).toEqual(expect.arrayContaining(['cachesync-archive.service', 'cachesync-archive.timer']))
  })

  it.each(shellScripts.map((p) => [p.slice(scripts.length + 1), p]))('%s parses under bash -n and is set -euo pipefail', (_name, path) => {
    const result = spawnSync('bash', ['-n', path], { encoding: 'utf8' })
    expect(result.status, result.stderr).toBe(0)
    if (!path.includes('/lib/')) expect(readFileSync(path, 'utf8')).toMatch(/^set -euo pipefail$/m)
  })

  it('every script is shellcheck-clean', requireTools('shellcheck'), () => {
    const result = spawnSync('shellcheck', ['-x', '--severity=style', ...shellScripts], { cwd: scripts, encoding: 'utf8' })
    expect(result.stdout + result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it.each(cronFiles.map((p) => [p.slice(scripts.length + 6), p]))('%s: every job has five time fields and runs an executable wrapper', (_name, path) => {
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    const jobs = lines.filter((line) => !/^[A-Z_]+=/.test(line))
    // The archive profile goes beside a sync profile: two jobs, both archiving.
    const archiveProfile = path.endsWith('/archive.cron')
    expect(jobs.length).toBeGreaterThanOrEqual(archiveProfile ? 2 : 3)
    const field = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/
    for (const job of jobs) {
      const parts = job.split(/\s+/)
      expect(
        parts.slice(0, 5).every((f) => field.test(f)),
        job,
      ).toBe(true)
      const wrapper = /\$CACHESYNC_HOME\/(scripts\/[\w-]+\.sh)/.exec(job)?.[1]
      expect(wrapper, job).toBeDefined()
      accessSync(join(repoRoot, wrapper as string), constants.X_OK)
    }
    if (archiveProfile) {
      expect(jobs.every((job) => job.includes('scripts/archive.sh'))).toBe(true)
      return
    }
    // A profile warms and syncs; the wrappers, not cron, write the logs.
    expect(jobs.some((job) => job.includes('scripts/warm.sh'))).toBe(true)
    expect(jobs.some((job) => job.includes('scripts/sync.sh'))).toBe(true)
  })

  it('the systemd units pass systemd-analyze verify', requireTools('systemd-analyze'), () => {
    // verify checks that ExecStart's binary exists: point the units at this node, wherever it lives.
    const copies = unitFiles.map((path) => {
      const copy = join(tmp(), path.slice(path.lastIndexOf('/') + 1))
      copyFileSync(path, copy)
      writeFileSync(copy, readFileSync(copy, 'utf8').replaceAll('/usr/bin/node ', `${process.execPath} `))
      return copy
    })
    const result = spawnSync('systemd-analyze', ['verify', ...copies], { cwd: tmp(), encoding: 'utf8' })
    // Unknown keys and bad values are only warnings for verify: any output is a failure here.
    expect(result.stderr + result.stdout).toBe('')
    expect(result.status).toBe(0)
  })

  it('the units carry the limits and hardening they promise', () => {
    for (const path of unitFiles.filter((p) => p.endsWith('.service'))) {
      const unit = readFileSync(path, 'utf8')
      for (const key of ['MemoryMax=', 'Nice=', 'IOSchedulingClass=', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/cachesync', 'NoNewPrivileges=yes']) {
        expect(unit, `${path}: ${key}`).toContain(key)
      }
      expect(unit).not.toMatch(/^MemoryDenyWriteExecute=yes/m)
    }
    const watch = readFileSync(join(scripts, 'systemd', 'cachesync-watch.service'), 'utf8')
    expect(watch).toMatch(/^ExecStart=.* sync --watch --interval 30s/m)
    expect(watch).toMatch(/^KillSignal=SIGTERM$/m)
    expect(watch).toMatch(/^TimeoutStopSec=/m)
    expect(readFileSync(join(scripts, 'systemd', 'cachesync-sync.service'), 'utf8').match(/^ExecStartPost=.*monitor/gm)).toHaveLength(1)
  })
})
