/// Reading and changing collection values in place: the one mechanism every collection
/// family uses, so type checks, copy-free mutation, empty-key removal and change signalling
/// are the same everywhere.
extension CommandContext {
    /// The collection at `key` for reading (counts a keyspace hit/miss); WRONGTYPE if it is
    /// another type.
    public func read<T: CollectionValue>(_ key: Bytes, as: T.Type) throws -> T? {
        guard let e = lookupRead(key) else { return nil }
        guard let v = T.extract(e.value) else { throw RedisError.wrongType }
        return v
    }

    /// Mutates the collection at `key` in place (no copy when uniquely held). With `create`,
    /// a missing key starts as an empty collection. A collection left empty is deleted, as
    /// in Redis. Signals the change when `body` reports one (returns true in `changed`).
    @discardableResult
    public func mutate<T: CollectionValue, R>(
        _ key: Bytes, as type: T.Type, create: Bool, _ body: (inout T) throws -> (result: R, changed: Bool)
    ) throws -> R? {
        try engine.mutate(db: client.db, key, as: type, create: create, body)
    }
}

extension Engine {
    /// The one in-place collection mutation (commands and module keys both use it): type check,
    /// copy-free access, deletion of an emptied collection, change signalling.
    @discardableResult
    public func mutate<T: CollectionValue, R>(
        db: Int, _ key: Bytes, as: T.Type, create: Bool, _ body: (inout T) throws -> (result: R, changed: Bool)
    ) throws -> R? {
        if let e = lookup(db, key) {
            guard T.extract(e.value) != nil else { throw RedisError.wrongType }
        } else {
            guard create else { return nil }
            databases[db].set(key, Entry(value: T.empty.wrapped, lastAccess: commandTime))
        }
        var thrown: Error?
        var outcome: (result: R, changed: Bool)?
        var nowEmpty = false
        databases[db].updateValue(key) { v in
            var c = T.extract(v)!
            v = Value.placeholder  // drop the entry's reference so `c` is unique
            do { outcome = try body(&c) } catch { thrown = error }
            nowEmpty = c.isEmpty
            v = c.wrapped
        }
        if nowEmpty {
            databases[db].remove(key)
            notify(.generic, "del", db: db, key: key)
        }
        if let thrown { throw thrown }
        if outcome!.changed || nowEmpty { keyChanged(db, key) }
        return outcome!.result
    }
}
