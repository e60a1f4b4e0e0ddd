/**
 * The warm of one big JSON body against the wire (issue 16 §2): nginx serves a ≥ 300 MB JSON array from a file
 * on 127.0.0.1, and `curl -o /dev/null` and `cachesync warm` of the same URL are timed alternately, each a fresh
 * process timed from outside. Prints the medians, the warm's speed as a share of curl's, its MB/s and peak RSS.
 *
 *   npm run bench:warm-wire -- [--ndjson /tmp/cachesync-bench/dmr-1000000-seed1/users.ndjson] [--repeat 3]
 *                              [--baseline /path/to/another/checkout]
 *
 * The body is the NDJSON file's lines joined as one array (`cachesync generate` writes such a file). nginx is
 * used here only, never in tests; without it the benchmark says which Debian package to install and stops.
 * `--baseline` names another built checkout (its `bin/cachesync.js`, e.g. main's), whose warm is timed in the
 * same rounds, so that two builds are compared in one sitting on a machine whose load comes and goes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { median } from './bench-support.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = join(root, 'bin', 'cachesync.js')
const { values } = parseArgs({
  options: {
    ndjson: { type: 'string', default: '/tmp/cachesync-bench/dmr-1000000-seed1/users.ndjson' },
    repeat: { type: 'string', default: '3' },
    work: { type: 'string', default: '/tmp/cachesync-bench-warm-wire' },
    baseline: { type: 'string' },
  },
})
const work = resolve(values.work)
const repeat = Number(values.repeat)

function which(tool: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']) if (existsSync(join(dir, tool))) return join(dir, tool)
  return undefined
}

/** The NDJSON file's lines as one JSON array, written once. */
async function arrayBody(ndjson: string, target: string): Promise<void> {
  if (existsSync(target) && statSync(target).mtimeMs > statSync(ndjson).mtimeMs) return
  const out = openSync(target, 'w')
  writeSync(out, '[')
  let first = true
  for await (const line of createInterface({ input: createReadStream(ndjson), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === '') continue
    writeSync(out, first ? line : `,\n${line}`)
    first = false
  }
  writeSync(out, ']\n')
  closeSync(out)
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}

async function startNginx(nginx: string, docRoot: string, port: number): Promise<ChildProcess> {
  const prefix = join(work, 'nginx')
  mkdirSync(join(prefix, 'logs'), { recursive: true })
  const conf = join(prefix, 'nginx.conf')
  writeFileSync(
    conf,
    `daemon off;\npid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log;\nworker_processes 1;\nevents { worker_connections 64; }\n` +
      `http {\n  access_log off;\n  sendfile on;\n  types { application/json json; }\n  client_body_temp_path ${prefix}/tmp;\n  proxy_temp_path ${prefix}/tmp;\n` +
      `  fastcgi_temp_path ${prefix}/tmp;\n  uwsgi_temp_path ${prefix}/tmp;\n  scgi_temp_path ${prefix}/tmp;\n` +
      `  server { listen 127.0.0.1:${port}; root ${docRoot}; }\n}\n`,
  )
  const child = spawn(nginx, ['-c', conf, '-p', prefix], { stdio: 'inherit' })
  for (let i = 0; i < 100; i++) {
    const probe = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-r', '0-0', `http://127.0.0.1:${port}/body.json`], { encoding: 'utf8' })
    if (probe.stdout === '206' || probe.stdout === '200') return child
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill('SIGTERM')
  throw new Error('nginx did not start')
}

interface Sample {
  wallMs: number
  rssMb: number
}

function timeCurl(url: string): Sample {
  const started = performance.now()
  const child = spawnSync('curl', ['-sS', '-o', '/dev/null', url], { encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`curl failed: ${child.stderr}`)
  return { wallMs: performance.now() - started, rssMb: 0 }
}

function timeWarm(cli: string, config: string, cacheDir: string, time: string | undefined): Sample & { records: number } {
  rmSync(cacheDir, { recursive: true, force: true })
  const args = [cli, 'warm', '--config', config, '--cache-dir', cacheDir, '--json', '--log-level', 'warn', '--no-progress']
  const started = performance.now()
  const child =
    time === undefined
      ? spawnSync(process.execPath, args, { encoding: 'utf8' })
      : spawnSync(time, ['-f', '%M', process.execPath, ...args], { encoding: 'utf8' })
  const wallMs = performance.now() - started
  if (child.status !== 0) throw new Error(`cachesync warm failed (${child.status}): ${child.stderr}\n${child.stdout}`)
  const report = JSON.parse(child.stdout) as { peakRssMb: number; sources: { outcome: string; records: number }[] }
  const kb = Number(/(\d+)\s*$/.exec(child.stderr)?.[1])
  return { wallMs, rssMb: Number.isFinite(kb) && time !== undefined ? kb / 1024 : report.peakRssMb, records: report.sources[0]?.records ?? 0 }
}

async function main(): Promise<void> {
  const nginx = which('nginx')
  if (nginx === undefined || which('curl') === undefined) {
    process.stderr.write(`skipped: needs nginx and curl on PATH (Debian packages \`nginx\` and \`curl\`)\n`)
    return
  }
  mkdirSync(work, { recursive: true })
  const docRoot = join(work, 'www')
  mkdirSync(docRoot, { recursive: true })
  const body = join(docRoot, 'body.json')
  await arrayBody(resolve(values.ndjson), body)
  const bytes = statSync(body).size
  const port = await freePort()
  const server = await startNginx(nginx, docRoot, port)
  const url = `http://127.0.0.1:${port}/body.json`
  const config = join(work, 'cachesync.json')
  writeFileSync(config, JSON.stringify({ sources: [{ name: 'body', url, key: 'id' }] }))
  try {
    const curl: Sample[] = []
    const warm: (Sample & { records: number })[] = []
    const base: (Sample & { records: number })[] = []
    const baseCli = values.baseline === undefined ? undefined : join(resolve(values.baseline), 'bin', 'cachesync.js')
    for (let i = 0; i < repeat; i++) {
      curl.push(timeCurl(url))
      warm.push(timeWarm(cli, config, join(work, 'cache'), which('time')))
      if (baseCli !== undefined) base.push(timeWarm(baseCli, config, join(work, 'cache'), which('time')))
    }
    const c = median(curl)
    const w = median(warm)
    const mb = bytes / 1e6
    const b = baseCli === undefined ? undefined : median(base)
    const baseline =
      b === undefined
        ? []
        : [
            `baseline warm:     ${(b.wallMs / 1000).toFixed(2)} s (${(b.minWall / 1000).toFixed(2)}–${(b.maxWall / 1000).toFixed(2)}), ${(mb / (b.wallMs / 1000)).toFixed(0)} MB/s, peak RSS ${b.rssMb.toFixed(0)} MB (${values.baseline})`,
            `this build / baseline, speed: ${(b.wallMs / w.wallMs).toFixed(2)}`,
          ]
    process.stdout.write(
      [
        `body: ${mb.toFixed(0)} MB JSON array, ${w.records.toLocaleString('en-US')} records, served by nginx on 127.0.0.1; median of ${repeat}, alternating`,
        `curl -o /dev/null: ${(c.wallMs / 1000).toFixed(2)} s (${(c.minWall / 1000).toFixed(2)}–${(c.maxWall / 1000).toFixed(2)}), ${(mb / (c.wallMs / 1000)).toFixed(0)} MB/s`,
        `cachesync warm:    ${(w.wallMs / 1000).toFixed(2)} s (${(w.minWall / 1000).toFixed(2)}–${(w.maxWall / 1000).toFixed(2)}), ${(mb / (w.wallMs / 1000)).toFixed(0)} MB/s, peak RSS ${w.rssMb.toFixed(0)} MB`,
        `warm speed / curl speed: ${(c.wallMs / w.wallMs).toFixed(2)}`,
        ...baseline,
      ].join('\n') + '\n',
    )
  } finally {
    server.kill('SIGTERM')
    rmSync(join(work, 'cache'), { recursive: true, force: true })
  }
}

await main()
