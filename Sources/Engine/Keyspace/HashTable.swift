import CSupport

/// A chained hash table keyed by bytes, with Redis's reverse-binary SCAN cursor: a full scan
/// returns every key present for its whole duration, across growth and shrinking.
/// A value type: copying it is O(1), the first write after a copy copies its arrays (CoW).
public struct HashTable<Value> {
    @usableFromInline struct Slot {
        var key: Bytes
        var value: Value?
        var hash: UInt64
        var next: Int32
    }

    @usableFromInline var heads: [Int32] = []
    @usableFromInline var slots: [Slot] = []
    @usableFromInline var freeList: Int32 = -1
    public private(set) var count = 0

    public init() {}

    @inlinable static func hash(_ key: Bytes) -> UInt64 { KeyHash.hash(key) }

    @inline(__always) var mask: UInt64 { UInt64(heads.count - 1) }

    @usableFromInline func find(_ key: Bytes, hash: UInt64) -> Int32 {
        if heads.isEmpty { return -1 }
        let first = heads[Int(hash & mask)]
        // Walk the chain through the buffer: no copies (and no retains) of the slots.
        return slots.withUnsafeBufferPointer { p in
            var i = first
            while i >= 0 {
                if p[Int(i)].hash == hash && p[Int(i)].key == key { return i }
                i = p[Int(i)].next
            }
            return -1
        }
    }

    /// Prefetch stages for a batch of lookups (see `Database.prefetch`): the bucket head, then
    /// the first slot of the chain, then the key's and value's storage.
    // The prefetch stages read the arrays through their element addresses: going through
    // `withUnsafeBufferPointer` retains and releases both arrays at every step of every key.
    @inline(__always) func prefetchBucket(_ hash: UInt64) {
        guard !heads.isEmpty, let h = heads._baseAddressIfContiguous else { return }
        mnemo_prefetch(h + Int(hash & mask))
    }

    @inline(__always) func prefetchSlot(_ hash: UInt64) {
        guard !heads.isEmpty, let h = heads._baseAddressIfContiguous, let s = slots._baseAddressIfContiguous else { return }
        let i = h[Int(hash & mask)]
        if i >= 0 { mnemo_prefetch(s + Int(i)) }
    }

    /// Reads the key's and the value's storage addresses straight from the slot's memory:
    /// going through the Swift values would retain them, an atomic write that stalls on the
    /// very cache miss being hidden. A wrong address is harmless (a prefetch never faults).
    @inline(__always) func prefetchKey(_ hash: UInt64) {
        guard !heads.isEmpty, let h = heads._baseAddressIfContiguous, let s = slots._baseAddressIfContiguous else { return }
        let i = h[Int(hash & mask)]
        if i < 0 { return }
        let slot = UnsafeRawPointer(s + Int(i))
        mnemo_prefetch(UnsafeRawPointer(bitPattern: slot.load(fromByteOffset: Self.keyOffset, as: UInt.self) & Self.addressBits))
        mnemo_prefetch(UnsafeRawPointer(bitPattern: slot.load(fromByteOffset: Self.valueOffset, as: UInt.self) & Self.addressBits))
    }
    static var keyOffset: Int { MemoryLayout<Slot>.offset(of: \Slot.key)! }
    static var valueOffset: Int { MemoryLayout<Slot>.offset(of: \Slot.value)! }
    /// A heap pointer's bits, without the spare bits an enum may keep tags in.
    static var addressBits: UInt { 0x00FF_FFFF_FFFF_FFF8 }

    public func get(_ key: Bytes, hash: UInt64) -> Value? {
        let i = find(key, hash: hash)
        return i >= 0 ? slots[Int(i)].value : nil
    }

    public func get(_ key: Bytes) -> Value? { get(key, hash: Self.hash(key)) }

    /// The value and the slot it lies in, for a change through `subscript(slot:)` with no second probe
    /// (valid until the table is next changed).
    public func getWithSlot(_ key: Bytes, hash: UInt64) -> (Value, Int32)? {
        let i = find(key, hash: hash)
        return i >= 0 ? (slots[Int(i)].value!, i) : nil
    }

    /// The value in `slot`, which `find` or `getWithSlot` just returned (valid until the table next changes),
    /// read or changed where it lies: no closure, no copy.
    @inline(__always) subscript(slot slot: Int32) -> Value {
        _read { yield slots[Int(slot)].value.unsafelyUnwrapped }
        _modify { yield &slots[Int(slot)].value! }
    }

    /// Inserts or replaces; returns the previous value.
    @discardableResult
    public mutating func set(_ key: Bytes, _ value: Value, hash: UInt64) -> Value? {
        let i = find(key, hash: hash)
        if i >= 0 {
            let old = slots[Int(i)].value
            slots[Int(i)].value = value
            return old
        }
        if count + 1 > heads.count { resize(max(4, heads.count * 2)) }
        let b = Int(hash & mask)
        let slot = Slot(key: key, value: value, hash: hash, next: heads[b])
        let index: Int32
        if freeList >= 0 {
            index = freeList
            freeList = slots[Int(index)].next
            slots[Int(index)] = slot
        } else {
            index = Int32(slots.count)
            slots.append(slot)
        }
        heads[b] = index
        count += 1
        return nil
    }

    @discardableResult
    public mutating func set(_ key: Bytes, _ value: Value) -> Value? { set(key, value, hash: Self.hash(key)) }

