import Engine

/// A key pattern with its permissions (`~p` = read+write, `%R~p`, `%W~p`).
public struct ACLKeyPattern: Equatable, Sendable {
    public var pattern: Bytes
    public var read: Bool
    public var write: Bool
}

/// One set of permissions: the user's root rules, or one `(...)` selector. A command is allowed
/// when any selector of the user allows it (command, keys and channels together).
public struct ACLSelector: Sendable {
    /// Allowed commands, one bit per command-table id.
    var bits: [UInt64] = []
    /// Redis's reserved bit: set by +@all, so commands added later are allowed too.
    var futureCommands = false
    /// Every command allowed (set by +@all, cleared by any removal): skips the bitmap.
    var allCommands = false
    /// `+cmd|firstarg` for commands without subcommands (SELECT|0…), by command id.
    var firstArgs: [Int: [Bytes]] = [:]
    public internal(set) var keys: [ACLKeyPattern] = []
    public internal(set) var allKeys = false
    public internal(set) var channels: [Bytes] = []
    public internal(set) var allChannels = false

    init() {}

    @inline(__always) func allows(_ id: Int) -> Bool {
        let word = id >> 6
        if id < 0 || word >= bits.count { return futureCommands }
        return bits[word] & (1 << UInt64(id & 63)) != 0
    }

    mutating func set(_ id: Int, _ value: Bool, universeSize: Int) {
        guard id >= 0 else { return }
        let need = max(id, universeSize - 1) / 64 + 1
        if bits.count < need { bits += [UInt64](repeating: futureCommands ? ~0 : 0, count: need - bits.count) }
        if value { bits[id >> 6] |= 1 << UInt64(id & 63) } else {
            bits[id >> 6] &= ~(1 << UInt64(id & 63))
            allCommands = false
        }
    }

    mutating func setAll(_ value: Bool) {
        for i in bits.indices { bits[i] = value ? ~0 : 0 }
        futureCommands = value
        allCommands = value
        firstArgs = [:]
    }

    /// Permissions of a key access, as Redis derives them from key-spec flags.
    @inline(__always) func keyAllowed(_ key: Bytes, read: Bool, write: Bool) -> Bool {
        if allKeys { return true }
        for p in keys {
            if read && !p.read { continue }
            if write && !p.write { continue }
            if Glob.match(p.pattern, key) { return true }
        }
        return false
    }

    /// A channel, or a pattern subscription (which needs a literal match of the pattern).
    @inline(__always) func channelAllowed(_ channel: Bytes, isPattern: Bool) -> Bool {
        if allChannels { return true }
        for p in channels {
            if isPattern ? p == channel : Glob.match(p, channel) { return true }
        }
        return false
    }

    /// Unrestricted read access to every key (SORT BY/GET): a `*` pattern with read permission.
    var hasUnrestrictedReadAccess: Bool {
        allKeys || keys.contains { $0.read && $0.pattern == [UInt8(ascii: "*")] }
    }
}

/// A user: name, on/off, passwords (SHA-256 hashes), and its selectors (root first).
public final class ACLUser {
    public let name: String
    public internal(set) var enabled = false
    public internal(set) var nopass = false
    /// nil = neither flag shown; true = sanitize-payload, false = skip-sanitize-payload.
    public internal(set) var sanitizePayload: Bool?
    /// Lowercase hex SHA-256 of each password, in the order they were added.
    public internal(set) var passwords: [String] = []
    public internal(set) var root = ACLSelector()
    public internal(set) var selectors: [ACLSelector] = []
    /// Root allows every command, key and channel: checks are skipped.
    public internal(set) var unrestricted = false
    /// Bumped on every change (clients re-check subscriptions, scripts' caches…).
    public internal(set) var version = 0

    public init(name: String) { self.name = name }

    /// Copies another user's rules (ACL SETUSER applies rules to a copy, then commits it).
    func copyRules(from other: ACLUser) {
        enabled = other.enabled
        nopass = other.nopass
        sanitizePayload = other.sanitizePayload
        passwords = other.passwords
        root = other.root
        selectors = other.selectors
        refresh()
    }

    func clone() -> ACLUser {
        let u = ACLUser(name: name)
        u.copyRules(from: self)
        return u
    }

    func refresh() {
        unrestricted = root.allCommands && root.allKeys && root.allChannels
        version &+= 1
    }

    /// Whether `password` is one of the user's (constant time per stored hash).
    public func checkPassword(_ password: Bytes) -> Bool {
        if nopass { return true }
        let h = Array(SHA256.hex(password).utf8)
        var found = false
        for p in passwords where SHA256.constantTimeEqual(Array(p.utf8), h) { found = true }
        return found
    }
}
