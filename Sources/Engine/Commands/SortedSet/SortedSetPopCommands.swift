import RESP

/// Sorted-set pops: ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms. A pop is logged as
/// ZREM of the popped members.
extension SortedSetCommands {
    static let popSpecs: [CommandSpec] = [
        CommandSpec(
            "zpopmin", arity: -2, flags: [.write, .fast], acl: [.sortedset],
            keys: [.single(1, [.RW, .access, .delete])],
            docs: CommandDocs(
                "Remove and return members with the lowest scores in a sorted set", since: "5.0.0", group: "sorted-set",
                complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
                syntax: "key [count]"),
            handler: { ctx in try zpop(&ctx, max: false) }),
        CommandSpec(
            "zpopmax", arity: -2, flags: [.write, .fast], acl: [.sortedset],
            keys: [.single(1, [.RW, .access, .delete])],
            docs: CommandDocs(
                "Remove and return members with the highest scores in a sorted set", since: "5.0.0", group: "sorted-set",
                complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
                syntax: "key [count]"),
            handler: { ctx in try zpop(&ctx, max: true) }),
        CommandSpec(
            "zmpop", arity: -4, flags: [.write], acl: [.sortedset],
            keys: [.keynum(1, [.RW, .access, .delete])],
            docs: CommandDocs(
                "Remove and return members with scores in a sorted set", since: "7.0.0", group: "sorted-set",
                complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
                syntax: "numkeys key [key ...] <MIN | MAX> [COUNT count]"),
            handler: { ctx in try zmpop(&ctx, numkeysIndex: 1, blocking: false) }),
        CommandSpec(
            "bzpopmin", arity: -3, flags: [.write, .noscript, .blocking, .fast], acl: [.sortedset],
            keys: [.range(1, last: -2, [.RW, .access, .delete])],
            docs: CommandDocs(
                "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", since: "5.0.0", group: "sorted-set",
                complexity: "O(log(N)) with N being the number of elements in the sorted set.",
                syntax: "key [key ...] timeout"),
            handler: { ctx in try bzpop(&ctx, max: false) }),
        CommandSpec(
            "bzpopmax", arity: -3, flags: [.write, .noscript, .blocking, .fast], acl: [.sortedset],
            keys: [.range(1, last: -2, [.RW, .access, .delete])],
            docs: CommandDocs(
                "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", since: "5.0.0", group: "sorted-set",
                complexity: "O(log(N)) with N being the number of elements in the sorted set.",
                syntax: "key [key ...] timeout"),
            handler: { ctx in try bzpop(&ctx, max: true) }),
        CommandSpec(
            "bzmpop", arity: -5, flags: [.write, .blocking], acl: [.sortedset],
            keys: [.keynum(2, [.RW, .access, .delete])],
            docs: CommandDocs(
                "Remove and return members with scores in a sorted set or block until one is available", since: "7.0.0", group: "sorted-set",
                complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
                syntax: "timeout numkeys key [key ...] <MIN | MAX> [COUNT count]"),
            handler: { ctx in try zmpop(&ctx, numkeysIndex: 2, blocking: true) }),
    ]

    /// How a pop's reply is shaped (Redis's use_nested_array / reply_nil_when_empty).
    enum PopReply {
        /// ZPOPMIN/ZPOPMAX: flat pairs (nested pairs in RESP3 when COUNT was given).
        case plain(nested: Bool)
        /// BZPOPMIN/BZPOPMAX: key, member, score.
        case keyed
        /// ZMPOP/BZMPOP: key, then [member, score] pairs.
        case multi
    }

