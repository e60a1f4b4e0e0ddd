import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs'
import { endianness } from 'node:os'
import { dirname } from 'node:path'
import { HashSet64 } from '../../util/hash-set64.js'
import { syncDirectorySync } from '../../util/sync-directory.js'

/** What a file of live rows starts with: its format, then capacity, size and the state's checksum. */
const MAGIC = Buffer.from('CSLIVE01')
const HEADER_BYTES = 32
/** The most of its slots a set in a file may use (`liveSetAfter` keeps it under 0.6). */
const MAX_LIVE_LOAD = 0.75
/** Bytes of a slot: four 32-bit words, and a byte of state. */
const SLOT_BYTES = 17

/**
 * A table's live-row set kept in a file as its very arrays (the hash table, not a list), so that the
 * next sync loads it with two reads into shared memory and no row-by-row rebuild. The words are in the
 * machine's byte order, so only little-endian machines (all that Node runs on in practice) keep one; a
 * file that is short, torn or not one of these reads as none, and the sync then reads the table.
 */
export function writeLiveRowFile(path: string, set: HashSet64): boolean {
  if (endianness() !== 'LE') return false
  const { slots, state, size } = set.arrays
  const slotBytes = new Uint8Array(slots.buffer, slots.byteOffset, slots.byteLength)
  const stateBytes = new Uint8Array(state.buffer, state.byteOffset, state.byteLength)
  const header = Buffer.alloc(HEADER_BYTES)
  MAGIC.copy(header, 0)
  header.writeUInt32LE(state.length, 8)
  header.writeUInt32LE(size, 12)
  header.writeBigUInt64LE(checksum(words(state)), 16)
  const fd = openSync(path, 'w')
  try {
    for (const part of [header, slotBytes, stateBytes]) writeAll(fd, part)
    // On disk before the commit that names it: a set lost in a crash would stay wrong for every later sync.
    fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
  syncDirectorySync(dirname(path))
  return true
}

/** The set a file holds, in shared memory; undefined when the file is missing or not whole. */
export function readLiveRowFile(path: string): HashSet64 | undefined {
  if (endianness() !== 'LE') return undefined
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return undefined
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES)
    if (readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES || !header.subarray(0, 8).equals(MAGIC)) return undefined
    const capacity = header.readUInt32LE(8)
    const size = header.readUInt32LE(12)
    const powerOfTwo = capacity >= 16 && (capacity & (capacity - 1)) === 0
    if (!powerOfTwo || size > capacity || fstatSync(fd).size !== HEADER_BYTES + capacity * SLOT_BYTES) return undefined
    const slots = new Uint32Array(new SharedArrayBuffer(capacity * 16))
    const state = new Uint8Array(new SharedArrayBuffer(capacity))
    const slotBytes = new Uint8Array(slots.buffer)
    if (!readAll(fd, slotBytes, HEADER_BYTES) || !readAll(fd, state, HEADER_BYTES + slotBytes.length)) return undefined
    if (checksum(words(state)) !== header.readBigUInt64LE(16)) return undefined
    const set = new HashSet64({ slots, state, size })
    // Probes end at an empty slot: a set without enough of them is not one this code wrote.
    return set.used <= MAX_LIVE_LOAD * capacity ? set : undefined
  } finally {
    closeSync(fd)
  }
}

/**
 * A 64-bit checksum of the state array (two FNV-style lanes), to tell a file torn by a crash (the row
 * that names it committed, its pages not all written: those read as zeros) from a whole one. The state
 * is what matters: a member whose state page was lost would never be found unseen, and its row never
 * deleted; a lost page of slots only makes its members look new, so that their records are parsed and
 * found unchanged by the upsert. A sixteenth of the file, a few ms where all of it cost a tenth of a
 * re-sync. Not a defence against anyone: the file is ours.
 */
function checksum(words: Uint32Array): bigint {
  let a = 0x811c9dc5
  let b = 1
  for (let i = 0; i < words.length; i++) {
    a = Math.imul(a ^ (words[i] as number), 0x01000193)
    b = (b + a + i) | 0
  }
  return (BigInt(a >>> 0) << 32n) | BigInt(b >>> 0)
}

/** A state array (its length a power of two ≥ 16) seen as 32-bit words. */
function words(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0
  while (done < bytes.length) done += writeSync(fd, bytes, done)
}

function readAll(fd: number, into: Uint8Array, position: number): boolean {
  let done = 0
  while (done < into.length) {
    const read = readSync(fd, into, done, into.length - done, position + done)
    if (read === 0) return false
    done += read
  }
  return true
}
