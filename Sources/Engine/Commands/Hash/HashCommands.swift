import RESP

/// Hash family: field reads and writes, counters. HRANDFIELD and HSCAN live in
/// HashRandomScanCommands.swift.
public enum HashCommands {
    public static var specs: [CommandSpec] { accessSpecs + randomScanSpecs }

    static let readAllComplexity = "O(N) where N is the size of the hash."

    static let accessSpecs: [CommandSpec] = [
        CommandSpec(
            "hset", arity: -4, flags: [.write, .denyoom, .fast], acl: [.hash],
            keys: [.single(1, [.RW, .update])],
            docs: CommandDocs(
                "Set the string value of a hash field", since: "2.0.0", group: "hash",
                complexity:
                    "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
                syntax: "key field value [field value ...]"),
            handler: { ctx in try hset(&ctx, multi: false) }),
        CommandSpec(
            "hmset", arity: -4, flags: [.write, .denyoom, .fast], acl: [.hash],
            keys: [.single(1, [.RW, .update])],
            docs: CommandDocs(
                "Set multiple hash fields to multiple values", since: "2.0.0", group: "hash",
                complexity: "O(N) where N is the number of fields being set.", syntax: "key field value [field value ...]"),
            handler: { ctx in try hset(&ctx, multi: true) }),
        CommandSpec(
            "hsetnx", arity: 4, flags: [.write, .denyoom, .fast], acl: [.hash],
            keys: [.single(1, [.RW, .insert])],
            docs: CommandDocs(
                "Set the value of a hash field, only if the field does not exist", since: "2.0.0", group: "hash",
                syntax: "key field value"),
            handler: hsetnx),
        CommandSpec(
            "hget", arity: 3, flags: [.readonly, .fast], acl: [.hash],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs("Get the value of a hash field", since: "2.0.0", group: "hash", syntax: "key field"),
            handler: hget),
        CommandSpec(
            "hmget", arity: -3, flags: [.readonly, .fast], acl: [.hash],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get the values of all the given hash fields", since: "2.0.0", group: "hash",
                complexity: "O(N) where N is the number of fields being requested.", syntax: "key field [field ...]"),
            handler: hmget),
        CommandSpec(
            "hdel", arity: -3, flags: [.write, .fast], acl: [.hash],
            keys: [.single(1, [.RW, .delete])],
            docs: CommandDocs(
                "Delete one or more hash fields", since: "2.0.0", group: "hash",
                complexity: "O(N) where N is the number of fields to be removed.", syntax: "key field [field ...]"),
            handler: hdel),
        CommandSpec(
            "hlen", arity: 2, flags: [.readonly, .fast], acl: [.hash],
            keys: [.single(1, [.RO])],
            docs: CommandDocs("Get the number of fields in a hash", since: "2.0.0", group: "hash", syntax: "key"),
            handler: hlen),
        CommandSpec(
            "hstrlen", arity: 3, flags: [.readonly, .fast], acl: [.hash],
            keys: [.single(1, [.RO])],
            docs: CommandDocs("Get the length of the value of a hash field", since: "3.2.0", group: "hash", syntax: "key field"),
            handler: hstrlen),
        CommandSpec(
            "hexists", arity: 3, flags: [.readonly, .fast], acl: [.hash],
            keys: [.single(1, [.RO])],
            docs: CommandDocs("Determine if a hash field exists", since: "2.0.0", group: "hash", syntax: "key field"),
            handler: hexists),
        CommandSpec(
            "hkeys", arity: 2, flags: [.readonly], acl: [.hash],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs("Get all the fields in a hash", since: "2.0.0", group: "hash", complexity: readAllComplexity, syntax: "key"),
            handler: { ctx in try readAll(&ctx, fields: true, values: false) }),
        CommandSpec(
            "hvals", arity: 2, flags: [.readonly], acl: [.hash],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs("Get all the values in a hash", since: "2.0.0", group: "hash", complexity: readAllComplexity, syntax: "key"),
            handler: { ctx in try readAll(&ctx, fields: false, values: true) }),
        CommandSpec(
            "hgetall", arity: 2, flags: [.readonly], acl: [.hash],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get all the fields and values in a hash", since: "2.0.0", group: "hash", complexity: readAllComplexity, syntax: "key"),
            handler: { ctx in try readAll(&ctx, fields: true, values: true) }),
        CommandSpec(
            "hincrby", arity: 4, flags: [.write, .denyoom, .fast], acl: [.hash],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs(
                "Increment the integer value of a hash field by the given number", since: "2.0.0", group: "hash",
                syntax: "key field increment"),
            handler: hincrby),
        CommandSpec(
            "hincrbyfloat", arity: 4, flags: [.write, .denyoom, .fast], acl: [.hash],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs(
                "Increment the float value of a hash field by the given amount", since: "2.6.0", group: "hash",
                syntax: "key field increment"),
            handler: hincrbyfloat),
    ]

    // MARK: writes

    /// HSET / HMSET: every pair is set (and the command always counts as a change, as in Redis).
    static func hset(_ ctx: inout CommandContext, multi: Bool) throws -> RESPValue {
        let argv = ctx.argv
        guard argv.count % 2 == 0 else { throw RedisError.wrongArity(ctx.spec.name) }
        let key = argv[1]
        let added = try ctx.mutate(key, as: HashValue.self, create: true) { h -> (Int, Bool) in
            var added = 0
            for i in stride(from: 2, to: argv.count, by: 2) where h.set(argv[i], argv[i + 1]) { added += 1 }
            return (added, true)
        }!
        ctx.notify(.hash, "hset", key)
        ctx.emitVerbatim()
        return multi ? .ok : .integer(Int64(added))
    }

    static func hsetnx(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1], field = ctx.argv[2], value = ctx.argv[3]
        let set = try ctx.mutate(key, as: HashValue.self, create: true) { h -> (Bool, Bool) in
            if h.contains(field) { return (false, false) }
            h.set(field, value)
            return (true, true)
        }!
        guard set else { return .integer(0) }
        ctx.notify(.hash, "hset", key)
        ctx.emitVerbatim()
        return .integer(1)
    }

    static func hdel(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let fields = ctx.argv[2...]
        let c = ctx
        let deleted = try ctx.mutate(key, as: HashValue.self, create: false) { h -> (Int, Bool) in
            var n = 0
            for f in fields where h.remove(f) { n += 1 }
            // Redis reports "hdel" before the "del" of an emptied key.
            if n > 0 { c.notify(.hash, "hdel", key) }
            return (n, n > 0)
        } ?? 0
        if deleted > 0 { ctx.emitVerbatim() }
        return .integer(Int64(deleted))
    }

    static func hincrby(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1], field = ctx.argv[2]
        let increment = try ctx.argv[3].int()
        let result = try ctx.mutate(key, as: HashValue.self, create: true) { h -> (Int64, Bool) in
            var current: Int64 = 0
            if let old = h.get(field) {
                guard let v = Numbers.parseInt(old) else { throw RedisError("hash value is not an integer") }
                current = v
            }
            let (sum, overflow) = current.addingReportingOverflow(increment)
            if overflow { throw RedisError.overflow }
            h.set(field, Numbers.format(sum))
            return (sum, true)
        }!
        ctx.notify(.hash, "hincrby", key)
        ctx.emitVerbatim()
        return .integer(result)
    }

    /// Logged as HSET of the resulting text, so replay does not depend on float arithmetic.
    static func hincrbyfloat(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1], field = ctx.argv[2]
        guard let increment = Numbers.parseLongDouble(ctx.argv[3]) else { throw RedisError.notFloat }
        if increment.isNaN || increment.isInfinite { throw RedisError("value is NaN or Infinity") }
        let text = try ctx.mutate(key, as: HashValue.self, create: true) { h -> (Bytes, Bool) in
            var current: LongDouble = 0
            if let old = h.get(field) {
                guard let v = Numbers.parseLongDouble(old) else { throw RedisError("hash value is not a float") }
                current = v
            }
            let sum = current + increment
            if sum.isNaN || sum.isInfinite { throw RedisError("increment would produce NaN or Infinity") }
            let text = Numbers.formatHuman(sum)
            h.set(field, text)
            return (text, true)
        }!
        ctx.notify(.hash, "hincrbyfloat", key)
        ctx.emit([EffectWord.hset, key, field, text])
        return .bulk(text)
    }

    // MARK: reads

    static func hget(_ ctx: inout CommandContext) throws -> RESPValue {
        guard let h = try ctx.read(ctx.argv[1], as: HashValue.self), let v = h.get(ctx.argv[2]) else { return .null }
        return .bulk(v)
    }

    static func hmget(_ ctx: inout CommandContext) throws -> RESPValue {
        let h = try ctx.read(ctx.argv[1], as: HashValue.self)
        return .array(ctx.argv[2...].map { f in h?.get(f).map { .bulk($0) } ?? .null })
    }

    static func hlen(_ ctx: inout CommandContext) throws -> RESPValue {
        .integer(Int64(try ctx.read(ctx.argv[1], as: HashValue.self)?.count ?? 0))
    }

    static func hstrlen(_ ctx: inout CommandContext) throws -> RESPValue {
        .integer(Int64(try ctx.read(ctx.argv[1], as: HashValue.self)?.get(ctx.argv[2])?.count ?? 0))
    }

    static func hexists(_ ctx: inout CommandContext) throws -> RESPValue {
        .integer(try ctx.read(ctx.argv[1], as: HashValue.self)?.contains(ctx.argv[2]) == true ? 1 : 0)
    }

    /// HKEYS / HVALS / HGETALL (a map under RESP3).
    static func readAll(_ ctx: inout CommandContext, fields: Bool, values: Bool) throws -> RESPValue {
        let h = try ctx.read(ctx.argv[1], as: HashValue.self)
        if fields && values {
            var pairs: [(RESPValue, RESPValue)] = []
            pairs.reserveCapacity(h?.count ?? 0)
            h?.forEach { f, v in pairs.append((.bulk(f), .bulk(v))) }
            return .map(pairs)
        }
        var out: [RESPValue] = []
        out.reserveCapacity(h?.count ?? 0)
        h?.forEach { f, v in out.append(.bulk(fields ? f : v)) }
        return .array(out)
    }
}
