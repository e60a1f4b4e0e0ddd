/**
 * A set of 64-bit hashes in typed arrays (open addressing, linear probing), each member with the rowid
 * of the row it came from and a "seen" mark: 17 bytes a slot, about 34 bytes a member, and no JS
 * object per member, so a large table loads far faster than into a Set of strings. Hashes are uniformly random, so their low bits index the table directly.
 *
 * The arrays can live in shared memory (`shared: true`): worker threads then rebuild the set from its
 * `memory` and look members up and mark them seen in place, with no copy and no list of matches sent
 * back. Marks only ever go from member to seen, so threads marking one slot at once agree; the owner
 * reads the marks after the workers' results arrived (piscina's hand-over orders the writes).
 */
export class HashSet64 {
  /**
   * Four words a slot, side by side so that a probe touches one cache line: the hash's two halves, then
   * the member's rowid as two unsigned halves (rowids are signed 64-bit).
   */
  readonly #slots: Uint32Array
  /** 0 empty, 1 member, 2 member seen, 3 removed. */
  readonly #state: Uint8Array
  readonly #mask: number
  #size: number
  /** Slots not empty (removed ones included), counted once when first asked and kept since. */
  #used: number | undefined

  /** An empty set sized for `expected` members, in shared memory when asked. */
  constructor(expected: number, options?: { shared?: boolean })
  /** The set whose arrays another thread shared (see `memory`). */
  constructor(memory: SharedHashSet64)
  constructor(from: number | SharedHashSet64, options: { shared?: boolean } = {}) {
    if (typeof from === 'number') {
      let capacity = 16
      while (capacity < from * 2) capacity *= 2
      const Memory = options.shared ? SharedArrayBuffer : ArrayBuffer
      from = { slots: new Uint32Array(new Memory(capacity * SLOT_WORDS * 4)), state: new Uint8Array(new Memory(capacity)), size: 0 }
      this.#used = 0
    }
    this.#slots = from.slots
    this.#state = from.state
    this.#mask = from.state.length - 1
    this.#size = from.size
  }

  /** A set of the rows packed 16 bytes each in `packed`: the 8-byte hash, then the rowid big-endian. */
  static fromPacked(packed: Buffer, options: { shared?: boolean } = {}): HashSet64 {
    const set = new HashSet64(packed.length / PACKED_ROW_BYTES, options)
    set.addPacked(packed)
    return set
  }

