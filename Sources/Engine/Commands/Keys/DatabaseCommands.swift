#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import RESP

/// Whole-database commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME.
extension KeyCommands {
    static let databaseSpecs: [CommandSpec] = [
        CommandSpec(
            "dbsize", arity: 1, flags: [.readonly, .fast], acl: [.keyspace],
            docs: CommandDocs("Return the number of keys in the selected database", since: "1.0.0", group: "server"),
            handler: { ctx in .integer(Int64(ctx.engine.databases[ctx.db].count)) }),
        CommandSpec(
            "flushdb", arity: -1, flags: [.write], acl: [.keyspace, .dangerous],
            docs: CommandDocs(
                "Remove all keys from the current database", since: "1.0.0", group: "server",
                complexity: "O(N) where N is the number of keys in the selected database", syntax: "[ASYNC | SYNC]"),
            handler: flushdb),
        CommandSpec(
            "flushall", arity: -1, flags: [.write], acl: [.keyspace, .dangerous],
            docs: CommandDocs(
                "Remove all keys from all databases", since: "1.0.0", group: "server",
                complexity: "O(N) where N is the total number of keys in all databases", syntax: "[ASYNC | SYNC]"),
            handler: flushall),
        CommandSpec(
            "swapdb", arity: 3, flags: [.write, .fast], acl: [.keyspace, .dangerous],
            docs: CommandDocs(
                "Swaps two Redis databases", since: "4.0.0", group: "server",
                complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
                syntax: "index1 index2"),
            handler: swapdb),
        CommandSpec(
            "time", arity: 1, flags: [.loading, .stale, .fast],
            docs: CommandDocs("Return the current server time", since: "2.6.0", group: "server"),
            handler: time),
    ]

    /// `[ASYNC | SYNC]`: both empty the database at once here.
    static func checkFlushArguments(_ ctx: CommandContext) throws {
        if ctx.argv.count == 1 { return }
        if ctx.argv.count == 2 && (ctx.argv[1].equalsIgnoringCase("SYNC") || ctx.argv[1].equalsIgnoringCase("ASYNC")) { return }
        throw RedisError.syntax
    }

    /// Empties database `db`, signalling every key it held. Returns whether it held any.
    @discardableResult
    static func empty(_ engine: Engine, _ db: Int) -> Bool {
        guard engine.databases[db].count > 0 else { return false }
        let keys = engine.databases[db].keys
        engine.databases[db].removeAll()
        for key in keys { engine.keyChanged(db, key) }
        return true
    }

    static func flushdb(_ ctx: inout CommandContext) throws -> RESPValue {
        try checkFlushArguments(ctx)
        if empty(ctx.engine, ctx.db) { ctx.emit([EffectWord.flushdb]) }
        return .ok
    }

    static func flushall(_ ctx: inout CommandContext) throws -> RESPValue {
        try checkFlushArguments(ctx)
        var changed = false
        for db in ctx.engine.databases.indices where empty(ctx.engine, db) { changed = true }
        if changed { ctx.emit([EffectWord.flushall]) }
        return .ok
    }

    static func swapdb(_ ctx: inout CommandContext) throws -> RESPValue {
        func index(_ arg: Bytes, _ message: String) throws -> Int {
            guard let v = Numbers.parseInt(arg), v >= Int64(Int32.min) && v <= Int64(Int32.max) else { throw RedisError(message) }
            return Int(v)
        }
        let a = try index(ctx.argv[1], "invalid first DB index")
        let b = try index(ctx.argv[2], "invalid second DB index")
        let n = ctx.engine.databases.count
        guard a >= 0 && a < n && b >= 0 && b < n else { throw RedisError.dbIndexOutOfRange }
        if a == b { return .ok }
        ctx.engine.databases.swapAt(a, b)
        // Every key of both databases now reads differently (WATCH, blocked clients).
        // A key held by either one changed in both.
        for key in ctx.engine.databases[a].keys + ctx.engine.databases[b].keys {
            ctx.engine.keyChanged(a, key)
            ctx.engine.keyChanged(b, key)
        }
        ctx.emitVerbatim()
        return .ok
    }

    static func time(_ ctx: inout CommandContext) throws -> RESPValue {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return .array([.bulk(Bytes(String(ts.tv_sec).utf8)), .bulk(Bytes(String(ts.tv_nsec / 1000).utf8))])
    }
}
