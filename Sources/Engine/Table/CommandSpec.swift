import RESP

/// Command flags, with Redis's names (COMMAND INFO shows them).
public struct CommandFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let write = CommandFlags(rawValue: 1 << 0)
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    public static let denyoom = CommandFlags(rawValue: 1 << 2)
    public static let admin = CommandFlags(rawValue: 1 << 3)
    public static let pubsub = CommandFlags(rawValue: 1 << 4)
    public static let noscript = CommandFlags(rawValue: 1 << 5)
    public static let blocking = CommandFlags(rawValue: 1 << 6)
    public static let loading = CommandFlags(rawValue: 1 << 7)
    public static let stale = CommandFlags(rawValue: 1 << 8)
    public static let fast = CommandFlags(rawValue: 1 << 9)
    public static let noMulti = CommandFlags(rawValue: 1 << 10)
    public static let noAuth = CommandFlags(rawValue: 1 << 11)
    public static let skipMonitor = CommandFlags(rawValue: 1 << 12)
    public static let skipSlowlog = CommandFlags(rawValue: 1 << 13)
    public static let allowBusy = CommandFlags(rawValue: 1 << 14)
    public static let noMandatoryKeys = CommandFlags(rawValue: 1 << 15)
    public static let allowOOM = CommandFlags(rawValue: 1 << 16)
    public static let sentinel = CommandFlags(rawValue: 1 << 17)
    /// Registered by a module (COMMAND INFO shows `module`).
    public static let module = CommandFlags(rawValue: 1 << 18)
    /// Mnemo's own (COMMAND does not show it): a script command that moves to the engine loop
    /// if it runs long (see `Engine.scriptsMayYield`), so it may start inline on an I/O loop.
    public static let suspendable = CommandFlags(rawValue: 1 << 19)

    static let names: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.module, "module"), (.admin, "admin"),
        (.pubsub, "pubsub"), (.noscript, "noscript"), (.blocking, "blocking"), (.loading, "loading"),
        (.stale, "stale"), (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"),
        (.fast, "fast"), (.noAuth, "no_auth"), (.noMulti, "no_multi"),
        (.noMandatoryKeys, "no_mandatory_keys"), (.allowBusy, "allow_busy"), (.allowOOM, "allow_oom"),
    ]

    public var names: [String] { Self.names.filter { contains($0.0) }.map(\.1) }
}

/// ACL categories (`@read`, `@string`, …).
public struct ACLCategories: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let keyspace = ACLCategories(rawValue: 1 << 0)
    public static let read = ACLCategories(rawValue: 1 << 1)
    public static let write = ACLCategories(rawValue: 1 << 2)
    public static let set = ACLCategories(rawValue: 1 << 3)
    public static let sortedset = ACLCategories(rawValue: 1 << 4)
    public static let list = ACLCategories(rawValue: 1 << 5)
    public static let hash = ACLCategories(rawValue: 1 << 6)
    public static let string = ACLCategories(rawValue: 1 << 7)
    public static let bitmap = ACLCategories(rawValue: 1 << 8)
    public static let hyperloglog = ACLCategories(rawValue: 1 << 9)
    public static let geo = ACLCategories(rawValue: 1 << 10)
    public static let stream = ACLCategories(rawValue: 1 << 11)
    public static let pubsub = ACLCategories(rawValue: 1 << 12)
    public static let admin = ACLCategories(rawValue: 1 << 13)
    public static let fast = ACLCategories(rawValue: 1 << 14)
    public static let slow = ACLCategories(rawValue: 1 << 15)
    public static let blocking = ACLCategories(rawValue: 1 << 16)
    public static let dangerous = ACLCategories(rawValue: 1 << 17)
    public static let connection = ACLCategories(rawValue: 1 << 18)
    public static let transaction = ACLCategories(rawValue: 1 << 19)
    public static let scripting = ACLCategories(rawValue: 1 << 20)

    /// In Redis's order (ACL CAT).
    public static let all: [(ACLCategories, String)] = [
        (.keyspace, "keyspace"), (.read, "read"), (.write, "write"), (.set, "set"),
        (.sortedset, "sortedset"), (.list, "list"), (.hash, "hash"), (.string, "string"),
        (.bitmap, "bitmap"), (.hyperloglog, "hyperloglog"), (.geo, "geo"), (.stream, "stream"),
        (.pubsub, "pubsub"), (.admin, "admin"), (.fast, "fast"), (.slow, "slow"),
        (.blocking, "blocking"), (.dangerous, "dangerous"), (.connection, "connection"),
        (.transaction, "transaction"), (.scripting, "scripting"),
    ]

    public var names: [String] { Self.all.filter { contains($0.0) }.map(\.1) }

    public static func named(_ name: String) -> ACLCategories? {
        all.first { $0.1 == name.lowercased() }?.0
    }
}

