import RESP

/// INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.
extension StringCommands {
    static let counterSpecs: [CommandSpec] = [
        CommandSpec(
            "incr", arity: 2, flags: [.write, .denyoom, .fast], acl: [.string],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs("Increment the integer value of a key by one", since: "1.0.0", group: "string", syntax: "key"),
            handler: { ctx in try incrDecr(&ctx, by: 1) }),
        CommandSpec(
            "decr", arity: 2, flags: [.write, .denyoom, .fast], acl: [.string],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs("Decrement the integer value of a key by one", since: "1.0.0", group: "string", syntax: "key"),
            handler: { ctx in try incrDecr(&ctx, by: -1) }),
        CommandSpec(
            "incrby", arity: 3, flags: [.write, .denyoom, .fast], acl: [.string],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs(
                "Increment the integer value of a key by the given amount", since: "1.0.0", group: "string", syntax: "key increment"),
            handler: { ctx in try incrDecr(&ctx, by: ctx.argv[2].int()) }),
        CommandSpec(
            "decrby", arity: 3, flags: [.write, .denyoom, .fast], acl: [.string],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs(
                "Decrement the integer value of a key by the given number", since: "1.0.0", group: "string", syntax: "key decrement"),
            handler: decrby),
        CommandSpec(
            "incrbyfloat", arity: 3, flags: [.write, .denyoom, .fast], acl: [.string],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs(
                "Increment the float value of a key by the given amount", since: "2.6.0", group: "string", syntax: "key increment"),
            handler: incrbyfloat),
    ]

    static func decrby(_ ctx: inout CommandContext) throws -> RESPValue {
        let by = try ctx.argv[2].int()
        if by == .min { throw RedisError("decrement would overflow") }
        return try incrDecr(&ctx, by: -by)
    }

    static func incrDecr(_ ctx: inout CommandContext, by increment: Int64) throws -> RESPValue {
        let key = ctx.argv[1]
        // One probe finds the key (expiring it if due) and the slot the new value goes to, as SET.
        let engine = ctx.engine, db = ctx.db, hash = Database.hash(key)
        let existing = engine.probe(db, key, hash: hash)
        var value: Int64 = 0
        if let (e, _) = existing {
            guard case .string(let s) = e.value else { throw RedisError.wrongType }
            guard let v = Numbers.parseInt(s) else { throw RedisError.notInteger }
            value = v
        }
        let (sum, overflow) = value.addingReportingOverflow(increment)
        if overflow { throw RedisError.overflow }
        var entry = Entry(value: .string(Numbers.format(sum)), lastAccess: engine.commandTime)
        if let (e, _) = existing { entry.expireAt = e.expireAt }
        engine.store(db, key, hash: hash, entry, found: existing.map { (expireAt: $0.0.expireAt, slot: $0.1) })
        ctx.emitVerbatim()
        ctx.notify(.string, "incrby", key)
        return .integer(sum)
    }

    static func incrbyfloat(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let existing = ctx.lookup(key)
        var value: LongDouble = 0
        if let e = existing {
            guard case .string(let s) = e.value else { throw RedisError.wrongType }
            guard let v = Numbers.parseLongDouble(s) else { throw RedisError.notFloat }
            value = v
        }
        guard let increment = Numbers.parseLongDouble(ctx.argv[2]) else { throw RedisError.notFloat }
        value += increment
        if value.isNaN || value.isInfinite { throw RedisError("increment would produce NaN or Infinity") }
        let result = Numbers.formatHuman(value)
        ctx.set(key, Entry(value: .string(result), expireAt: existing?.expireAt ?? 0))
        // The float arithmetic and formatting are resolved here: replay sets the result.
        ctx.emit([EffectWord.set, key, result, EffectWord.keepttl])
        ctx.notify(.string, "incrbyfloat", key)
        return .bulk(result)
    }
}
