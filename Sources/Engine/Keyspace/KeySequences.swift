/// A sequence number per (database, key), hashed like the keyspace: the durability layer's
/// record of which keys have a write that may not be durable yet. It lives in this module so
/// its tables are specialized here (generic tables used from another module are not).
public struct KeySequences {
    private var tables: [HashTable<UInt64>] = []
    public private(set) var count = 0
    public var isEmpty: Bool { count == 0 }

    public init() {}

    public mutating func mark(_ db: Int, _ key: Bytes, _ sequence: UInt64) {
        while tables.count <= db { tables.append(HashTable()) }
        if tables[db].set(key, sequence) == nil { count += 1 }
    }

    public func sequence(_ db: Int, _ key: Bytes) -> UInt64? { db < tables.count ? tables[db].get(key) : nil }

    /// Keeps only the keys whose sequence is above `committed`.
    public mutating func drop(through committed: UInt64) {
        var kept = KeySequences()
        for (db, table) in tables.enumerated() {
            table.forEach { key, s in if s > committed { kept.mark(db, key, s) } }
        }
        self = kept
    }
}
