import Engine
import RESP

/// Script flags (`#!lua flags=…` for EVAL, `flags={…}` for register_function), in Redis's order.
public struct ScriptFlags: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let noWrites = ScriptFlags(rawValue: 1 << 0)
    public static let allowOOM = ScriptFlags(rawValue: 1 << 1)
    public static let allowStale = ScriptFlags(rawValue: 1 << 2)
    public static let noCluster = ScriptFlags(rawValue: 1 << 3)
    public static let allowCrossSlotKeys = ScriptFlags(rawValue: 1 << 4)

    static let all: [(ScriptFlags, String)] = [
        (.noWrites, "no-writes"), (.allowOOM, "allow-oom"), (.allowStale, "allow-stale"),
        (.noCluster, "no-cluster"), (.allowCrossSlotKeys, "allow-cross-slot-keys"),
    ]

    static func named(_ s: String) -> ScriptFlags? { all.first { $0.1 == s }?.0 }
    var names: [String] { ScriptFlags.all.filter { contains($0.0) }.map(\.1) }
}

/// A function registered by a library: its callback lives in the Lua registry.
struct ScriptFunction {
    var name: String
    var ref: Int32
    var flags: ScriptFlags
    var description: Bytes?
}

/// What FUNCTION LOAD collects while the library's code runs.
final class LibraryBuilder {
    let name: String
    var functions: [ScriptFunction] = []
    let startMicros = Engine.monotonicMicros()
    init(name: String) { self.name = name }
}

/// A loaded library: its code (what snapshots and FUNCTION DUMP carry) and its functions.
struct FunctionLibrary {
    var name: String
    var code: Bytes
    var functions: [ScriptFunction]

    /// Letters, digits and underscores, at least one.
    static func isValidName(_ b: Bytes) -> Bool {
        !b.isEmpty && b.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 }
    }

    /// The `#!<engine> name=<lib>` first line; `body` is the code with that line blanked, so
    /// line numbers in errors match the code as given.
    struct Metadata {
        var engine: String
        var name: String
        var body: Bytes
    }

    static func parseMetadata(_ code: Bytes) throws -> Metadata {
        guard code.starts(with: [35, 33]) else { throw RedisError("Missing library metadata") }
        guard let eol = code.firstIndex(of: 10) else { throw RedisError("Invalid library metadata") }
        let parts = code[2..<eol].split(whereSeparator: { $0 == 32 || $0 == 9 || $0 == 13 }).map { Bytes($0) }
        guard let engine = parts.first else { throw RedisError("Invalid library metadata") }
        var name: Bytes?
        for part in parts.dropFirst() {
            if part.count >= 5 && Bytes(part.prefix(5)).lower == "name=" {
                name = Bytes(part.dropFirst(5))
                continue
            }
            throw RedisError("Invalid metadata value given: \(part.text)")
        }
        guard let name else { throw RedisError("Library name was not given") }
        return Metadata(engine: engine.text, name: name.text, body: Bytes(code[eol...]))
    }
}

/// An EVAL script in the cache.
struct CachedScript {
    var body: Bytes
    var flags: ScriptFlags
    /// Scripts without a shebang run in Redis's compatibility mode (no flags checked up front).
    var hasShebang: Bool
    /// The compiled function's reference in the EVAL VM's registry.
    var ref: Int32 = 0

    /// `#!lua [flags=a,b]` at the start of an EVAL script.
    static func parseShebang(_ body: Bytes) throws -> (flags: ScriptFlags, hasShebang: Bool, code: Bytes) {
        guard body.starts(with: [35, 33]) else { return ([], false, body) }
        guard let eol = body.firstIndex(of: 10) else { throw RedisError("Invalid script shebang") }
        let parts = body[0..<eol].split(whereSeparator: { $0 == 32 || $0 == 9 || $0 == 13 }).map { Bytes($0) }
        guard let first = parts.first else { throw RedisError("Invalid engine in script shebang") }
        guard first == Bytes("#!lua") else { throw RedisError(Conversion.statusText("Unexpected engine in script shebang: \(first.text)")) }
        var flags: ScriptFlags = []
        for part in parts.dropFirst() {
            guard part.starts(with: Bytes("flags=")) else { throw RedisError(Conversion.statusText("Unknown lua shebang option: \(part.text)")) }
            let list = part.dropFirst(6)
            if list.isEmpty { continue }
            for f in list.split(separator: 44, omittingEmptySubsequences: false) {
                guard let flag = ScriptFlags.named(Bytes(f).text) else {
                    throw RedisError(Conversion.statusText("Unexpected flag in script shebang: \(Bytes(f).text)"))
                }
                flags.insert(flag)
            }
        }
        return (flags, true, Bytes(body[eol...]))
    }
}