    /// Modifies the value in place (no copy of the value if uniquely referenced).
    public mutating func update<R>(_ key: Bytes, hash: UInt64, _ body: (inout Value) -> R) -> R? {
        let i = find(key, hash: hash)
        if i < 0 { return nil }
        var v = slots[Int(i)].value.take()!
        let r = body(&v)
        slots[Int(i)].value = v
        return r
    }

    @discardableResult
    public mutating func remove(_ key: Bytes, hash: UInt64) -> Value? {
        if heads.isEmpty { return nil }
        let b = Int(hash & mask)
        var prev: Int32 = -1
        var i = heads[b]
        while i >= 0 {
            let s = slots[Int(i)]
            if s.hash == hash && s.key == key {
                if prev < 0 { heads[b] = s.next } else { slots[Int(prev)].next = s.next }
                let old = s.value
                slots[Int(i)] = Slot(key: [], value: nil, hash: 0, next: freeList)
                freeList = i
                count -= 1
                if heads.count > 4 && count * 8 < heads.count { resize(max(4, heads.count / 2)) }
                return old
            }
            prev = i
            i = s.next
        }
        return nil
    }

    @discardableResult
    public mutating func remove(_ key: Bytes) -> Value? { remove(key, hash: Self.hash(key)) }

    public mutating func removeAll() { self = HashTable() }

    mutating func resize(_ buckets: Int) {
        // Compact live slots while rehashing so the free list does not outgrow the table.
        var newSlots: [Slot] = []
        newSlots.reserveCapacity(Swift.max(count, buckets))
        var newHeads = [Int32](repeating: -1, count: buckets)
        let m = UInt64(buckets - 1)
        for s in slots where s.value != nil {
            let b = Int(s.hash & m)
            newSlots.append(Slot(key: s.key, value: s.value, hash: s.hash, next: newHeads[b]))
            newHeads[b] = Int32(newSlots.count - 1)
        }
        heads = newHeads
        slots = newSlots
        freeList = -1
    }

    /// Visits the keys of one SCAN step and returns the next cursor (0 when the scan is done).
    /// `count` is a hint of how many buckets' worth of entries to return, as in Redis.
    public func scan(cursor: UInt64, count: Int, _ visit: (Bytes, Value) -> Void) -> UInt64 {
        if heads.isEmpty { return 0 }
        let m = mask
        var v = cursor
        var visited = 0
        repeat {
            var i = heads[Int(v & m)]
            while i >= 0 {
                let s = slots[Int(i)]
                visit(s.key, s.value!)
                visited += 1
                i = s.next
            }
            v |= ~m
            v = v.bitReversed
            v &+= 1
            v = v.bitReversed
        } while v != 0 && visited < count
        return v
    }

    /// All entries, in table order.
    public func forEach(_ body: (Bytes, Value) -> Void) {
        for s in slots where s.value != nil { body(s.key, s.value!) }
    }

    public var keys: [Bytes] {
        var out: [Bytes] = []
        out.reserveCapacity(count)
        for s in slots where s.value != nil { out.append(s.key) }
        return out
    }

    /// A uniformly chosen bucket's entry (Redis's dictGetFairRandomKey approximation), or nil if empty.
    public func randomEntry<G: RandomNumberGenerator>(using rng: inout G) -> (Bytes, Value)? {
        if count == 0 { return nil }
        // Live slots are dense after a resize; probe slots directly.
        while true {
            let i = Int.random(in: 0..<slots.count, using: &rng)
            if let v = slots[i].value { return (slots[i].key, v) }
        }
    }
}

extension UInt64 {
    @inline(__always) var bitReversed: UInt64 {
        var v = self
        var r: UInt64 = 0
        for _ in 0..<64 {
            r = (r << 1) | (v & 1)
            v >>= 1
        }
        return r
    }
}

extension Optional {
    @inline(__always) mutating func take() -> Wrapped? {
        let v = self
        self = nil
        return v
    }
}

/// The keyed hash of every table: 64-bit multiply-mix over 8-byte words (the wyhash family),
/// seeded at random per process so that collisions cannot be precomputed from outside. Keys
/// are mostly short, and this costs a fraction of SipHash for them (Swift's `Hasher`).
public enum KeyHash {
    @usableFromInline static let seed: UInt64 = {
        var g = SystemRandomNumberGenerator()
        return g.next() | 1
    }()
    @usableFromInline static let p0: UInt64 = 0xa076_1d64_78bd_642f
    @usableFromInline static let p1: UInt64 = 0xe703_7ed1_a0b4_28db
    @usableFromInline static let p2: UInt64 = 0x8ebc_6af0_9c88_c6e3

    @inlinable @inline(__always) static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    @inlinable public static func hash(_ key: Bytes) -> UInt64 { key.withUnsafeBytes { hash(bytes: $0) } }

    /// A slot of a direct-mapped cache of `1 << bits` entries for `x` (a pointer, a number):
    /// the top bits of a multiplicative (Fibonacci) hash, so that aligned addresses spread.
    @inlinable public static func slot(_ x: UInt, bits: Int) -> Int {
        Int(truncatingIfNeeded: (x &* 0x9E37_79B9_7F4A_7C15) >> UInt(UInt.bitWidth - bits))
    }

    /// The hash of bytes that are not (or need not be borrowed as) an array.
    @inlinable public static func hash(bytes p: UnsafeRawBufferPointer) -> UInt64 {
        let n = p.count
        var h = seed ^ mix(UInt64(n) ^ p0, p1)
        var i = 0
        while i + 8 <= n {
            h = mix(h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self), p1)
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            h = mix(h ^ tail, p2)
        }
        return mix(h ^ p0, p2 ^ seed)
    }
}
