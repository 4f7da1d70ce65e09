import Engine
import RESP

/// DUMP and RESTORE (payloads byte-compatible with Redis 7.0).
public enum DumpRestoreCommands {
    public static let specs: [CommandSpec] = [
        CommandSpec(
            "dump", arity: 2, flags: [.readonly], acl: [.keyspace],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs("Returns a serialized representation of the value stored at a key.", since: "2.6.0",
                              group: "generic", complexity: "O(1) to access the key and additional O(N*M) to serialize it", syntax: "key"),
            handler: { ctx in
                guard let e = ctx.lookupRead(ctx.argv[1]) else { return .null }
                return .bulk(DumpPayload.encode(e.value))
            }),
        CommandSpec(
            "restore", arity: -4, flags: [.write, .denyoom], acl: [.keyspace, .dangerous],
            keys: [.single(1, [.OW, .update])],
            docs: CommandDocs("Creates a key from the serialized representation of a value.", since: "2.6.0", group: "generic",
                              complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value",
                              syntax: "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"),
            handler: restore),
    ]

    static func restore(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        var args = Arguments(ctx.argv, from: 4)
        var replace = false
        var absTTL = false
        var idle: Int64?
        while !args.isEmpty {
            if args.flag("REPLACE") {
                replace = true
            } else if args.flag("ABSTTL") {
                absTTL = true
            } else if args.flag("IDLETIME") {
                guard !args.isEmpty else { throw RedisError.syntax }
                let v = try args.int()
                guard v >= 0 else { throw RedisError("Invalid IDLETIME value, must be >= 0") }
                idle = v
            } else if args.flag("FREQ") {
                guard !args.isEmpty else { throw RedisError.syntax }
                let v = try args.int()
                guard v >= 0 && v <= 255 else { throw RedisError("Invalid FREQ value, must be >= 0 and <= 255") }
            } else {
                throw RedisError.syntax
            }
        }
        guard let ttl = Numbers.parseInt(ctx.argv[2]) else { throw RedisError.notInteger }
        guard ttl >= 0 else { throw RedisError("Invalid TTL value, must be >= 0") }
        if !replace && ctx.lookup(key) != nil {
            throw RedisError("BUSYKEY", "Target key name already exists.")
        }
        let value = try DumpPayload.decode(ctx.argv[3])
        var expireAt: Int64 = 0
        if ttl > 0 { expireAt = absTTL ? ttl : ctx.now + ttl }
        if expireAt != 0 && expireAt <= ctx.now {
            // Already expired: Redis deletes the target instead of creating it.
            if ctx.delete(key) { ctx.emit([Bytes("DEL"), key]) }
            return .ok
        }
        var entry = Entry(value: value, expireAt: expireAt)
        entry.lastAccess = ctx.now - (idle ?? 0) * 1000
        ctx.engine.databases[ctx.db].set(key, entry)
        ctx.engine.keyChanged(ctx.db, key)
        var effect = [Bytes("RESTORE"), key, Numbers.format(expireAt), ctx.argv[3], Bytes("REPLACE")]
        if expireAt != 0 { effect.append(Bytes("ABSTTL")) }
        ctx.emit(effect)
        return .ok
    }
}
