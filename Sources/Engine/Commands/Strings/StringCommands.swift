import RESP

/// String family: GET, SET and friends.
public enum StringCommands {
    static let maxStringLength = 512 * 1024 * 1024

    public static let specs: [CommandSpec] = [
        CommandSpec(
            "get", arity: 2, flags: [.readonly, .fast], acl: [.string],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs("Returns the string value of a key.", since: "1.0.0", group: "string", syntax: "key"),
            handler: get),
        CommandSpec(
            "set", arity: -3, flags: [.write, .denyoom], acl: [.string],
            keys: [.single(1, [.RW, .access, .update, .variableFlags])],
            docs: CommandDocs(
                "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
                since: "1.0.0", group: "string",
                syntax: "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"),
            handler: set),
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

    static func set(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let value = ctx.argv[2]
        var args = Arguments(ctx.argv, from: 3)
        var o = SetOptions()
        var sawExpire = false
        while !args.isEmpty {
            if args.flag("NX") {
                guard o.condition != .xx else { throw RedisError.syntax }
                o.condition = .nx
            } else if args.flag("XX") {
                guard o.condition != .nx else { throw RedisError.syntax }
                o.condition = .xx
            } else if args.flag("GET") {
                o.get = true
            } else if args.flag("KEEPTTL") {
                guard !sawExpire else { throw RedisError.syntax }
                o.keepTTL = true
                sawExpire = true
            } else if let unit = ExpireUnit.parse(args.peek()!) {
                guard !sawExpire, !o.keepTTL else { throw RedisError.syntax }
                _ = try args.next()
                guard !args.isEmpty else { throw RedisError.syntax }
                o.expireAt = try unit.absolute(args.next(), now: ctx.now, command: "set")
                sawExpire = true
            } else {
                throw RedisError.syntax
            }
        }
        return try applySet(&ctx, key: key, value: value, o)
    }

    /// The one implementation of SET semantics (SET, SETEX, PSETEX, SETNX, GETSET use it).
    static func applySet(_ ctx: inout CommandContext, key: Bytes, value: Bytes, _ o: SetOptions) throws -> RESPValue {
        let existing = ctx.lookup(key)
        var old: RESPValue = .null
        if o.get, let e = existing {
            guard case .string(let s) = e.value else { throw RedisError.wrongType }
            old = .bulk(s)
        }
        if (o.condition == .nx && existing != nil) || (o.condition == .xx && existing == nil) {
            return o.get ? old : .null
        }
        var entry = Entry(value: .string(value))
        if o.keepTTL, let e = existing { entry.expireAt = e.expireAt }
        if let at = o.expireAt { entry.expireAt = at }
        ctx.set(key, entry)
        if let at = o.expireAt {
            ctx.emit([Bytes("SET"), key, value, Bytes("PXAT"), Numbers.format(at)])
        } else if o.keepTTL {
            ctx.emit([Bytes("SET"), key, value, Bytes("KEEPTTL")])
        } else {
            ctx.emit([Bytes("SET"), key, value])
        }
        return o.get ? old : .ok
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
