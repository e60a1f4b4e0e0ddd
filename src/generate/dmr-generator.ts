import { createHash } from 'node:crypto'
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { writeCacheMeta } from '../cache/cache-meta.js'
import { LineIndexBuilder, lineIndexPathFor } from '../cache/line-index.js'
import { CachesyncError } from '../util/errors.js'
import { PACKAGE_VERSION } from '../util/package-version.js'
import { loadRowHash } from '../util/row-hash.js'
import { atomicTempPath, finishAtomicWrite } from '../util/write-file-atomic.js'
import {
  ASSIGNED,
  DEVICE_KINDS,
  HOTSPOT_DESCRIPTIONS,
  MAP_INFO_FOOTERS,
  MAP_INFO_HTML,
  MAP_INFO_SHORT,
  NETWORKS,
  OFFSETS,
  PRIORITY_DESCRIPTIONS,
  REGIONS,
  REPEATER_DESCRIPTIONS,
  type Region,
  TALKGROUP_LINES,
  type TextContext,
  TS_LINKED,
  VALIDATION_TEXT,
} from './dmr-vocabulary.js'

/** Options of {@link generateDmrCache}. */
export interface GenerateOptions {
  /** Total records over the three files. */
  records: number
  /** Directory the cache files are written to; created when missing. */
  cacheDir: string
  /** @default 1 */
  seed?: number
  /** Fraction (0..1) of records removed, altered and added relative to the same seed with changeRate 0. @default 0 */
  changeRate?: number
}

/** One cache file written by {@link generateDmrCache}. */
export interface GeneratedSource {
  name: string
  file: string
  records: number
  bytes: number
  sha256: string
}

/** What {@link generateDmrCache} wrote and how long it took. */
export interface GenerateReport {
  sources: GeneratedSource[]
  records: number
  bytes: number
  ms: number
}

type Rng = () => number
type JsonRecord = Record<string, unknown>

interface SourceSpec {
  name: string
  /** Share of the records, after the real upstream sizes. */
  weight: number
  make: (rng: Rng, index: number) => JsonRecord
  alter: (record: JsonRecord, rng: Rng) => void
}

const BATCH_BYTES = 1 << 20
/** "Now" of the generated data, fixed so that output does not depend on the clock. */
const EPOCH_MS = Date.UTC(2026, 1, 15)
const DAY_MS = 86_400_000
const PURPOSE_RECORD = 1
const PURPOSE_FATE = 2
const PURPOSE_ALTER = 3

// ---- seeded randomness ------------------------------------------------------------------------------------------

function fmix32(value: number): number {
  let h = value ^ (value >>> 16)
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** Hash of (seed, source, index, purpose): each record owns its streams, so changing one leaves the others alone. */
function hash32(seed: number, salt: number, index: number, purpose: number): number {
  return fmix32(fmix32(fmix32(fmix32(seed ^ 0x9e3779b9) ^ salt) ^ index) ^ purpose)
}

function mulberry32(state: number): Rng {
  let a = state | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function stringSalt(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)] as T
}

/** A constant-time weighted picker: a 1024-slot table filled in proportion to the weights. */
function weighted<T>(entries: readonly (readonly [T, number])[]): (rng: Rng) => T {
  const total = entries.reduce((sum, [, w]) => sum + w, 0)
  const table: T[] = []
  for (const [value, w] of entries) {
    for (let n = Math.max(1, Math.round((w / total) * 1024)); n > 0; n--) table.push(value)
  }
  return (rng) => pick(rng, table)
}

const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1))
const pickRegion = weighted(REGIONS.map((r) => [r, r.weight] as const))
const pickNetwork = weighted(NETWORKS)
const pickOffset = weighted(OFFSETS)
const pickAssigned = weighted(ASSIGNED)
const pickTsLinked = weighted(TS_LINKED)
const LETTERS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ']
const DIGITS = '0123456789'

// ---- shared field values ----------------------------------------------------------------------------------------

function callsign(rng: Rng, region: Region): string {
  const prefix = pick(rng, region.prefixes)
  let call = DIGITS.includes(prefix.at(-1) ?? '') ? prefix : `${prefix}${int(rng, 0, 9)}`
  for (let n = int(rng, 2, 3); n > 0; n--) call += pick(rng, LETTERS)
  return call
}

