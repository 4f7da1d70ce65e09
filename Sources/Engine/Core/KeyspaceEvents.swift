/// Keyspace notification classes (`notify-keyspace-events` letters).
public struct KeyspaceEventClass: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let generic = KeyspaceEventClass(rawValue: 1 << 0)  // g
    public static let string = KeyspaceEventClass(rawValue: 1 << 1)  // $
    public static let list = KeyspaceEventClass(rawValue: 1 << 2)  // l
    public static let set = KeyspaceEventClass(rawValue: 1 << 3)  // s
    public static let hash = KeyspaceEventClass(rawValue: 1 << 4)  // h
    public static let zset = KeyspaceEventClass(rawValue: 1 << 5)  // z
    public static let expired = KeyspaceEventClass(rawValue: 1 << 6)  // x
    public static let evicted = KeyspaceEventClass(rawValue: 1 << 7)  // e
    public static let stream = KeyspaceEventClass(rawValue: 1 << 8)  // t
    public static let keyMiss = KeyspaceEventClass(rawValue: 1 << 9)  // m
    public static let new = KeyspaceEventClass(rawValue: 1 << 10)  // n
}

extension Engine {
    /// Reports a keyspace event (Redis's `notifyKeyspaceEvent`); the pub/sub family delivers
    /// them to subscribers when `notify-keyspace-events` enables the class.
    @inline(__always) public func notify(_ cls: KeyspaceEventClass, _ event: String, db: Int, key: Bytes) {
        if keyspaceEventClasses.rawValue & cls.rawValue != 0 { onKeyspaceEvent?(cls, event, db, key) }
    }
}

extension CommandContext {
    /// Reports a keyspace event for `key` in the client's database.
    @inline(__always) public func notify(_ cls: KeyspaceEventClass, _ event: String, _ key: Bytes) {
        let db = client.db
        withEngine { $0.notify(cls, event, db: db, key: key) }
    }
}