/// Where a command's keys are, and what it does with them (Redis 7 key specs).
public struct KeySpec: Sendable {
    public enum BeginSearch: Sendable {
        case index(Int)
        case keyword(String, startFrom: Int)
        /// Keys that cannot be found from the arguments alone (SORT's BY/GET patterns).
        case unknown
    }

    public enum FindKeys: Sendable {
        /// lastKey: -1 = last argument, -2 = one before it…; limit divides the remaining keys.
        case range(lastKey: Int, step: Int, limit: Int)
        /// The argument at keyNumIndex (relative to begin) holds the key count.
        case keynum(keyNumIndex: Int, firstKey: Int, step: Int)
        case unknown
    }

    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let RO = Flags(rawValue: 1 << 0)
        public static let RW = Flags(rawValue: 1 << 1)
        public static let OW = Flags(rawValue: 1 << 2)
        public static let RM = Flags(rawValue: 1 << 3)
        public static let access = Flags(rawValue: 1 << 4)
        public static let update = Flags(rawValue: 1 << 5)
        public static let insert = Flags(rawValue: 1 << 6)
        public static let delete = Flags(rawValue: 1 << 7)
        public static let notKey = Flags(rawValue: 1 << 8)
        public static let incomplete = Flags(rawValue: 1 << 9)
        public static let variableFlags = Flags(rawValue: 1 << 10)

        static let names: [(Flags, String)] = [
            (.RO, "RO"), (.RW, "RW"), (.OW, "OW"), (.RM, "RM"), (.access, "access"),
            (.update, "update"), (.insert, "insert"), (.delete, "delete"), (.notKey, "not_key"),
            (.incomplete, "incomplete"), (.variableFlags, "variable_flags"),
        ]
        public var names: [String] { Self.names.filter { contains($0.0) }.map(\.1) }
    }

    public var begin: BeginSearch
    public var find: FindKeys
    public var flags: Flags
    /// COMMAND INFO's `notes`.
    public var notes: String?

    public init(begin: BeginSearch, find: FindKeys, flags: Flags, notes: String? = nil) {
        self.begin = begin
        self.find = find
        self.flags = flags
        self.notes = notes
    }

    /// Keys named by the command's data rather than its arguments (Redis's `unknown` spec);
    /// marked `incomplete` so ACL knows the other specs do not find every key.
    public static func unknownKeys(_ flags: Flags, notes: String) -> KeySpec {
        KeySpec(begin: .unknown, find: .unknown, flags: flags, notes: notes)
    }

    /// One key at `index`.
    public static func single(_ index: Int, _ flags: Flags) -> KeySpec {
        KeySpec(begin: .index(index), find: .range(lastKey: 0, step: 1, limit: 0), flags: flags)
    }

    /// Keys from `index` to `last` (negative counts from the end) every `step`.
    public static func range(_ index: Int, last: Int, step: Int = 1, _ flags: Flags) -> KeySpec {
        KeySpec(begin: .index(index), find: .range(lastKey: last, step: step, limit: 0), flags: flags)
    }

    /// `numkeys key [key ...]` with the count at `index`.
    public static func keynum(_ index: Int, _ flags: Flags) -> KeySpec {
        KeySpec(begin: .index(index), find: .keynum(keyNumIndex: 0, firstKey: 1, step: 1), flags: flags)
    }

    /// Argument positions of the keys this spec finds in `argv` (argv[0] is the command name).
    public func positions(_ argv: [Bytes]) -> [Int] {
        let argc = argv.count
        var start: Int
        switch begin {
        case .index(let i):
            start = i
        case .keyword(let word, let from):
            start = -1
            if from >= 0 {
                var i = from
                while i < argc {
                    if argv[i].lower == word.lowercased() { start = i + 1; break }
                    i += 1
                }
            } else {
                var i = argc + from
                while i > 0 {
                    if argv[i].lower == word.lowercased() { start = i + 1; break }
                    i -= 1
                }
            }
            if start < 0 { return [] }
        case .unknown:
            return []
        }
        if start >= argc { return [] }
        switch find {
        case .range(let lastKey, let step, let limit):
            var last: Int
            if lastKey >= 0 {
                last = start + lastKey
            } else if limit > 1 {
                last = start + (argc - start) / limit - 1
            } else {
                last = argc + lastKey
            }
            last = min(last, argc - 1)
            if last < start { return [] }
            return Array(stride(from: start, through: last, by: step))
        case .keynum(let numIndex, let firstKey, let step):
            let ni = start + numIndex
            guard ni < argc, let n = Numbers.parseInt(argv[ni]), n > 0 else { return [] }
            let first = start + firstKey
            let last = first + Int(n - 1) * step
            if last >= argc { return [] }
            return Array(stride(from: first, through: last, by: step))
        case .unknown:
            return []
        }
    }
}