// Dates come from tables: formatting a Date per record took a third of the run time.
const DAY_RANGE = 4000
const DAYS = Array.from({ length: 2 * DAY_RANGE + 1 }, (_, n) => new Date(EPOCH_MS + (n - DAY_RANGE) * DAY_MS).toISOString().slice(0, 10))
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'))
const HOURS = TWO_DIGITS.slice(0, 24)

/** 'YYYY-MM-DD', `offset` days from the epoch (within ±DAY_RANGE). */
const day = (offset: number): string => DAYS[offset + DAY_RANGE] ?? ''

/** 'YYYY-MM-DD HH:MM:SS' at a random time of the day, without zone, as BrandMeister writes `last_seen`. */
function timestamp(rng: Rng, dayOffset: number): string {
  return `${day(dayOffset)} ${pick(rng, HOURS)}:${pick(rng, TWO_DIGITS)}:${pick(rng, TWO_DIGITS)}`
}

function textContext(rng: Rng, region: Region, call: string, city: string): TextContext {
  const date = -int(rng, 1, 3000)
  return {
    call,
    city,
    other: callsign(rng, region),
    first: pick(rng, region.firstNames),
    last: pick(rng, region.surnames),
    talkgroup: region.mcc * 10 + int(rng, 0, 99),
    master: region.mcc * 10 + int(rng, 1, 3),
    date: day(date),
    later: day(date + int(rng, 365, 3650)),
    hardware: '',
  }
}

function coordinate(rng: Rng, centre: number, spread: number, digits: number): string {
  return (centre + (rng() - 0.5) * spread).toFixed(digits)
}

// ---- repeaters (RadioID rptrs) ----------------------------------------------------------------------------------

function mapInfo(rng: Rng, context: TextContext): string | null {
  const roll = rng()
  if (roll < 0.55) return ''
  if (roll < 0.57) return null
  if (roll < 0.7) return pick(rng, MAP_INFO_SHORT)(context)
  const lines: string[] = []
  for (let n = int(rng, 2, 7); n > 0; n--) lines.push(pick(rng, TALKGROUP_LINES))
  return `${pick(rng, MAP_INFO_HTML)(context)}${lines.join('<br>')}${pick(rng, MAP_INFO_FOOTERS)(context)}`
}

function repeaterFrequency(rng: Rng): string {
  const band = rng()
  const [low, high] = band < 0.8 ? [420, 450] : band < 0.95 ? [144, 148] : [902, 928]
  return (low + int(rng, 0, (high - low) * 80) * 0.0125).toFixed(5)
}

function makeRepeater(rng: Rng, index: number): JsonRecord {
  const id = 110601 + index + Math.floor(index / 19) // the real dump has gaps in its ids
  const region = pickRegion(rng)
  const call = callsign(rng, region)
  const [city, state] = pick(rng, region.places)
  const context = textContext(rng, region, call, city)
  // ~10 % look like newer dumps (trustee lists, talkgroups, no position), ~5 % like older ones (string ids).
  const shape = rng()
  const newer = shape < 0.1
  const key = shape >= 0.1 && shape < 0.15 ? String(id) : id
  const trustee = rng() < 0.005 ? null : newer ? [context.other, call].slice(0, int(rng, 1, 2)) : context.other
  const record: JsonRecord = {
    locator: key,
    id: key,
    callsign: call,
    city,
    state,
    country: region.country,
    frequency: repeaterFrequency(rng),
    color_code: int(rng, 0, 15),
    offset: pickOffset(rng),
    assigned: pickAssigned(rng),
    ts_linked: pickTsLinked(rng),
    trustee,
    map_info: mapInfo(rng, context),
    map: rng() < 0.3 ? 1 : 0,
    ipsc_network: pickNetwork(rng),
  }
  if (newer) record.talkgroups = [{ talkgroup: context.talkgroup, description: `${city} local`, timeslot: 2, discovery: 0 }]
  else Object.assign(record, repeaterPosition(rng, region))
  record.status = rng() < 0.97 ? 'ACTIVE' : 'INACTIVE'
  return record
}

