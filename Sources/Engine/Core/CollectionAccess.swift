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
        let db = client.db
        return try withEngine { try $0.mutate(db: db, key, as: type, create: create, body) }
    }
}

extension Engine {
    /// The one in-place collection mutation (commands and module keys both use it): type check,
    /// copy-free access, deletion of an emptied collection, change signalling.
    /// An existing key costs one hash-table probe: expiry, type check and the change happen on
    /// the entry where it lies.
    @discardableResult
    public func mutate<T: CollectionValue, R>(
        db: Int, _ key: Bytes, as: T.Type, create: Bool, _ body: (inout T) throws -> (result: R, changed: Bool)
    ) throws -> R? {
        let hash = Database.hash(key)
        let slot = databases[db].slot(of: key, hash: hash)
        if slot >= 0 {
            if isDue(databases[db][hash: hash, slot: slot].expireAt) {
                expire(db, key)
            } else {
                // Changed where it lies, with no closure: closures capturing the key and the
                // engine cost six retains and releases per LPUSH. `body` never touches the keyspace.
                guard var c = databases[db][hash: hash, slot: slot].value.take(T.self) else { throw RedisError.wrongType }
                let outcome: (result: R, changed: Bool)
                do {
                    outcome = try body(&c)
                } catch {
                    databases[db][hash: hash, slot: slot].value = c.wrapped
                    throw error
                }
                let nowEmpty = c.isEmpty
                databases[db][hash: hash, slot: slot].value = c.wrapped
                if nowEmpty {
                    databases[db].remove(key)
                    notify(.generic, "del", db: db, key: key)
                }
                if outcome.changed || nowEmpty { keyChanged(db, key) }
                return outcome.result
            }
        }
        guard create else { return nil }
        // A new collection enters the keyspace only if the body leaves something in it.
        var c = T.empty
        let made = try body(&c)
        if !c.isEmpty {
            databases[db].set(key, Entry(value: c.wrapped, lastAccess: commandTime), hash: hash)
            keyChanged(db, key)
        }
        return made.result
    }
}