public struct CommandDocs: Sendable {
    public var summary: String
    public var since: String
    public var group: String
    public var complexity: String
    /// Redis's usage syntax for the arguments after the name, e.g. `key value [NX | XX]`.
    public var syntax: String

    public init(_ summary: String, since: String, group: String, complexity: String = "O(1)", syntax: String = "") {
        self.summary = summary
        self.since = since
        self.group = group
        self.complexity = complexity
        self.syntax = syntax
    }
}

/// Per-command counters, updated in place on every call.
public final class CommandStatsBox: @unchecked Sendable {
    public var calls: Int64 = 0
    public var nanoseconds: Int64 = 0
    public var microseconds: Int64 { nanoseconds / 1000 }
    public var rejectedCalls: Int64 = 0
    public var failedCalls: Int64 = 0
    /// The spec's number in the command table (ACL command bitmaps index by it); -1 until added.
    public internal(set) var id = -1
    public init() {}
    public func reset() {
        calls = 0
        nanoseconds = 0
        rejectedCalls = 0
        failedCalls = 0
    }
}

/// What a handler runs with: the engine, the client, the arguments, and the effects it logs.
public typealias CommandHandler = (inout CommandContext) throws -> RESPValue

/// One command, declared once beside its handler. Everything else derives from it.
/// Its fields live in one shared box, so the copies the dispatcher passes around cost a single
/// retain (a field-by-field copy retained a dozen references on every command).
public struct CommandSpec: @unchecked Sendable {
    @usableFromInline final class Storage {
        var name: String
        var arity: Int
        var flags: CommandFlags
        var categories: ACLCategories
        var keySpecs: [KeySpec]
        var channels: ChannelSpec?
        var docs: CommandDocs
        var subcommands: [CommandSpec]
        /// `let` (replaced by copying the box): the dispatcher calls it and counts into `stats`
        /// borrowed from the spec, with no reference counting (a `var` is copied out first).
        let handler: CommandHandler?
        var container: String?
        var module: String?
        let stats: CommandStatsBox
        var getKeys: ((_ argv: [Bytes]) -> [(Int, KeySpec)])?
        var mayRunLong: Bool?

        init(name: String, arity: Int, flags: CommandFlags, categories: ACLCategories, keySpecs: [KeySpec],
             channels: ChannelSpec?, docs: CommandDocs, subcommands: [CommandSpec], handler: CommandHandler?,
             container: String?, module: String?, stats: CommandStatsBox,
             getKeys: ((_ argv: [Bytes]) -> [(Int, KeySpec)])?) {
            self.name = name
            self.arity = arity
            self.flags = flags
            self.categories = categories
            self.keySpecs = keySpecs
            self.channels = channels
            self.docs = docs
            self.subcommands = subcommands
            self.handler = handler
            self.container = container
            self.module = module
            self.stats = stats
            self.getKeys = getKeys
        }

        func copy(handler: CommandHandler?? = nil, stats: CommandStatsBox? = nil) -> Storage {
            Storage(name: name, arity: arity, flags: flags, categories: categories, keySpecs: keySpecs,
                    channels: channels, docs: docs, subcommands: subcommands, handler: handler ?? self.handler,
                    container: container, module: module, stats: stats ?? self.stats, getKeys: getKeys)
        }
    }

    @usableFromInline var storage: Storage

    @usableFromInline init(storage: Storage) { self.storage = storage }