/** Mostly numeric strings, a few floats, ~1 % null, as in the real dump. */
function repeaterPosition(rng: Rng, region: Region): { lat: string | number | null; lng: string | number | null } {
  const roll = rng()
  if (roll < 0.01) return { lat: null, lng: null }
  const lat = coordinate(rng, region.lat, 8, roll < 0.04 ? 4 : 6)
  const lng = coordinate(rng, region.lng, 12, roll < 0.04 ? 4 : 6)
  return roll < 0.04 ? { lat: Number(lat), lng: Number(lng) } : { lat, lng }
}

function alterRepeater(record: JsonRecord, rng: Rng): void {
  record.status = record.status === 'ACTIVE' ? 'INACTIVE' : 'ACTIVE'
  if (rng() < 0.5) record.frequency = repeaterFrequency(rng)
  if (rng() < 0.3) record.callsign = callsign(rng, pickRegion(rng))
}

// ---- users (RadioID users) --------------------------------------------------------------------------------------

function makeUser(rng: Rng, index: number): JsonRecord {
  const region = pickRegion(rng)
  const call = callsign(rng, region)
  const [city, state] = pick(rng, region.places)
  const context = textContext(rng, region, call, city)
  const validated = rng() < 0.85
  return {
    id: 40_001 + index * 3 + int(rng, 0, 2),
    radio_id: 3_100_001 + index,
    callsign: call,
    name: context.first,
    fname: context.first,
    surname: context.last,
    city,
    state,
    country: region.country,
    has_valid_callsign: validated ? '1' : '0',
    has_valid_email: rng() < 0.9 ? 1 : 0,
    account_unvalidated: validated ? 0 : 1,
    account_validation_status: pick(rng, VALIDATION_TEXT)(context),
  }
}

function alterUser(record: JsonRecord, rng: Rng): void {
  record.has_valid_email = record.has_valid_email === 1 ? 0 : 1
  if (rng() < 0.5) {
    const region = pickRegion(rng)
    const [city, state] = pick(rng, region.places)
    Object.assign(record, { city, state, country: region.country })
  }
  if (rng() < 0.3) record.callsign = callsign(rng, pickRegion(rng))
}

// ---- devices (BrandMeister) -------------------------------------------------------------------------------------

/** Repeaters keep 6-digit ids, hotspots 9-digit ones (radio id plus a suffix); both grow with the index. */
function deviceId(index: number): number {
  return index % 4 === 0 ? 200_000 + index / 4 : 200_000_000 + index * 7
}

function makeDevice(rng: Rng, index: number): JsonRecord {
  const region = pickRegion(rng)
  const call = callsign(rng, region)
  const [city] = pick(rng, region.places)
  const context = textContext(rng, region, call, city)
  const kind = pick(rng, DEVICE_KINDS)
  const hardware = pick(rng, kind.hardware)
  context.hardware = hardware
  const tx = 430 + int(rng, 0, 800) * 0.0125
  const position = rng()
  return {
    id: deviceId(index),
    callsign: call,
    linkname: kind.linkname,
    hardware,
    firmware: pick(rng, kind.firmware),
    tx: tx.toFixed(4),
    rx: (kind.repeater ? tx - 7.6 : tx).toFixed(4),
    colorcode: int(rng, 0, 15),
    status: kind.status,
    lastKnownMaster: context.master,
    lat: position < 0.02 ? null : position < 0.06 ? 0 : Number(coordinate(rng, region.lat, 8, 5)),
    lng: position < 0.02 ? null : position < 0.06 ? 0 : Number(coordinate(rng, region.lng, 12, 5)),
    city,
    website: rng() < 0.4 ? '' : `https://www.qrz.com/db/${call}`,
    priorityDescription: rng() < 0.6 ? '' : pick(rng, PRIORITY_DESCRIPTIONS)(context),
    description: rng() < 0.08 ? null : pick(rng, kind.repeater ? REPEATER_DESCRIPTIONS : HOTSPOT_DESCRIPTIONS)(context),
    statusText: kind.statusText,
    last_seen: timestamp(rng, -int(rng, 1, 400)),
    pep: rng() < 0.3 ? null : pick(rng, [1, 5, 10, 25, 50]),
  }
}