    /// Pops from the first key holding a sorted set; nil when none does.
    static func popFirst(
        _ ctx: inout CommandContext, keys: some Sequence<Bytes>, max: Bool, count: Int, form: PopReply
    ) throws -> RESPValue? {
        for key in keys {
            // A missing key gives nil (next key), another type throws WRONGTYPE.
            let c = ctx
            let popped = try ctx.mutate(key, as: SortedSetValue.self, create: false) { z -> ([(member: Bytes, score: Double)], Bool) in
                var els: [(member: Bytes, score: Double)] = []
                els.reserveCapacity(Swift.min(count, z.count))
                while els.count < count, let e = z.pop(max: max) { els.append(e) }
                // Redis reports the pop before the "del" of an emptied key.
                if !els.isEmpty { c.notify(.zset, max ? "zpopmax" : "zpopmin", key) }
                return (els, !els.isEmpty)
            } ?? []
            if popped.isEmpty { continue }
            ctx.emit([EffectWord.zrem, key] + popped.map(\.member))
            switch form {
            case .plain(let nested):
                return renderWithScores(popped, resp3: nested)
            case .keyed:
                return .array([.bulk(key), .bulk(popped[0].member), .double(popped[0].score)])
            case .multi:
                return .array([.bulk(key), renderWithScores(popped, resp3: true)])
            }
        }
        return nil
    }

    static func zpop(_ ctx: inout CommandContext, max: Bool) throws -> RESPValue {
        if ctx.argv.count > 3 { throw RedisError.syntax }
        var count = 1
        let hasCount = ctx.argv.count == 3
        if hasCount {
            let c = try ctx.argv[2].int()
            if c < 0 { throw RedisError("value is out of range, must be positive") }
            count = Int(c)
        }
        let key = ctx.argv[1]
        if count == 0 {
            // Nothing to pop, but a wrong type is still an error (`popFirst` checks it otherwise).
            guard let e = ctx.lookup(key) else { return .emptyArray }
            guard SortedSetValue.extract(e.value) != nil else { throw RedisError.wrongType }
            return .emptyArray
        }
        let form = PopReply.plain(nested: hasCount && isResp3(ctx))
        return try popFirst(&ctx, keys: CollectionOfOne(key), max: max, count: count, form: form) ?? .emptyArray
    }

    static func bzpop(_ ctx: inout CommandContext, max: Bool) throws -> RESPValue {
        let timeout = try Arguments.timeoutMs(ctx.argv[ctx.argv.count - 1])
        let keys = Array(ctx.argv[1..<(ctx.argv.count - 1)])
        if let r = try popFirst(&ctx, keys: keys, max: max, count: 1, form: .keyed) { return r }
        return ctx.block(keys: keys, timeoutMs: timeout, timeoutReply: .nullArray) { c in
            try popFirst(&c, keys: keys, max: max, count: 1, form: .keyed)
        }
    }

    /// ZMPOP / BZMPOP (Redis's zmpopGenericCommand).
    static func zmpop(_ ctx: inout CommandContext, numkeysIndex: Int, blocking: Bool) throws -> RESPValue {
        let argv = ctx.argv
        guard let numkeys = Numbers.parseInt(argv[numkeysIndex]), numkeys >= 1 else {
            throw RedisError("numkeys should be greater than 0")
        }
        guard numkeys < Int64(argv.count) else { throw RedisError.syntax }
        let whereIndex = numkeysIndex + Int(numkeys) + 1
        guard whereIndex < argv.count else { throw RedisError.syntax }
        let max: Bool
        if argv[whereIndex].equalsIgnoringCase("MIN") {
            max = false
        } else if argv[whereIndex].equalsIgnoringCase("MAX") {
            max = true
        } else {
            throw RedisError.syntax
        }
        var count: Int64 = -1
        var j = whereIndex + 1
        while j < argv.count {
            let more = argv.count - 1 - j
            if count == -1 && argv[j].equalsIgnoringCase("COUNT") && more > 0 {
                j += 1
                guard let c = Numbers.parseInt(argv[j]), c >= 1 else { throw RedisError("count should be greater than 0") }
                count = c
            } else {
                throw RedisError.syntax
            }
            j += 1
        }
        let n = Int(clamping: count == -1 ? 1 : count)
        let keys = Array(argv[(numkeysIndex + 1)..<whereIndex])
        if !blocking {
            return try popFirst(&ctx, keys: keys, max: max, count: n, form: .multi) ?? .nullArray
        }
        let timeout = try Arguments.timeoutMs(argv[1])
        if let r = try popFirst(&ctx, keys: keys, max: max, count: n, form: .multi) { return r }
        return ctx.block(keys: keys, timeoutMs: timeout, timeoutReply: .nullArray) { c in
            try popFirst(&c, keys: keys, max: max, count: n, form: .multi)
        }
    }
}