    /// The box, copied first if another spec value shares it (value semantics on write).
    private var unique: Storage {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
            return storage
        }
    }

    public var name: String { get { storage.name } set { unique.name = newValue } }
    public var arity: Int { get { storage.arity } set { unique.arity = newValue } }
    public var flags: CommandFlags { get { storage.flags } set { unique.flags = newValue } }
    public var categories: ACLCategories { get { storage.categories } set { unique.categories = newValue } }
    public var keySpecs: [KeySpec] { get { storage.keySpecs } set { unique.keySpecs = newValue } }
    /// Channel arguments of pub/sub commands (for ACL), if any.
    public var channels: ChannelSpec? { get { storage.channels } set { unique.channels = newValue } }
    public var docs: CommandDocs { get { storage.docs } set { unique.docs = newValue } }
    public var subcommands: [CommandSpec] { get { storage.subcommands } set { unique.subcommands = newValue } }
    public var handler: CommandHandler? { get { storage.handler } set { storage = storage.copy(handler: .some(newValue)) } }
    /// Set for subcommands: the container's name.
    public var container: String? { get { storage.container } set { unique.container = newValue } }
    /// The module that registered it, if any.
    public var module: String? { get { storage.module } set { unique.module = newValue } }
    /// Its INFO commandstats counters (shared by every copy of the spec).
    public var stats: CommandStatsBox { get { storage.stats } set { storage = storage.copy(stats: newValue) } }
    /// Finds the keys when the key specs cannot (Redis's getkeys_proc, e.g. SORT's STORE): used
    /// instead of the specs by `keyPositions`, so ACL, GETKEYS and WATCH see every key.
    public var getKeys: ((_ argv: [Bytes]) -> [(Int, KeySpec)])? { get { storage.getKeys } set { unique.getKeys = newValue } }
    /// The spec's number in the command table (see `CommandStatsBox.id`).
    @inline(__always) public var id: Int { storage.stats.id }

    public init(
        _ name: String, arity: Int, flags: CommandFlags = [], acl: ACLCategories = [],
        keys: [KeySpec] = [], docs: CommandDocs, subcommands: [CommandSpec] = [],
        handler: CommandHandler? = nil
    ) {
        let lower = name.lowercased()
        storage = Storage(
            name: lower, arity: arity, flags: flags, categories: acl, keySpecs: keys, channels: nil, docs: docs,
            subcommands: subcommands.map {
                var s = $0
                s.container = lower
                return s
            },
            handler: handler, container: nil, module: nil, stats: CommandStatsBox(), getKeys: nil)
    }

    /// Whether the command (or any of its subcommands) can hold the engine for long: scripting
    /// commands (a busy script must leave the I/O loops free to answer -BUSY and accept
    /// SCRIPT KILL) except those that are `suspendable` (EVAL, FCALL…: they move to the engine
    /// loop themselves once they run long), module commands, EXEC (it may run queued scripts)
    /// and admin commands. Such commands always run on the engine loop, never inline on an I/O loop.
    public var mayRunLong: Bool {
        if let known = storage.mayRunLong { return known }
        let long = (categories.contains(.scripting) && !flags.contains(.suspendable)) || flags.contains(.admin)
            || module != nil || name == "exec"
            || subcommands.contains { $0.mayRunLong }
        storage.mayRunLong = long
        return long
    }

    /// `container|sub` for subcommands, else the name.
    public var fullName: String { container.map { "\($0)|\(name)" } ?? name }

    /// The declared categories plus the ones Redis implies from the flags.
    public var aclCategories: ACLCategories {
        // As Redis 7.0: a module command is in the categories it declares only (and @all).
        if module != nil { return categories }
        var c = categories
        if flags.contains(.write) { c.insert(.write) }
        if flags.contains(.readonly) && !c.contains(.scripting) { c.insert(.read) }
        if flags.contains(.admin) { c.formUnion([.admin, .dangerous]) }
        if flags.contains(.pubsub) { c.insert(.pubsub) }
        if flags.contains(.fast) { c.insert(.fast) }
        if flags.contains(.blocking) { c.insert(.blocking) }
        if !c.contains(.fast) { c.insert(.slow) }
        return c
    }

    /// Positions of every key in `argv`, with the spec that found it.
    public func keyPositions(_ argv: [Bytes]) -> [(Int, KeySpec)] {
        if let getKeys { return getKeys(argv) }
        var out: [(Int, KeySpec)] = []
        for spec in keySpecs where !spec.flags.contains(.notKey) {
            for p in spec.positions(argv) { out.append((p, spec)) }
        }
        return out
    }

    public func keys(_ argv: [Bytes]) -> [Bytes] { keyPositions(argv).map { argv[$0.0] } }

    /// Legacy (first, last, step) triple for COMMAND INFO, derived from the key specs.
    public var legacyKeyRange: (Int, Int, Int) {
        guard let first = keySpecs.first, case .index(let begin) = first.begin else { return (0, 0, 0) }
        var lastPos = begin
        var step = 1
        for spec in keySpecs {
            guard case .index(let b) = spec.begin else { return (0, 0, 0) }
            switch spec.find {
            case .range(let lastKey, let s, _):
                step = s
                if lastKey < 0 { lastPos = lastKey } else if lastPos >= 0 { lastPos = max(lastPos, b + lastKey) }
            case .keynum, .unknown:
                return (0, 0, 0)
            }
        }
        return (begin, lastPos, step)
    }
}
