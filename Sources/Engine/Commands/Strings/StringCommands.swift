import RESP

/// String family: GET, SET and their variants (getters, setters, MGET/MSET).
/// Counters live in StringCounterCommands.swift, ranges and LCS in StringRangeCommands.swift.
public enum StringCommands {
    static let maxStringLength = 512 * 1024 * 1024

    public static var specs: [CommandSpec] { accessSpecs + counterSpecs + rangeSpecs + BitCommands.specs }

    static let accessSpecs: [CommandSpec] = [
        CommandSpec(
            "get", arity: 2, flags: [.readonly, .fast], acl: [.string],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs("Get the value of a key", since: "1.0.0", group: "string", syntax: "key"),
            handler: get),
        withSetKeyFlags(CommandSpec(
            "set", arity: -3, flags: [.write, .denyoom], acl: [.string],
            keys: [.single(1, [.RW, .access, .update, .variableFlags])],
            docs: CommandDocs(
                "Set the string value of a key", since: "1.0.0", group: "string",
                syntax: "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"),
            handler: set)),
        CommandSpec(
            "setnx", arity: 3, flags: [.write, .denyoom, .fast], acl: [.string],
            keys: [.single(1, [.OW, .insert])],
            docs: CommandDocs("Set the value of a key, only if the key does not exist", since: "1.0.0", group: "string", syntax: "key value"),
            handler: setnx),
        CommandSpec(
            "setex", arity: 4, flags: [.write, .denyoom], acl: [.string],
            keys: [.single(1, [.OW, .update])],
            docs: CommandDocs("Set the value and expiration of a key", since: "2.0.0", group: "string", syntax: "key seconds value"),
            handler: { ctx in try setWithExpire(&ctx, .ex) }),
        CommandSpec(
            "psetex", arity: 4, flags: [.write, .denyoom], acl: [.string],
            keys: [.single(1, [.OW, .update])],
            docs: CommandDocs(
                "Set the value and expiration in milliseconds of a key", since: "2.6.0", group: "string", syntax: "key milliseconds value"),
            handler: { ctx in try setWithExpire(&ctx, .px) }),
        CommandSpec(
            "getset", arity: 3, flags: [.write, .denyoom, .fast], acl: [.string],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs("Set the string value of a key and return its old value", since: "1.0.0", group: "string", syntax: "key value"),
            handler: getset),
        CommandSpec(
            "getdel", arity: 2, flags: [.write, .fast], acl: [.string],
            keys: [.single(1, [.RW, .access, .delete])],
            docs: CommandDocs("Get the value of a key and delete the key", since: "6.2.0", group: "string", syntax: "key"),
            handler: getdel),
        CommandSpec(
            "getex", arity: -2, flags: [.write, .fast], acl: [.string],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs(
                "Get the value of a key and optionally set its expiration", since: "6.2.0", group: "string",
                syntax: "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]"),
            handler: getex),
        CommandSpec(
            "mget", arity: -2, flags: [.readonly, .fast], acl: [.string],
            keys: [.range(1, last: -1, [.RO, .access])],
            docs: CommandDocs(
                "Get the values of all the given keys", since: "1.0.0", group: "string",
                complexity: "O(N) where N is the number of keys to retrieve.", syntax: "key [key ...]"),
            handler: mget),
        CommandSpec(
            "mset", arity: -3, flags: [.write, .denyoom], acl: [.string],
            keys: [.range(1, last: -1, step: 2, [.OW, .update])],
            docs: CommandDocs(
                "Set multiple keys to multiple values", since: "1.0.1", group: "string",
                complexity: "O(N) where N is the number of keys to set.", syntax: "key value [key value ...]"),
            handler: { ctx in try mset(&ctx, nx: false) }),
        CommandSpec(
            "msetnx", arity: -3, flags: [.write, .denyoom], acl: [.string],
            keys: [.range(1, last: -1, step: 2, [.OW, .insert])],
            docs: CommandDocs(
                "Set multiple keys to multiple values, only if none of the keys exist", since: "1.0.1", group: "string",
                complexity: "O(N) where N is the number of keys to set.", syntax: "key value [key value ...]"),
            handler: { ctx in try mset(&ctx, nx: true) }),
    ]

    static func get(_ ctx: inout CommandContext) throws -> RESPValue {
        guard let s = try ctx.string(ctx.argv[1]) else { return .null }
        return .bulk(s)
    }

    /// Options shared by SET and its variants.
    struct SetOptions {
        enum Condition { case always, nx, xx }
        var condition = Condition.always
        var get = false
        var keepTTL = false
        /// Absolute expiry in ms, if any.
        var expireAt: Int64?
    }

    /// What Redis's `parseExtendedStringArgumentsOrReply` accepts for SET and for GETEX.
    struct ExtendedStringOptions {
        var condition = SetOptions.Condition.always
        var get = false
        var keepTTL = false
        var persist = false
        var expire: (unit: ExpireUnit, argument: Bytes)?

