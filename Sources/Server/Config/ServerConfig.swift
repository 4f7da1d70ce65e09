import Engine
import RESP
typealias RESPInline = InlineSplitter

/// An invalid configuration value; `message` is Redis's wording where one exists.
public struct ConfigError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One configuration directive: its name, how its value is parsed and shown, whether CONFIG SET
/// may change it at runtime, and what applying it does.
public struct ConfigDirective {
    public enum Kind {
        case bool
        case int(ClosedRange<Int64>)
        case memory
        case string
        case enumeration([String])
        /// Validates and normalizes the raw arguments into the stored text.
        case custom(([String]) throws -> String)
    }

    public let name: String
    public let kind: Kind
    public let mutable: Bool
    public let defaultValue: String

    public init(_ name: String, _ kind: Kind, default defaultValue: String, mutable: Bool = true) {
        self.name = name
        self.kind = kind
        self.mutable = mutable
        self.defaultValue = defaultValue
    }

    /// Parses raw arguments into the canonical text shown by CONFIG GET.
    public func normalize(_ args: [String]) throws -> String {
        switch kind {
        case .bool:
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            switch args[0].lowercased() {
            case "yes": return "yes"
            case "no": return "no"
            default: throw ConfigError("argument must be 'yes' or 'no'")
            }
        case .int(let range):
            guard args.count == 1, let v = Int64(args[0]) else { throw ConfigError("argument couldn't be parsed into an integer") }
            guard range.contains(v) else {
                throw ConfigError("argument must be between \(range.lowerBound) and \(range.upperBound) inclusive")
            }
            return String(v)
        case .memory:
            guard args.count == 1, let v = ConfigDirective.parseMemory(args[0]) else {
                throw ConfigError("argument must be a memory value")
            }
            return String(v)
        case .string:
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            return args[0]
        case .enumeration(let options):
            guard args.count == 1, options.contains(args[0].lowercased()) else {
                throw ConfigError("argument(s) must be one of the following: \(options.joined(separator: ", "))")
            }
            return args[0].lowercased()
        case .custom(let parse):
            return try parse(args)
        }
    }

    /// `1gb`, `100mb`, `64k`, plain bytes.
    public static func parseMemory(_ s: String) -> Int64? {
        let l = s.lowercased()
        let units: [(String, Int64)] = [
            ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 1_000_000_000), ("m", 1_000_000),
            ("k", 1000), ("b", 1),
        ]
        for (suffix, mult) in units where l.hasSuffix(suffix) {
            guard let n = Int64(l.dropLast(suffix.count)), n >= 0 else { return nil }
            return n * mult
        }
        return Int64(l).flatMap { $0 >= 0 ? $0 : nil }
    }
}

/// The server's configuration: directive values by name, loaded from a file and the command
/// line exactly like redis-server, and changed at runtime by CONFIG SET.
public final class ServerConfig {
    public private(set) var directives: [String: ConfigDirective] = [:]
    public private(set) var values: [String: String] = [:]
    /// The `loadmodule` directives: path then the module's arguments.
    public private(set) var moduleLoads: [[String]] = []
    private var order: [String] = []
    /// Called after values change (CONFIG SET), with the names that changed; throws to refuse.
    public var onChange: (([String]) throws -> Void)?

    public init() {
        for d in ServerConfig.standardDirectives + PersistenceController.directives { register(d) }
        for d in MnemoServer.pubsubDirectives(self) { register(d) }
        for d in MnemoServer.aclDirectives { register(d) }
        for d in MnemoServer.moduleDirectives { register(d) }
        for d in MnemoServer.monitoringDirectives { register(d) }
    }

    public func register(_ d: ConfigDirective) {
        if directives[d.name] == nil { order.append(d.name) }
        directives[d.name] = d
        values[d.name] = d.defaultValue
    }

    public subscript(_ name: String) -> String { values[name] ?? "" }
    public func int(_ name: String) -> Int { Int(values[name] ?? "") ?? 0 }
    public func bool(_ name: String) -> Bool { values[name] == "yes" }

