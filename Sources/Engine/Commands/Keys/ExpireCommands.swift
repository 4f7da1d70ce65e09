import RESP

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
extension KeyCommands {
    static let expireSpecs: [CommandSpec] = [
        expireSpec("expire", "Set a key's time to live in seconds", since: "1.0.0", argument: "seconds", relative: true, seconds: true),
        expireSpec("pexpire", "Set a key's time to live in milliseconds", since: "2.6.0", argument: "milliseconds", relative: true, seconds: false),
        expireSpec(
            "expireat", "Set the expiration for a key as a UNIX timestamp", since: "1.2.0", argument: "unix-time-seconds",
            relative: false, seconds: true),
        expireSpec(
            "pexpireat", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", since: "2.6.0",
            argument: "unix-time-milliseconds", relative: false, seconds: false),
        ttlSpec("ttl", "Get the time to live for a key in seconds", since: "1.0.0", absolute: false, ms: false),
        ttlSpec("pttl", "Get the time to live for a key in milliseconds", since: "2.6.0", absolute: false, ms: true),
        ttlSpec("expiretime", "Get the expiration Unix timestamp for a key", since: "7.0.0", absolute: true, ms: false),
        ttlSpec("pexpiretime", "Get the expiration Unix timestamp for a key in milliseconds", since: "7.0.0", absolute: true, ms: true),
        CommandSpec(
            "persist", arity: 2, flags: [.write, .fast], acl: [.keyspace],
            keys: [.single(1, [.RW, .update])],
            docs: CommandDocs("Remove the expiration from a key", since: "2.2.0", group: "generic", syntax: "key"),
            handler: persist),
    ]

    static func expireSpec(_ name: String, _ summary: String, since: String, argument: String, relative: Bool, seconds: Bool) -> CommandSpec {
        CommandSpec(
            name, arity: -3, flags: [.write, .fast], acl: [.keyspace],
            keys: [.single(1, [.RW, .update])],
            docs: CommandDocs(summary, since: since, group: "generic", syntax: "key \(argument) [NX | XX | GT | LT]"),
            handler: { ctx in try expire(&ctx, relative: relative, seconds: seconds) })
    }

    static func ttlSpec(_ name: String, _ summary: String, since: String, absolute: Bool, ms: Bool) -> CommandSpec {
        CommandSpec(
            name, arity: 2, flags: [.readonly, .fast], acl: [.keyspace],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(summary, since: since, group: "generic", syntax: "key"),
            handler: { ctx in ttl(&ctx, absolute: absolute, ms: ms) })
    }

    /// Redis's `expireGenericCommand`, with its option checks, overflow errors, and deletion
    /// when the time is already past.
    static func expire(_ ctx: inout CommandContext, relative: Bool, seconds: Bool) throws -> RESPValue {
        let key = ctx.argv[1]
        var nx = false, xx = false, gt = false, lt = false
        for opt in ctx.argv.dropFirst(3) {
            if opt.equalsIgnoringCase("NX") {
                nx = true
            } else if opt.equalsIgnoringCase("XX") {
                xx = true
            } else if opt.equalsIgnoringCase("GT") {
                gt = true
            } else if opt.equalsIgnoringCase("LT") {
                lt = true
            } else {
                throw RedisError("Unsupported option \(opt.text)")
            }
        }
        if nx && (xx || gt || lt) { throw RedisError("NX and XX, GT or LT options at the same time are not compatible") }
        if gt && lt { throw RedisError("GT and LT options at the same time are not compatible") }

        var when = try ctx.argv[2].int()
        let invalid = RedisError.invalidExpireTime(ctx.spec.name)
        if seconds {
            let (ms, o) = when.multipliedReportingOverflow(by: 1000)
            if o { throw invalid }
            when = ms
        }
        if relative {
            let (at, o) = when.addingReportingOverflow(ctx.now)
            if o { throw invalid }
            when = at
        }

        guard let entry = ctx.lookup(key) else { return .integer(0) }
        let current: Int64? = entry.expireAt == 0 ? nil : entry.expireAt
        if nx && current != nil { return .integer(0) }
        if xx && current == nil { return .integer(0) }
        // No expiry counts as an infinite TTL for GT and LT.
        if gt && (current == nil || when <= current!) { return .integer(0) }
        if lt, let current, when >= current { return .integer(0) }

        if when <= ctx.now && !ctx.engine.isReplaying {
            ctx.delete(key)
            ctx.emit([EffectWord.del, key])
            ctx.notify(.generic, "del", key)
        } else {
            ctx.setExpire(key, when)
            ctx.emit([EffectWord.pexpireat, key, Numbers.format(when)])
            ctx.notify(.generic, "expire", key)
        }
        return .integer(1)
    }

    static func ttl(_ ctx: inout CommandContext, absolute: Bool, ms: Bool) -> RESPValue {
        guard let e = ctx.lookupNoTouch(ctx.argv[1]) else { return .integer(-2) }
        if e.expireAt == 0 { return .integer(-1) }
        let t = max(0, absolute ? e.expireAt : e.expireAt - ctx.now)
        // Rounded to the nearest second like Redis's (ttl+500)/1000, without overflowing near Int64.max.
        return .integer(ms ? t : t / 1000 + (t % 1000 >= 500 ? 1 : 0))
    }

    static func persist(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        guard let e = ctx.lookup(key), e.expireAt != 0 else { return .integer(0) }
        ctx.setExpire(key, 0)
        ctx.emit([EffectWord.persist, key])
        ctx.notify(.generic, "persist", key)
        return .integer(1)
    }
}
