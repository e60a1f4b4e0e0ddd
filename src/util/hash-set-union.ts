import { HashSet64, type SharedHashSet64 } from './hash-set64.js'

/**
 * Several hash sets seen as one: a table's live rows read in parts on several threads at once (each
 * part a rowid range, each its own set), and looked up in every part. Hashes are unique across parts
 * in practice (a hash names a record's bytes, and a row's key is in its bytes), so the first part
 * that has a hash is the one.
 */
export class HashSetUnion {
  readonly #parts: readonly HashSet64[]

  constructor(parts: readonly HashSet64[]) {
    this.#parts = parts
  }

  /** The union of sets whose arrays another thread shared (see `memory`). */
  static fromMemory(memory: readonly SharedHashSet64[]): HashSetUnion {
    return new HashSetUnion(memory.map((part) => new HashSet64(part)))
  }

  /** Every part's arrays, to post to a worker thread (they are not copied). */
  get memory(): SharedHashSet64[] {
    return this.#parts.map((part) => part.memory)
  }

  get size(): number {
    return this.#parts.reduce((sum, part) => sum + part.size, 0)
  }

  /** Marks the hash seen in the part that has it; returns whether one does. */
  markSeen(hash: Uint8Array, offset = 0): boolean {
    for (const part of this.#parts) if (part.markSeen(hash, offset)) return true
    return false
  }

  isSeen(hash: Uint8Array, offset = 0): boolean {
    for (const part of this.#parts) if (part.isSeen(hash, offset)) return true
    return false
  }

  /** The one set this is, when it was read in one part. */
  get single(): HashSet64 | undefined {
    return this.#parts.length === 1 ? this.#parts[0] : undefined
  }

  /** The members of every part marked seen, packed (see `HashSet64.packSeen`). */
  packSeen(): Buffer {
    return Buffer.concat(this.#parts.map((part) => part.packSeen()))
  }

  /** Calls `visit` with the rowid of each member of every part marked seen (see `HashSet64.visitSeenRowids`). */
  visitSeenRowids(visit: (rowHi: number, rowLo: number) => void): void {
    for (const part of this.#parts) part.visitSeenRowids(visit)
  }

  /** The members of every part never marked seen. */
  unseen(): { hash: Buffer; rowid: bigint }[] {
    return this.#parts.flatMap((part) => part.unseen())
  }
}

/** What the engine asks of a table's live rows, whether read in one part or several. */
export type LiveRowSet = Pick<HashSetUnion, 'markSeen' | 'isSeen' | 'unseen' | 'packSeen' | 'visitSeenRowids' | 'size'>
