#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import RESP

/// RedisModuleKey: a key opened by a module, in the ctx's database at open time.
final class ModuleKey {
    static let modeRead: Int32 = 1, modeWrite: Int32 = 2
    unowned let ctx: ModuleCtx
    let db: Int
    let key: Bytes
    let mode: Int32
    var closed = false
    /// StringDMA's buffer: written back into the keyspace when the key is closed.
    var dma: UnsafeMutablePointer<CChar>?
    var dmaLength = 0
    /// A sorted-set range iteration: the set as it was when the range started, and the cursor.
    var zrange: (set: SortedSetValue, ranks: Range<Int>, cursor: Int)?

    init(ctx: ModuleCtx, key: Bytes, mode: Int32) {
        self.ctx = ctx
        self.db = ctx.db
        self.key = key
        self.mode = mode
    }

    static func from(_ p: UnsafeRawPointer?) -> ModuleKey? {
        guard let p else { return nil }
        return Unmanaged<ModuleKey>.fromOpaque(p).takeUnretainedValue()
    }

    var engine: Engine { ctx.engine }
    var writable: Bool { mode & ModuleKey.modeWrite != 0 }
    var entry: Entry? { engine.lookup(db, key) }
    var value: Value? { entry?.value }

    /// Writes the DMA buffer back and drops it.
    func flushDMA() {
        guard let d = dma else { return }
        let bytes = Bytes(UnsafeRawBufferPointer(start: d, count: dmaLength))
        d.deallocate()
        dma = nil
        if writable, case .string(let old)? = value, old != bytes { setValue(.string(bytes), keepTTL: true) }
    }

    func close() {
        guard !closed else { return }
        flushDMA()
        zrange = nil
        closed = true
        // As Redis: closing a key opened for writing signals it modified (WATCH, blocked clients).
        if writable { engine.keyChanged(db, key) }
    }

    /// Stores `v` at the key (keeping or dropping the TTL) and signals the change.
    func setValue(_ v: Value, keepTTL: Bool) {
        let old = entry
        engine.databases[db].set(key, Entry(value: v, expireAt: keepTTL ? (old?.expireAt ?? 0) : 0, lastAccess: engine.commandTime))
        engine.keyChanged(db, key)
    }

    func delete() -> Bool {
        guard entry != nil else { return false }
        engine.databases[db].remove(key)
        engine.keyChanged(db, key)
        engine.notify(.generic, "del", db: db, key: key)
        return true
    }

    /// Mutates a collection in place (no copy when uniquely held); nil on a wrong type or
    /// (without `create`) a missing key. An emptied collection deletes the key.
    func mutate<T: CollectionValue, R>(_: T.Type, create: Bool, _ body: (inout T) -> (R, Bool)) -> R? {
        try? engine.mutate(db: db, key, as: T.self, create: create) { c in
            let (r, changed) = body(&c)
            return (r, changed)
        }
    }
}

extension ModuleKey {
    /// The module value's pointer for a module about to change it in place. A value still
    /// shared with a snapshot being written is copied first (through its own rdb_save and
    /// rdb_load), so the snapshot keeps the state it captured.
    func modulePointerForWrite() -> UnsafeMutableRawPointer? {
        var result: UnsafeMutableRawPointer?
        _ = engine.databases[db].updateValue(key) { v in
            guard case .module(var mv) = v else { return }
            v = .string([])
            if !isKnownUniquelyReferenced(&mv), let t = mv.type as? ModuleType, let copy = t.copyValue(mv) {
                mv = copy
            }
            result = mv.pointer
            v = .module(mv)
        }
        return result
    }
}

extension ModuleType {
    /// A deep copy of a value through an rdb_save / rdb_load round trip in memory.
    func copyValue(_ v: ModuleValue) -> ModuleValue? {
        let buffer = MemoryRDB()
        rdbSave(v, to: buffer)
        return try? rdbLoad(encver: encodingVersion, from: buffer)
    }
}

/// An in-memory RDB payload (copies of module values).
final class MemoryRDB: ModuleRDBSink, ModuleRDBSource {
    enum Item { case length(UInt64), string(Bytes), raw(Bytes) }
    var items: [Item] = []
    var position = 0
    struct Underflow: Error {}
    func writeLength(_ v: UInt64) { items.append(.length(v)) }
    func writeString(_ b: Bytes) { items.append(.string(b)) }
    func writeRaw(_ b: Bytes) { items.append(.raw(b)) }
    private func next() throws -> Item {
        guard position < items.count else { throw Underflow() }
        position += 1
        return items[position - 1]
    }
    func readLength() throws -> UInt64 {
        guard case .length(let v) = try next() else { throw Underflow() }
        return v
    }
    func readString() throws -> Bytes {
        guard case .string(let b) = try next() else { throw Underflow() }
        return b
    }
    func readRaw(_ n: Int) throws -> Bytes {
        guard case .raw(let b) = try next(), b.count == n else { throw Underflow() }
        return b
    }
}