function alterDevice(record: JsonRecord, rng: Rng): void {
  record.last_seen = timestamp(rng, 0)
  if (rng() < 0.3) record.status = record.status === 4 ? 2 : 4
  if (rng() < 0.3) record.callsign = callsign(rng, pickRegion(rng))
}

// ---- writing ----------------------------------------------------------------------------------------------------

const SOURCES: readonly SourceSpec[] = [
  { name: 'rptrs', weight: 10_600, make: makeRepeater, alter: alterRepeater },
  { name: 'users', weight: 233_000, make: makeUser, alter: alterUser },
  { name: 'devices', weight: 33_000, make: makeDevice, alter: alterDevice },
]

/** Largest-remainder split of `records` by weight, so the counts sum exactly; each source gets one when it can. */
function splitCounts(records: number): number[] {
  const total = SOURCES.reduce((sum, s) => sum + s.weight, 0)
  const exact = SOURCES.map((s) => (records * s.weight) / total)
  const counts = exact.map((x) => Math.floor(x))
  const byRemainder = counts.map((_, i) => i).sort((a, b) => ((exact[b] ?? 0) % 1) - ((exact[a] ?? 0) % 1))
  let left = records - counts.reduce((a, b) => a + b, 0)
  for (const i of byRemainder) if (left-- > 0) counts[i] = (counts[i] ?? 0) + 1
  if (records >= counts.length) {
    for (const [i, count] of counts.entries()) {
      if (count > 0) continue
      const largest = counts.indexOf(Math.max(...counts))
      counts[largest] = (counts[largest] ?? 0) - 1
      counts[i] = 1
    }
  }
  return counts
}

/**
 * Record indices of one source in file order: the base records 0..count-1 minus the removed ones, then as many new
 * records (keys beyond the base range) as were removed, so the count stays exact.
 */
function* sourceIndices(spec: SourceSpec, count: number, seed: number, changeRate: number): Generator<number> {
  const salt = stringSalt(spec.name)
  let removed = 0
  for (let index = 0; index < count; index++) {
    if (hash32(seed, salt, index, PURPOSE_FATE) / 4_294_967_296 < changeRate / 3) removed++
    else yield index
  }
  for (let index = count; index < count + removed; index++) yield index
}

/** The JSON text of record `index` of a source of `count` base records; a third of the changed ones are altered. */
function recordJson(spec: SourceSpec, index: number, count: number, seed: number, changeRate: number): string {
  const salt = stringSalt(spec.name)
  const record = spec.make(mulberry32(hash32(seed, salt, index, PURPOSE_RECORD)), index)
  if (index < count) {
    const fate = hash32(seed, salt, index, PURPOSE_FATE) / 4_294_967_296
    if (fate >= changeRate / 3 && fate < (2 * changeRate) / 3) spec.alter(record, mulberry32(hash32(seed, salt, index, PURPOSE_ALTER)))
  }
  return JSON.stringify(record)
}

/** Lines of one source, as {@link sourceIndices} orders them. */
function* sourceLines(spec: SourceSpec, count: number, seed: number, changeRate: number): Generator<string> {
  for (const index of sourceIndices(spec, count, seed, changeRate)) yield `${recordJson(spec, index, count, seed, changeRate)}\n`
}

/** One source of the generated data set with its records reachable by position: what the demo API serves. */
export interface DmrDatasetSource {
  readonly name: string
  readonly records: number
  /** The JSON text (no newline) of the record at `position` (0-based) of the source's file. */
  recordAt(position: number): string
}

/**
 * The data set {@link generateDmrCache} writes, without writing it: per source, the record at any position, made on
 * demand, byte-identical to the line of the generated file.
 */
export function dmrDataset(options: Omit<GenerateOptions, 'cacheDir'>): DmrDatasetSource[] {
  const { seed, changeRate } = validate({ ...options, cacheDir: '' })
  const counts = splitCounts(options.records)
  return SOURCES.map((spec, i) => {
    const count = counts[i] ?? 0
    // With changes, positions map to indices through a table (4 bytes a record); without, they are the same.
    const indices = changeRate === 0 ? undefined : Int32Array.from(sourceIndices(spec, count, seed >>> 0, changeRate))
    return {
      name: spec.name,
      records: count,
      recordAt: (position: number) => recordJson(spec, indices === undefined ? position : (indices[position] as number), count, seed >>> 0, changeRate),
    }
  })
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) offset += (await handle.write(chunk, offset)).bytesWritten
}

