/// The durability layer's record of which keys have a write that may not be durable yet:
/// a fixed array of sequence numbers indexed by a hash of (database, key). A slot keeps the
/// highest sequence of every key that hashes to it, so a lookup can answer too high (another
/// key shares the slot: a read waits for a write it did not need to) but never too low — a
/// read is never released before a write to its key is durable. Marking costs one store,
/// nothing is ever cleared (a slot at or below the committed sequence simply means "nothing
/// pending") and the memory is fixed: no growth, rehashing or key copies on the write path.
public struct KeySequences {
    /// A power of two: 8K slots, 64 KB, so the array stays in the CPU's cache (at 512 KB a
    /// mark was a cache miss: 3% of a pipelined durable SET). A group commit holds at most a
    /// few thousand pending keys, so most reads of other keys still find a slot at or below
    /// the committed sequence.
    public static let slotCount = 1 << 13
    private var slots: [UInt64]
    /// The highest sequence ever marked (0 = none).
    public private(set) var highest: UInt64 = 0

    public init() { slots = Array(repeating: 0, count: KeySequences.slotCount) }

    @inline(__always) private static func slot(_ db: Int, _ key: Bytes) -> Int {
        // The keyspace's hash, with the database mixed in (Fibonacci hashing spreads it).
        let h = KeyHash.hash(key) &+ UInt64(truncatingIfNeeded: db) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> 48) & (slotCount - 1)
    }

    public mutating func mark(_ db: Int, _ key: Bytes, _ sequence: UInt64) {
        let i = KeySequences.slot(db, key)
        slots.withUnsafeMutableBufferPointer { p in
            if p[i] < sequence { p[i] = sequence }
        }
        if sequence > highest { highest = sequence }
    }

    /// The highest sequence marked for `key`'s slot (an upper bound of the key's own), or nil.
    public func sequence(_ db: Int, _ key: Bytes) -> UInt64? {
        let s = slots[KeySequences.slot(db, key)]
        return s == 0 ? nil : s
    }

    /// Whether anything above `committed` may be pending.
    public func hasPending(after committed: UInt64) -> Bool { highest > committed }
}
