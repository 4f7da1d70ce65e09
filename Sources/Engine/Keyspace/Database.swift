/// One numbered database: keys sharded over copy-on-write hash tables so that a snapshot
/// captures it in O(shards) and a write after the capture copies only one shard.
public struct Database {
    public static let shardBits = 8
    public static let shardCount = 1 << shardBits

    var shards: [HashTable<Entry>]
    /// Keys with an expiry, for the active expire cycle's sampling.
    var volatile: [HashTable<Int64>]
    public private(set) var count = 0
    public private(set) var volatileCount = 0

    public init() {
        shards = Array(repeating: HashTable(), count: Self.shardCount)
        volatile = Array(repeating: HashTable(), count: Self.shardCount)
    }

    @inline(__always) static func shard(_ hash: UInt64) -> Int { Int(hash >> UInt64(64 - shardBits)) }

    /// The entry, without checking expiry.
    public func raw(_ key: Bytes) -> Entry? {
        let h = HashTable<Entry>.hash(key)
        return shards[Self.shard(h)].get(key, hash: h)
    }

    /// Starts loading what looking up `keys` will touch, in three passes over all of them, so
    /// the cache misses of a pipelined batch overlap (a lookup is otherwise 3-4 misses in a row).
    public func prefetch(_ hashes: UnsafeBufferPointer<UInt64>) {
        // Through the buffer: borrowing the shards, not copying (retaining) them per key.
        shards.withUnsafeBufferPointer { sp in
            for h in hashes { sp[Self.shard(h)].prefetchBucket(h) }
            for h in hashes { sp[Self.shard(h)].prefetchSlot(h) }
            for h in hashes { sp[Self.shard(h)].prefetchKey(h) }
        }
    }

    public static func hash(_ key: Bytes) -> UInt64 { HashTable<Entry>.hash(key) }

    public mutating func set(_ key: Bytes, _ entry: Entry) { set(key, entry, hash: Self.hash(key)) }

    /// `set` with the key's hash already computed.
    public mutating func set(_ key: Bytes, _ entry: Entry, hash h: UInt64) {
        let s = Self.shard(h)
        let old = shards[s].set(key, entry, hash: h)
        if old == nil { count += 1 }
        let wasVolatile = (old?.expireAt ?? 0) != 0
        if entry.expireAt != 0 {
            if !wasVolatile { volatileCount += 1 }
            volatile[s].set(key, entry.expireAt, hash: h)
        } else if wasVolatile {
            volatile[s].remove(key, hash: h)
            volatileCount -= 1
        }
    }

    @discardableResult
    public mutating func remove(_ key: Bytes) -> Entry? {
        let h = HashTable<Entry>.hash(key)
        let s = Self.shard(h)
        guard let old = shards[s].remove(key, hash: h) else { return nil }
        count -= 1
        if old.expireAt != 0 {
            volatile[s].remove(key, hash: h)
            volatileCount -= 1
        }
        return old
    }

    /// The slot of `key` in its shard, -1 if missing: valid for `subscript(hash:slot:)` until
    /// the database next changes.
    @inline(__always) public func slot(of key: Bytes, hash h: UInt64) -> Int32 {
        shards[Self.shard(h)].find(key, hash: h)
    }

    /// The entry in a slot `slot(of:hash:)` just returned, read or changed where it lies.
    /// A change must keep the expiry (the volatile index would not follow).
    @inline(__always) public subscript(hash h: UInt64, slot slot: Int32) -> Entry {
        _read { yield shards[Self.shard(h)][slot: slot] }
        _modify { yield &shards[Self.shard(h)][slot: slot] }
    }

    /// Changes the value in place, keeping the expiry.
    public mutating func updateValue<R>(_ key: Bytes, _ body: (inout Value) -> R) -> R? {
        let h = HashTable<Entry>.hash(key)
        return shards[Self.shard(h)].update(key, hash: h) { body(&$0.value) }
    }

    public mutating func setExpire(_ key: Bytes, _ at: Int64) {
        guard var e = raw(key) else { return }
        e.expireAt = at
        set(key, e)
    }

    /// The entry without checking expiry, and its slot for `touch(hash:slot:now:)`.
    public func rawWithSlot(_ key: Bytes, hash h: UInt64) -> (Entry, Int32)? {
        shards[Self.shard(h)].getWithSlot(key, hash: h)
    }

    /// Replaces the entry of `key` that `rawWithSlot` just found in `slot` (expiring at
    /// `oldExpireAt`), keeping the index of keys with an expiry right: `set` with no second probe.
    public mutating func replace(_ key: Bytes, hash h: UInt64, slot: Int32, oldExpireAt: Int64, with entry: Entry) {
        let s = Self.shard(h)
        shards[s][slot: slot] = entry
        if entry.expireAt != 0 {
            if oldExpireAt == 0 { volatileCount += 1 }
            volatile[s].set(key, entry.expireAt, hash: h)
        } else if oldExpireAt != 0 {
            volatile[s].remove(key, hash: h)
            volatileCount -= 1
        }
    }

    /// Moves the access clock of the entry `rawWithSlot` just found.
    public mutating func touch(hash h: UInt64, slot: Int32, now: Int64) {
        shards[Self.shard(h)][slot: slot].lastAccess = now
    }

    public mutating func touch(_ key: Bytes, now: Int64) {
        let h = HashTable<Entry>.hash(key)
        _ = shards[Self.shard(h)].update(key, hash: h) { $0.lastAccess = now }
    }

    public mutating func removeAll() { self = Database() }

    /// One SCAN step over all shards. The cursor's low bits name the shard, the rest is the
    /// shard's own reverse-binary cursor.
    public func scan(cursor: UInt64, count: Int, _ visit: (Bytes, Entry) -> Void) -> UInt64 {
        var shard = Int(cursor & UInt64(Self.shardCount - 1))
        var inner = cursor >> UInt64(Self.shardBits)
        var visited = 0
        while shard < Self.shardCount {
            let next = shards[shard].scan(cursor: inner, count: Swift.max(1, count - visited)) { k, e in
                visited += 1
                visit(k, e)
            }
            if next == 0 {
                shard += 1
                inner = 0
            } else {
                inner = next
            }
            if visited >= count { break }
        }
        if shard >= Self.shardCount { return 0 }
        return (inner << UInt64(Self.shardBits)) | UInt64(shard)
    }

    public func forEach(_ body: (Bytes, Entry) -> Void) {
        for s in shards { s.forEach(body) }
    }

    public var keys: [Bytes] {
        var out: [Bytes] = []
        out.reserveCapacity(count)
        for s in shards { out.append(contentsOf: s.keys) }
        return out
    }

    public func randomKey<G: RandomNumberGenerator>(using rng: inout G) -> Bytes? {
        if count == 0 { return nil }
        while true {
            let s = Int.random(in: 0..<Self.shardCount, using: &rng)
            if let (k, _) = shards[s].randomEntry(using: &rng) { return k }
        }
    }

    /// A random key with an expiry and its expiry time (for the active expire cycle).
    public func randomVolatile<G: RandomNumberGenerator>(using rng: inout G) -> (Bytes, Int64)? {
        if volatileCount == 0 { return nil }
        while true {
            let s = Int.random(in: 0..<Self.shardCount, using: &rng)
            if let e = volatile[s].randomEntry(using: &rng) { return e }
        }
    }
}