        /// Parses options from `argv[from...]` with Redis's exact compatibility rules: a repeated
        /// expiry option of the same kind is accepted (the last wins), mixing kinds is a syntax error.
        init(_ argv: [Bytes], from: Int, forSet: Bool) throws {
            var j = from
            while j < argv.count {
                let opt = argv[j]
                let hasNext = j + 1 < argv.count
                let unit = ExpireUnit.parse(opt)
                if forSet && opt.equalsIgnoringCase("NX") && condition != .xx {
                    condition = .nx
                } else if forSet && opt.equalsIgnoringCase("XX") && condition != .nx {
                    condition = .xx
                } else if forSet && opt.equalsIgnoringCase("GET") {
                    get = true
                } else if forSet && opt.equalsIgnoringCase("KEEPTTL") && !persist && expire == nil {
                    keepTTL = true
                } else if !forSet && opt.equalsIgnoringCase("PERSIST") && expire == nil {
                    persist = true
                } else if let unit, !keepTTL, !persist, expire == nil || expire!.unit == unit, hasNext {
                    expire = (unit, argv[j + 1])
                    j += 1
                } else {
                    throw RedisError.syntax
                }
                j += 1
            }
        }
    }

    static func set(_ ctx: inout CommandContext) throws -> RESPValue {
        let parsed = try ExtendedStringOptions(ctx.argv, from: 3, forSet: true)
        var o = SetOptions()
        o.condition = parsed.condition
        o.get = parsed.get
        o.keepTTL = parsed.keepTTL
        if let (unit, arg) = parsed.expire {
            o.expireAt = try unit.absolute(arg, now: ctx.now, command: "set")
        }
        return try applySet(&ctx, key: ctx.argv[1], value: ctx.argv[2], o)
    }

    /// The one implementation of SET semantics (SET, SETEX, PSETEX, SETNX, GETSET use it).
    static func applySet(_ ctx: inout CommandContext, key: Bytes, value: Bytes, _ o: SetOptions) throws -> RESPValue {
        var old: RESPValue = .null
        if o.get, let s = try ctx.string(key) {
            old = .bulk(s)
        }
        // One probe finds the key (expiring it if due, as Redis's lookupKeyWrite) and the slot
        // the new value goes to.
        let engine = ctx.engine, db = ctx.db, hash = Database.hash(key)
        let existing = engine.probe(db, key, hash: hash).map { (expireAt: $0.0.expireAt, slot: $0.1) }
        if (o.condition == .nx && existing != nil) || (o.condition == .xx && existing == nil) {
            return o.get ? old : .null
        }
        var entry = Entry(value: .string(value), lastAccess: engine.commandTime)
        if o.keepTTL, let e = existing { entry.expireAt = e.expireAt }
        if let at = o.expireAt { entry.expireAt = at }
        engine.store(db, key, hash: hash, entry, found: existing)
        ctx.notify(.string, "set", key)
        if let at = o.expireAt {
            ctx.notify(.generic, "expire", key)
            ctx.emit([EffectWord.set, key, value, EffectWord.pxat, Numbers.format(at)])
        } else if o.keepTTL {
            ctx.emit([EffectWord.set, key, value, EffectWord.keepttl])
        } else {
            ctx.emit([EffectWord.set, key, value])
        }
        return o.get ? old : .ok
    }

    static func setnx(_ ctx: inout CommandContext) throws -> RESPValue {
        var o = SetOptions()
        o.condition = .nx
        let r = try applySet(&ctx, key: ctx.argv[1], value: ctx.argv[2], o)
        return .integer(r == .ok ? 1 : 0)
    }

    /// SETEX / PSETEX: `key time value`.
    static func setWithExpire(_ ctx: inout CommandContext, _ unit: ExpireUnit) throws -> RESPValue {
        var o = SetOptions()
        o.expireAt = try unit.absolute(ctx.argv[2], now: ctx.now, command: ctx.spec.name)
        return try applySet(&ctx, key: ctx.argv[1], value: ctx.argv[3], o)
    }

    static func getset(_ ctx: inout CommandContext) throws -> RESPValue {
        var o = SetOptions()
        o.get = true
        return try applySet(&ctx, key: ctx.argv[1], value: ctx.argv[2], o)
    }

    static func getdel(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        guard let s = try ctx.string(key) else { return .null }
        ctx.delete(key)
        ctx.emit([EffectWord.del, key])
        ctx.notify(.generic, "del", key)
        return .bulk(s)
    }

