import Engine
import RESP

/// Why a command or an authentication was refused (Redis's ACL_DENIED_* order matters:
/// with several selectors the highest reason is reported).
public enum ACLDenial: Int, Comparable, Sendable {
    case command = 1
    case key = 2
    case auth = 3
    case channel = 4

    public static func < (a: ACLDenial, b: ACLDenial) -> Bool { a.rawValue < b.rawValue }

    var name: String {
        switch self {
        case .command: return "command"
        case .key: return "key"
        case .auth: return "auth"
        case .channel: return "channel"
        }
    }
}

/// ACL LOG: the most recent refusals, similar ones grouped (Redis's rules: same reason,
/// context, object and user within 60 s among the 10 newest entries).
public struct ACLLog {
    public struct Entry {
        public var count: Int
        public var reason: ACLDenial
        public var context: ExecutionContext
        public var object: String
        public var username: String
        public var created: Int64
        public var clientInfo: String
        /// Identity and first-seen time of the entry (Redis 7.2's entry-id / timestamp-created).
        public var entryID: Int64 = 0
        public var firstCreated: Int64 = 0
    }

    public private(set) var entries: [Entry] = []  // newest first
    public var maxLength = 128
    private var nextEntryID: Int64 = 0

    public mutating func add(_ e: Entry) {
        for i in entries.indices.prefix(10) {
            let cur = entries[i]
            if cur.reason == e.reason && cur.context == e.context && e.created - cur.created <= 60_000
                && cur.object == e.object && cur.username == e.username
            {
                var m = entries.remove(at: i)
                m.count += 1
                m.created = e.created
                m.clientInfo = e.clientInfo
                entries.insert(m, at: 0)
                return
            }
        }
        var new = e
        new.entryID = nextEntryID
        new.firstCreated = e.created
        nextEntryID += 1
        entries.insert(new, at: 0)
        trim()
    }

    public mutating func trim() {
        if entries.count > maxLength { entries.removeLast(entries.count - maxLength) }
    }

    public mutating func reset() { entries = [] }

    static func contextName(_ c: ExecutionContext) -> String {
        switch c {
        case .toplevel: return "toplevel"
        case .multi: return "multi"
        case .lua: return "lua"
        }
    }

    func reply(count: Int, now: Int64) -> RESPValue {
        .array(entries.prefix(count).map { e in
            .map([
                (.bulk("count"), .integer(Int64(e.count))),
                (.bulk("reason"), .bulk(e.reason.name)),
                (.bulk("context"), .bulk(ACLLog.contextName(e.context))),
                (.bulk("object"), .bulk(e.object)),
                (.bulk("username"), .bulk(e.username)),
                (.bulk("age-seconds"), .double(Double(now - e.created) / 1000)),
                (.bulk("client-info"), .bulk(e.clientInfo)),
                (.bulk("entry-id"), .integer(e.entryID)),
                (.bulk("timestamp-created"), .integer(e.firstCreated)),
                (.bulk("timestamp-last-updated"), .integer(e.created)),
            ])
        })
    }
}
