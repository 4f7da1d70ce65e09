import Engine

/// `notify-keyspace-events`: which classes of events are published, and on which channels
/// (K = `__keyspace@<db>__:<key>`, E = `__keyevent@<db>__:<event>`).
public struct NotifyFlags: OptionSet, Sendable, Equatable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let generic = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.generic.rawValue))
    public static let string = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.string.rawValue))
    public static let list = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.list.rawValue))
    public static let set = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.set.rawValue))
    public static let hash = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.hash.rawValue))
    public static let zset = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.zset.rawValue))
    public static let expired = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.expired.rawValue))
    public static let evicted = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.evicted.rawValue))
    public static let stream = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.stream.rawValue))
    public static let keyMiss = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.keyMiss.rawValue))
    public static let new = NotifyFlags(rawValue: UInt32(KeyspaceEventClass.new.rawValue))
    public static let module = NotifyFlags(rawValue: 1 << 16)
    public static let keyspace = NotifyFlags(rawValue: 1 << 17)
    public static let keyevent = NotifyFlags(rawValue: 1 << 18)
    /// `A`: every class except key-miss and new (Redis's NOTIFY_ALL).
    public static let all: NotifyFlags = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted, .stream, .module]

    private static let letters: [(Character, NotifyFlags)] = [
        ("g", .generic), ("$", .string), ("l", .list), ("s", .set), ("h", .hash), ("z", .zset),
        ("x", .expired), ("e", .evicted), ("t", .stream), ("d", .module), ("n", .new),
    ]

    /// Redis's `keyspaceEventsStringToFlags`; nil for an unknown character.
    public init?(parsing text: String) {
        var f: NotifyFlags = []
        for c in text {
            switch c {
            case "A": f.formUnion(.all)
            case "K": f.insert(.keyspace)
            case "E": f.insert(.keyevent)
            case "m": f.insert(.keyMiss)
            default:
                guard let l = NotifyFlags.letters.first(where: { $0.0 == c }) else { return nil }
                f.formUnion(l.1)
            }
        }
        self = f
    }

    /// Redis's `keyspaceEventsFlagsToString`: the canonical text CONFIG GET shows.
    public var text: String {
        var s = ""
        if isSuperset(of: .all) {
            s = "A"
        } else {
            for (c, f) in NotifyFlags.letters where contains(f) { s.append(c) }
        }
        if contains(.keyspace) { s += "K" }
        if contains(.keyevent) { s += "E" }
        if contains(.keyMiss) { s += "m" }
        return s
    }

    /// The event classes published at all (none without K or E).
    public var publishedClasses: KeyspaceEventClass {
        guard rawValue & (NotifyFlags.keyspace.rawValue | NotifyFlags.keyevent.rawValue) != 0 else { return [] }
        return KeyspaceEventClass(rawValue: UInt16(truncatingIfNeeded: rawValue) & 0x7FF)
    }

    /// Whether an event of `cls` is published at all.
    @inline(__always) public func publishes(_ cls: KeyspaceEventClass) -> Bool {
        rawValue & UInt32(cls.rawValue) != 0 && rawValue & (NotifyFlags.keyspace.rawValue | NotifyFlags.keyevent.rawValue) != 0
    }
}

/// The channel names of a keyspace event.
enum KeyspaceChannels {
    static func keyspace(db: Int, key: Bytes) -> Bytes { Bytes("__keyspace@\(db)__:") + key }
    static func keyevent(db: Int, event: String) -> Bytes { Bytes("__keyevent@\(db)__:\(event)") }
}
