import { hash } from 'node:crypto'
import xxhash from 'xxhash-wasm'

/** Bytes of a row hash: 64 bits, stored as a BLOB in `_hash`. */
export const ROW_HASH_BYTES = 8

/**
 * Names the row hash function. It is part of every mapping's fingerprint, so a database whose rows were
 * hashed another way has them rewritten once rather than all counted as changed forever.
 */
export const ROW_HASH_ALGORITHM = 'xxh64'

const notLoaded = (): never => {
  throw new Error('the row hash was used before loadRowHash() resolved')
}
let h64Raw: (data: Uint8Array) => bigint = notLoaded
let create64: () => { update(data: Uint8Array): unknown; digest(): bigint } = notLoaded
let loading: Promise<void> | undefined
const encoder = new TextEncoder()

/**
 * Compiles the hash's WebAssembly, once per thread; `rowHash` and `probeRowHash` need it done. It is not
 * done at import, so that importing cachesync compiles nothing: `runSync` and each worker call this first.
 */
export function loadRowHash(): Promise<void> {
  loading ??= xxhash().then((api) => {
    h64Raw = api.h64Raw
    create64 = api.create64
  })
  return loading
}

/**
 * The content hash of one record: the 64-bit xxHash of the record's bytes as upstream sent them.
 * Hashing the bytes before decoding or parsing is what lets an unchanged record skip both; a string
 * hashes as its UTF-8 bytes, so both forms agree. xxh64 in WebAssembly costs far less than sha256 per
 * line, and hashing is the bulk of a re-sync (benchmarks/hot-paths.bench.ts compares them). It guards
 * against accidents, not adversaries: with a million live rows and every record changed, the chance
 * that one takes another live row's hash is about 1 in 10^7 per sync; upstream controls the data anyway.
 */
export function rowHash(data: string | Uint8Array): Buffer {
  const value = h64(typeof data === 'string' ? encoder.encode(data) : data)
  const out = Buffer.allocUnsafe(ROW_HASH_BYTES)
  out.writeBigUInt64BE(value)
  return out
}

const probe = new Uint8Array(ROW_HASH_BYTES)
const probeView = new DataView(probe.buffer)

/**
 * `rowHash` into one buffer that the next call overwrites, allocating nothing: for looking a line up
 * (most lines of a re-sync are only that); copy it to keep it. Otherwise every line makes a short-lived
 * buffer and a BigInt conversion, a large share of a re-sync worker's time.
 */
export function probeRowHash(data: Uint8Array): Uint8Array {
  probeView.setBigUint64(0, h64(data), false)
  return probe
}

/**
 * Inputs longer than this are hashed in pieces: the WebAssembly memory grows to hold what it hashes and
 * never shrinks, so one-shot hashing of a line index's 13.5 MB of entries kept 13.5 MB more for the rest of
 * the process (the last peak of a big warm). The streamed hash of the pieces is the same xxh64.
 */
const PIECE_BYTES = 1 << 20

function h64(data: Uint8Array): bigint {
  if (data.byteLength <= PIECE_BYTES) return h64Raw(data)
  const state = create64()
  for (let at = 0; at < data.byteLength; at += PIECE_BYTES) state.update(data.subarray(at, at + PIECE_BYTES))
  return state.digest()
}

/** A short text fingerprint (for identities such as a mapping), not a row hash. */
export function textFingerprint(text: string): string {
  return hash('sha256', text, 'base64url').slice(0, 22)
}