    /// Sets at load time (no mutability check).
    public func load(_ name: String, _ args: [String]) throws {
        let key = ServerConfig.canonicalName(name)
        // `loadmodule path [args…]` may repeat: each one is kept, in order (not a CONFIG parameter).
        if key == "loadmodule" {
            guard !args.isEmpty else { throw ConfigError("wrong number of arguments") }
            moduleLoads.append(args)
            return
        }
        guard let d = directives[key] else { throw ConfigError("Bad directive or wrong number of arguments") }
        values[key] = try d.normalize(args)
    }

    static func canonicalName(_ name: String) -> String {
        let n = name.lowercased()
        let aliases = ["slaveof": "replicaof", "hash-max-ziplist-entries": "hash-max-listpack-entries",
                       "hash-max-ziplist-value": "hash-max-listpack-value", "lua-time-limit": "busy-reply-threshold",
                       "zset-max-ziplist-entries": "zset-max-listpack-entries", "zset-max-ziplist-value": "zset-max-listpack-value",
                       "list-max-ziplist-size": "list-max-listpack-size"]
        return aliases[n] ?? n
    }

    /// CONFIG SET with several pairs: all validated first, then applied together; if applying
    /// fails, every value is restored.
    public func set(_ pairs: [(String, String)]) throws {
        var parsed: [(String, String)] = []
        var seen = Set<String>()
        for (name, raw) in pairs {
            let key = ServerConfig.canonicalName(name)
            guard let d = directives[key] else {
                throw ConfigError("Unknown option or number of arguments for CONFIG SET - '\(name)'")
            }
            guard seen.insert(key).inserted else {
                throw ConfigError("CONFIG SET failed (possibly related to argument '\(name)') - duplicate parameter")
            }
            guard d.mutable else {
                throw ConfigError("CONFIG SET failed (possibly related to argument '\(name)') - can't set immutable config")
            }
            do {
                let args: [String]
                if case .custom = d.kind { args = ServerConfig.splitArgs(raw) } else { args = [raw] }
                parsed.append((key, try d.normalize(args)))
            } catch let e as ConfigError {
                throw ConfigError("CONFIG SET failed (possibly related to argument '\(name)') - \(e.message)")
            }
        }
        let previous = values
        for (k, v) in parsed { values[k] = v }
        do {
            try onChange?(parsed.map(\.0))
        } catch let e as ConfigError {
            values = previous
            try? onChange?(parsed.map(\.0))
            throw ConfigError("CONFIG SET failed (possibly related to argument '\(parsed.first?.0 ?? "")') - \(e.message)")
        }
    }

    /// CONFIG GET: every directive matching any of the glob patterns, in declaration order.
    public func get(_ patterns: [Bytes]) -> [(String, String)] {
        var out: [(String, String)] = []
        for name in order {
            let n = Bytes(name)
            if patterns.contains(where: { Glob.match($0, n, nocase: true) }) {
                out.append((name, values[name] ?? ""))
            }
        }
        return out
    }

    static func splitArgs(_ s: String) -> [String] {
        s.split(whereSeparator: { $0 == " " }).map(String.init)
    }