  /** The set's arrays as they are, shared or not (to write them to a file). */
  get arrays(): SharedHashSet64 {
    return { slots: this.#slots, state: this.#state, size: this.#size }
  }

  /** The arrays of a set made with `shared: true`, to post to a worker thread (they are not copied). */
  get memory(): SharedHashSet64 {
    if (!(this.#state.buffer instanceof SharedArrayBuffer)) throw new Error('HashSet64: not in shared memory')
    return { slots: this.#slots, state: this.#state, size: this.#size }
  }

  get size(): number {
    return this.#size
  }

  /** Adds the hash at `offset` of `hash`, with the rowid given as its high and low unsigned halves. */
  add(hash: Uint8Array, offset = 0, rowHi = 0, rowLo = 0): void {
    const hi = readU32(hash, offset)
    const lo = readU32(hash, offset + 4)
    const slots = this.#slots
    let slot = lo & this.#mask
    while (this.#state[slot] !== 0) {
      const at = slot * SLOT_WORDS
      if (slots[at] === hi && slots[at + 1] === lo) {
        if (this.#state[slot] !== REMOVED) return
        // A removed member back again (a row changed back): the same slot, with the rowid it has now.
        slots[at + 2] = rowHi
        slots[at + 3] = rowLo
        this.#state[slot] = 1
        this.#size++
        return
      }
      slot = (slot + 1) & this.#mask
    }
    const at = slot * SLOT_WORDS
    slots[at] = hi
    slots[at + 1] = lo
    slots[at + 2] = rowHi
    slots[at + 3] = rowLo
    this.#state[slot] = 1
    this.#size++
    if (this.#used !== undefined) this.#used++
  }

  /** Adds every row of a packed list (see `fromPacked`). */
  addPacked(packed: Buffer): void {
    for (let at = 0; at + PACKED_ROW_BYTES <= packed.length; at += PACKED_ROW_BYTES) this.add(packed, at, readU32BE(packed, at + 8), readU32BE(packed, at + 12))
  }

  /**
   * Ends a sync, in place: the members never seen are removed (their rows were deleted or rewritten),
   * the seen ones are plain members again, but for those whose rowid `drop` names (given the rowid's
   * high and low unsigned halves). Removed slots stay as markers that probes pass over.
   */
  settle(drop?: (rowHi: number, rowLo: number) => boolean): void {
    const state = this.#state
    const slots = this.#slots
    for (let slot = 0; slot < state.length; slot++) {
      if (state[slot] === 1 || (state[slot] === 2 && drop?.(slots[slot * SLOT_WORDS + 2] as number, slots[slot * SLOT_WORDS + 3] as number))) {
        state[slot] = REMOVED
        this.#size--
      } else if (state[slot] === 2) state[slot] = 1
    }
  }

  /**
   * Slots in use, removed ones included: probes get longer as this nears `capacity`. Only this thread
   * fills slots (other threads mark members seen), so the count holds once taken.
   */
  get used(): number {
    if (this.#used === undefined) {
      const state = this.#state
      let used = 0
      for (let slot = 0; slot < state.length; slot++) if (state[slot] !== 0) used++
      this.#used = used
    }
    return this.#used
  }

  get capacity(): number {
    return this.#state.length
  }

  /** Marks the hash seen if it is a member; returns whether it is. */
  markSeen(hash: Uint8Array, offset = 0): boolean {
    const slot = this.#find(hash, offset)
    if (slot < 0) return false
    this.#state[slot] = 2
    return true
  }

  /** True when the hash is a member marked seen. */
  isSeen(hash: Uint8Array, offset = 0): boolean {
    const slot = this.#find(hash, offset)
    return slot >= 0 && this.#state[slot] === 2
  }

  /** The members never marked seen: the rows that vanished upstream, unless this run rewrote them. */
  unseen(): { hash: Buffer; rowid: bigint }[] {
    const out: { hash: Buffer; rowid: bigint }[] = []
    const slots = this.#slots
    for (let slot = 0; slot < this.#state.length; slot++) {
      if (this.#state[slot] !== 1) continue
      const at = slot * SLOT_WORDS
      const hash = Buffer.allocUnsafe(8)
      hash.writeUInt32LE(slots[at] as number, 0)
      hash.writeUInt32LE(slots[at + 1] as number, 4)
      out.push({ hash, rowid: BigInt.asIntN(64, (BigInt(slots[at + 2] as number) << 32n) | BigInt(slots[at + 3] as number)) })
    }
    return out
  }

  /** Calls `visit` with the rowid (high and low unsigned halves) of each member marked seen, packing nothing. */
  visitSeenRowids(visit: (rowHi: number, rowLo: number) => void): void {
    const state = this.#state
    const slots = this.#slots
    for (let slot = 0; slot < state.length; slot++) {
      if (state[slot] === 2) visit(slots[slot * SLOT_WORDS + 2] as number, slots[slot * SLOT_WORDS + 3] as number)
    }
  }

  /** The members marked seen, packed 16 bytes each as `fromPacked` reads them: the rows this run kept. */
  packSeen(): Buffer {
    return this.#pack(2)
  }

  /** The members, packed (after `settle`: the live rows). */
  packMembers(): Buffer {
    return this.#pack(1)
  }

  #pack(wanted: number): Buffer {
    let count = 0
    for (const state of this.#state) if (state === wanted) count++
    const out = Buffer.allocUnsafe(count * PACKED_ROW_BYTES)
    const slots = this.#slots
    let at = 0
    for (let slot = 0; slot < this.#state.length; slot++) {
      if (this.#state[slot] !== wanted) continue
      const word = slot * SLOT_WORDS
      out.writeUInt32LE(slots[word] as number, at)
      out.writeUInt32LE(slots[word + 1] as number, at + 4)
      out.writeUInt32BE(slots[word + 2] as number, at + 8)
      out.writeUInt32BE(slots[word + 3] as number, at + 12)
      at += PACKED_ROW_BYTES
    }
    return out
  }

  #find(hash: Uint8Array, offset: number): number {
    const hi = readU32(hash, offset)
    const lo = readU32(hash, offset + 4)
    const slots = this.#slots
    let slot = lo & this.#mask
    while (this.#state[slot] !== 0) {
      const at = slot * SLOT_WORDS
      if (slots[at] === hi && slots[at + 1] === lo) return this.#state[slot] === REMOVED ? -1 : slot
      slot = (slot + 1) & this.#mask
    }
    return -1
  }
}

const SLOT_WORDS = 4

/** The state of a slot whose member was removed (`settle`): not a member, but probes go on past it. */
const REMOVED = 3

/** Bytes of one live row in a packed list: its 8-byte hash, then its rowid as 8 bytes big-endian. */
export const PACKED_ROW_BYTES = 16

/** A set's arrays in shared memory, as posted between threads. */
export interface SharedHashSet64 {
  readonly slots: Uint32Array
  readonly state: Uint8Array
  readonly size: number
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24)) >>> 0
}

function readU32BE(bytes: Uint8Array, at: number): number {
  return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)) >>> 0
}