    static func getex(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let o = try ExtendedStringOptions(ctx.argv, from: 2, forSet: false)
        guard let s = try ctx.string(key) else { return .null }
        var at: Int64?
        if let (unit, arg) = o.expire {
            at = try unit.absolute(arg, now: ctx.now, command: "getex")
        }
        if let at {
            if (o.expire!.unit == .exat || o.expire!.unit == .pxat) && at <= ctx.now && !ctx.engine.isReplaying {
                ctx.delete(key)
                ctx.emit([EffectWord.del, key])
                ctx.notify(.generic, "del", key)
            } else {
                ctx.setExpire(key, at)
                ctx.emit([EffectWord.pexpireat, key, Numbers.format(at)])
                ctx.notify(.generic, "expire", key)
            }
        } else if o.persist, let e = ctx.lookup(key), e.expireAt != 0 {
            ctx.setExpire(key, 0)
            ctx.emit([EffectWord.persist, key])
            ctx.notify(.generic, "persist", key)
        }
        return .bulk(s)
    }

    static func mget(_ ctx: inout CommandContext) throws -> RESPValue {
        var out: [RESPValue] = []
        out.reserveCapacity(ctx.argv.count - 1)
        for key in ctx.argv.dropFirst() {
            if let e = ctx.lookupRead(key), case .string(let s) = e.value {
                out.append(.bulk(s))
            } else {
                out.append(.null)
            }
        }
        return .array(out)
    }

    static func mset(_ ctx: inout CommandContext, nx: Bool) throws -> RESPValue {
        guard ctx.argv.count % 2 == 1 else { throw RedisError.wrongArity(ctx.spec.name) }
        if nx {
            for i in stride(from: 1, to: ctx.argv.count, by: 2) where ctx.lookup(ctx.argv[i]) != nil {
                return .integer(0)
            }
        }
        for i in stride(from: 1, to: ctx.argv.count, by: 2) {
            ctx.set(ctx.argv[i], Entry(value: .string(ctx.argv[i + 1])))
            ctx.notify(.string, "set", ctx.argv[i])
        }
        // MSETNX succeeded: it is an MSET now, whatever the keyspace looks like on replay.
        ctx.emit([EffectWord.mset] + ctx.argv.dropFirst())
        return nx ? .integer(1) : .ok
    }
}

extension CommandContext {
    /// Sets or removes (`at == 0`) the expiry of an existing key, keeping its value.
    func setExpire(_ key: Bytes, _ at: Int64) {
        engine.databases[db].setExpire(key, at)
        engine.keyChanged(db, key)
    }

    /// Changes a string's bytes in place (no copy when uniquely held), keeping its expiry.
    func updateString(_ key: Bytes, _ body: (inout Bytes) -> Void) {
        engine.databases[db].updateValue(key) { v in
            guard case .string(var s) = v else { return }
            v = .string([])
            body(&s)
            v = .string(s)
        }
        engine.databases[db].touch(key, now: now)
        engine.keyChanged(db, key)
    }

    /// Redis's `checkStringLength`: a string may not grow past proto-max-bulk-len.
    func checkStringLength(_ size: Int, adding extra: Int) throws {
        let (total, o) = size.addingReportingOverflow(extra)
        if o || total > engine.settings.protoMaxBulkLength { throw RedisError.stringTooLong }
    }
}

/// EX / PX / EXAT / PXAT, converted to an absolute time in ms with Redis's validation.
enum ExpireUnit {
    case ex, px, exat, pxat

    static func parse(_ b: Bytes) -> ExpireUnit? {
        if b.equalsIgnoringCase("EX") { return .ex }
        if b.equalsIgnoringCase("PX") { return .px }
        if b.equalsIgnoringCase("EXAT") { return .exat }
        if b.equalsIgnoringCase("PXAT") { return .pxat }
        return nil
    }

    func absolute(_ arg: Bytes, now: Int64, command: String) throws -> Int64 {
        guard let v = Numbers.parseInt(arg) else { throw RedisError.notInteger }
        guard v > 0 else { throw RedisError.invalidExpireTime(command) }
        var ms = v
        if self == .ex || self == .exat {
            let (m, o) = v.multipliedReportingOverflow(by: 1000)
            if o { throw RedisError.invalidExpireTime(command) }
            ms = m
        }
        if self == .ex || self == .px {
            let (a, o) = ms.addingReportingOverflow(now)
            if o { throw RedisError.invalidExpireTime(command) }
            ms = a
        }
        return ms
    }
}

extension StringCommands {
    /// SET's key flags vary (Redis's setGetKeys): RW+access with GET, else OW+update, so ACL
    /// asks for read permission only when the old value is returned.
    static func withSetKeyFlags(_ spec: CommandSpec) -> CommandSpec {
        var s = spec
        s.getKeys = { argv in
            guard argv.count > 1 else { return [] }
            let get = argv.dropFirst(3).contains { $0.equalsIgnoringCase("GET") }
            return [(1, .single(1, get ? [.RW, .access, .update] : [.OW, .update]))]
        }
        return s
    }
}