    /// Parses a redis.conf-style text: one directive per line, `#` comments, quoted arguments.
    public func load(text: String, file: String) throws {
        var lineNo = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let words = InlineWords.split(line), let first = words.first else {
                throw ConfigError("*** FATAL CONFIG FILE ERROR (Mnemo) ***\nReading the configuration file \(file), at line \(lineNo)\n>>> '\(line)'\nUnbalanced quotes in configuration line")
            }
            do {
                try load(first, Array(words.dropFirst()))
            } catch let e as ConfigError {
                throw ConfigError("*** FATAL CONFIG FILE ERROR (Mnemo) ***\nReading the configuration file \(file), at line \(lineNo)\n>>> '\(line)'\n\(e.message)")
            }
        }
    }

    /// The directives every Mnemo server has. Later families register theirs.
    static let standardDirectives: [ConfigDirective] = [
        ConfigDirective("bind", .custom({ args in
            guard !args.isEmpty else { throw ConfigError("wrong number of arguments") }
            return args.joined(separator: " ")
        }), default: "127.0.0.1 -::1", mutable: false),
        ConfigDirective("port", .int(0...65535), default: "6379", mutable: false),
        ConfigDirective("unixsocket", .string, default: "", mutable: false),
        ConfigDirective("unixsocketperm", .int(0...0o777), default: "0", mutable: false),
        ConfigDirective("tls-port", .int(0...65535), default: "0", mutable: false),
        ConfigDirective("tls-cert-file", .string, default: "", mutable: false),
        ConfigDirective("tls-key-file", .string, default: "", mutable: false),
        ConfigDirective("tls-ca-cert-file", .string, default: "", mutable: false),
        ConfigDirective("tls-auth-clients", .enumeration(["yes", "no", "optional"]), default: "yes", mutable: false),
        ConfigDirective("maxclients", .int(1...1_000_000), default: "10000"),
        ConfigDirective("timeout", .int(0...Int64(Int32.max)), default: "0"),
        ConfigDirective("tcp-keepalive", .int(0...Int64(Int32.max)), default: "300"),
        ConfigDirective("tcp-backlog", .int(0...65535), default: "511", mutable: false),
        ConfigDirective("databases", .int(1...Int64(Int32.max)), default: "16", mutable: false),
        ConfigDirective("loglevel", .enumeration(["debug", "verbose", "notice", "warning", "nothing"]), default: "notice"),
        ConfigDirective("logfile", .string, default: "", mutable: false),
        ConfigDirective("daemonize", .bool, default: "no", mutable: false),
        ConfigDirective("pidfile", .string, default: "", mutable: false),
        ConfigDirective("dir", .string, default: ".", mutable: false),
        ConfigDirective("dbfilename", .string, default: "dump.rdb"),
        ConfigDirective("appendonly", .bool, default: "yes"),
        ConfigDirective("appendfilename", .string, default: "appendonly.aof", mutable: false),
        ConfigDirective("appenddirname", .string, default: "appendonlydir", mutable: false),
        ConfigDirective("appendfsync", .enumeration(["always", "everysec", "no"]), default: "always"),
        ConfigDirective("save", .custom({ args in
            // `save ""` disables; otherwise pairs of <seconds> <changes>.
            let words = args.flatMap { $0.split(separator: " ").map(String.init) }
            if words.isEmpty || (words.count == 1 && words[0].isEmpty) { return "" }
            guard words.count % 2 == 0, words.allSatisfy({ Int64($0).map { $0 >= 0 } ?? false }) else {
                throw ConfigError("Invalid save parameters")
            }
            return words.joined(separator: " ")
        }), default: "3600 1 300 100 60 10000"),
        ConfigDirective("proto-max-bulk-len", .memory, default: "536870912"),
        ConfigDirective("client-query-buffer-limit", .memory, default: "1073741824"),
        ConfigDirective("hz", .int(1...500), default: "10"),
        ConfigDirective("active-expire-effort", .int(1...10), default: "1"),
        ConfigDirective("maxmemory", .memory, default: "0"),
        ConfigDirective("maxmemory-policy", .enumeration([
            "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu",
            "allkeys-random", "noeviction",
        ]), default: "noeviction"),
        ConfigDirective("protected-mode", .bool, default: "yes"),
        ConfigDirective("io-threads", .int(0...128), default: "0", mutable: false),
        ConfigDirective("busy-reply-threshold", .int(0...Int64.max), default: "5000"),
        // Mnemo's: a Lua VM's heap budget (bytes, 0 = none); a script going past it gets an error.
        ConfigDirective("lua-heap-limit", .memory, default: "1073741824"),
        ConfigDirective("slowlog-log-slower-than", .int(-1...Int64.max), default: "10000"),
        ConfigDirective("slowlog-max-len", .int(0...Int64(Int32.max)), default: "128"),
        ConfigDirective("lazyfree-lazy-user-flush", .bool, default: "no"),
        ConfigDirective("replica-read-only", .bool, default: "yes"),
        ConfigDirective("enable-debug-command", .enumeration(["yes", "no", "local"]), default: "yes", mutable: false),
    ]
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// Config-file line splitting (same quoting rules as inline requests).
enum InlineWords {
    static func split(_ line: String) -> [String]? {
        guard let parts = RESPInline.split(Array(line.utf8)) else { return nil }
        return parts.map { String(decoding: $0, as: UTF8.self) }
    }
}