/**
 * Streams lines into a temp file, hashing the bytes on the way, then puts it in place as every atomic write does. Lines are encoded into
 * two alternating buffers (much faster than Buffer.from() on a long concatenated string) so that generating the next
 * batch overlaps writing the previous one, and at most one write is in flight.
 */
async function writeLines(file: string, lines: Iterable<string>, index: LineIndexBuilder): Promise<Omit<GeneratedSource, 'name' | 'file'>> {
  const temp = atomicTempPath(file)
  const handle = await open(temp, 'w')
  const hash = createHash('sha256')
  const buffers = [Buffer.allocUnsafe(BATCH_BYTES), Buffer.allocUnsafe(BATCH_BYTES)] as const
  let buffer: Buffer = buffers[0]
  let pending = Promise.resolve()
  let used = 0
  let records = 0
  let bytes = 0
  const flush = async (): Promise<void> => {
    const chunk = buffer.subarray(0, used)
    hash.update(chunk)
    bytes += used
    used = 0
    await pending // the other buffer must be written before it is filled again
    pending = writeAll(handle, chunk)
    buffer = buffer === buffers[0] ? buffers[1] : buffers[0]
  }
  try {
    for (const line of lines) {
      if (used + line.length * 3 > BATCH_BYTES) await flush()
      const from = used
      used += buffer.write(line, used, 'utf8')
      index.add(buffer.subarray(from, used - 1), bytes + used)
      records++
    }
    await flush()
    await pending
  } catch (error) {
    await pending.catch(() => undefined)
    await handle.close().catch(() => undefined)
    await rm(temp, { force: true })
    throw error
  }
  await finishAtomicWrite(handle, temp, file)
  return { records, bytes, sha256: hash.digest('hex') }
}

function validate(options: GenerateOptions): { seed: number; changeRate: number } {
  const { records, seed = 1, changeRate = 0 } = options
  const fail = (message: string): never => {
    throw new CachesyncError('ERR_USAGE', message)
  }
  if (!Number.isSafeInteger(records) || records < 0) fail(`records must be a non-negative integer, got ${records}`)
  if (!Number.isSafeInteger(seed)) fail(`seed must be an integer, got ${seed}`)
  if (!(changeRate >= 0 && changeRate <= 1)) fail(`changeRate must be between 0 and 1, got ${changeRate}`)
  return { seed, changeRate }
}

/**
 * Writes `rptrs.ndjson`, `users.ndjson` and `devices.ndjson` (plus their meta files) into `cacheDir`: `records`
 * realistic RadioID / BrandMeister records in the real proportions, streamed, byte-identical for the same
 * (records, seed, changeRate). With `changeRate` p, about p/3 of the records are removed, p/3 altered and p/3·N added
 * relative to changeRate 0; all other lines stay identical.
 */
export async function generateDmrCache(options: GenerateOptions): Promise<GenerateReport> {
  const started = performance.now()
  const { seed, changeRate } = validate(options)
  await loadRowHash()
  await mkdir(options.cacheDir, { recursive: true })
  const counts = splitCounts(options.records)
  const sources: GeneratedSource[] = []
  for (const [i, spec] of SOURCES.entries()) {
    const file = join(options.cacheDir, `${spec.name}.ndjson`)
    // An index of the file before is no longer the file's; the new one is written once the file and its meta are.
    await rm(lineIndexPathFor(file), { force: true })
    const index = new LineIndexBuilder()
    const written = await writeLines(file, sourceLines(spec, counts[i] ?? 0, seed >>> 0, changeRate), index)
    const meta = { fetchedAt: new Date().toISOString(), ...written, source: `generated:seed=${seed}`, version: PACKAGE_VERSION }
    await writeCacheMeta(file, meta)
    await index.write(file, written.sha256)
    sources.push({ name: spec.name, file, ...written })
  }
  const sum = (key: 'records' | 'bytes'): number => sources.reduce((total, s) => total + s[key], 0)
  return { sources, records: sum('records'), bytes: sum('bytes'), ms: performance.now() - started }
}
