import RESP

/// Sorted-set ranges: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) and the legacy range
/// commands, ZRANGESTORE, ZREMRANGEBY*.
extension SortedSetCommands {
    static let rangeSpecs: [CommandSpec] = [
        CommandSpec(
            "zrange", arity: -4, flags: [.readonly], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Return a range of members in a sorted set", since: "1.2.0", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
                syntax: "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"),
            handler: { ctx in try rangeGeneric(&ctx, argStart: 1, store: false, type: .auto, direction: .auto) }),
        CommandSpec(
            "zrangebyscore", arity: -4, flags: [.readonly], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Return a range of members in a sorted set, by score", since: "1.0.5", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
                syntax: "key min max [WITHSCORES] [LIMIT offset count]"),
            handler: { ctx in try rangeGeneric(&ctx, argStart: 1, store: false, type: .score, direction: .forward) }),
        CommandSpec(
            "zrevrangebyscore", arity: -4, flags: [.readonly], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Return a range of members in a sorted set, by score, with scores ordered from high to low", since: "2.2.0", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
                syntax: "key max min [WITHSCORES] [LIMIT offset count]"),
            handler: { ctx in try rangeGeneric(&ctx, argStart: 1, store: false, type: .score, direction: .reverse) }),
        CommandSpec(
            "zrangebylex", arity: -4, flags: [.readonly], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Return a range of members in a sorted set, by lexicographical range", since: "2.8.9", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
                syntax: "key min max [LIMIT offset count]"),
            handler: { ctx in try rangeGeneric(&ctx, argStart: 1, store: false, type: .lex, direction: .forward) }),
        CommandSpec(
            "zrevrangebylex", arity: -4, flags: [.readonly], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", since: "2.8.9", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
                syntax: "key max min [LIMIT offset count]"),
            handler: { ctx in try rangeGeneric(&ctx, argStart: 1, store: false, type: .lex, direction: .reverse) }),
        CommandSpec(
            "zrevrange", arity: -4, flags: [.readonly], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Return a range of members in a sorted set, by index, with scores ordered from high to low", since: "1.2.0", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
                syntax: "key start stop [WITHSCORES]"),
            handler: { ctx in try rangeGeneric(&ctx, argStart: 1, store: false, type: .rank, direction: .reverse) }),
        CommandSpec(
            "zrangestore", arity: -5, flags: [.write, .denyoom], acl: [.sortedset],
            keys: [.single(1, [.OW, .update]), .single(2, [.RO, .access])],
            docs: CommandDocs(
                "Store a range of members from sorted set into another key", since: "6.2.0", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
                syntax: "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]"),
            handler: { ctx in try rangeGeneric(&ctx, argStart: 2, store: true, type: .auto, direction: .auto) }),
        CommandSpec(
            "zremrangebyrank", arity: 4, flags: [.write], acl: [.sortedset],
            keys: [.single(1, [.RW, .delete])],
            docs: CommandDocs(
                "Remove all members in a sorted set within the given indexes", since: "2.0.0", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
                syntax: "key start stop"),
            handler: { ctx in try removeRange(&ctx, .rank) }),
        CommandSpec(
            "zremrangebyscore", arity: 4, flags: [.write], acl: [.sortedset],
            keys: [.single(1, [.RW, .delete])],
            docs: CommandDocs(
                "Remove all members in a sorted set within the given scores", since: "1.2.0", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
                syntax: "key min max"),
            handler: { ctx in try removeRange(&ctx, .score) }),
        CommandSpec(
            "zremrangebylex", arity: 4, flags: [.write], acl: [.sortedset],
            keys: [.single(1, [.RW, .delete])],
            docs: CommandDocs(
                "Remove all members in a sorted set between the given lexicographical range", since: "2.8.9", group: "sorted-set",
                complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
                syntax: "key min max"),
            handler: { ctx in try removeRange(&ctx, .lex) }),
    ]

    enum RangeType { case auto, rank, score, lex }
    enum Direction { case auto, forward, reverse }

    /// Redis's zrangeGenericCommand: ZRANGE and its BYSCORE/BYLEX/REV forms, the legacy
    /// ZRANGEBY*/ZREV* commands and ZRANGESTORE.
    static func rangeGeneric(
        _ ctx: inout CommandContext, argStart: Int, store: Bool, type: RangeType, direction: Direction
    ) throws -> RESPValue {
        let argv = ctx.argv
        var rangeType = type
        var dir = direction
        var withScores = false
        var offset: Int64 = 0
        var limit: Int64 = -1
        var j = argStart + 3
        while j < argv.count {
            let left = argv.count - j - 1
            let a = argv[j]
            if !store && a.equalsIgnoringCase("WITHSCORES") {
                withScores = true
            } else if a.equalsIgnoringCase("LIMIT") && left >= 2 {
                offset = try argv[j + 1].int()
                limit = try argv[j + 2].int()
                j += 2
            } else if dir == .auto && a.equalsIgnoringCase("REV") {
                dir = .reverse
            } else if rangeType == .auto && a.equalsIgnoringCase("BYLEX") {
                rangeType = .lex
            } else if rangeType == .auto && a.equalsIgnoringCase("BYSCORE") {
                rangeType = .score
            } else {
                throw RedisError.syntax
            }
            j += 1
        }
        if dir == .auto { dir = .forward }
        if rangeType == .auto { rangeType = .rank }
        if limit != -1 && rangeType == .rank {
            throw RedisError("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
        }
        if withScores && rangeType == .lex {
            throw RedisError("syntax error, WITHSCORES not supported in combination with BYLEX")
        }
        let reverse = dir == .reverse
        var minArg = argv[argStart + 1]
        var maxArg = argv[argStart + 2]
        if reverse && rangeType != .rank { swap(&minArg, &maxArg) }
        var start: Int64 = 0, end: Int64 = 0
        var scoreRange: ScoreRange?
        var lexRange: LexRange?
        switch rangeType {
        case .score: scoreRange = try parseScoreRange(minArg, maxArg)
        case .lex: lexRange = try parseLexRange(minArg, maxArg)
        default:
            start = try minArg.int()
            end = try maxArg.int()
        }
        let key = argv[argStart]
        var els: [(member: Bytes, score: Double)] = []
        if let z = try ctx.read(key, as: SortedSetValue.self) {
            if let scoreRange {
                els = slice(z, z.ranks(in: scoreRange), offset: offset, limit: limit, reverse: reverse)
            } else if let lexRange {
                els = slice(z, z.ranks(in: lexRange), offset: offset, limit: limit, reverse: reverse)
            } else {
                els = byRank(z, start, end, reverse: reverse)
            }
        }
        if store { return storeRange(&ctx, dest: argv[1], els) }
        return withScores ? renderWithScores(els, resp3: isResp3(ctx)) : renderMembers(els)
    }

    /// Ranks `start...end` (negative from the end), as Redis clamps them.
    static func byRank(_ z: SortedSetValue, _ start: Int64, _ end: Int64, reverse: Bool) -> [(member: Bytes, score: Double)] {
        let n = Int64(z.count)
        var s = start < 0 ? n + start : start
        var e = end < 0 ? n + end : end
        if s < 0 { s = 0 }
        if s > e || s >= n { return [] }
        if e >= n { e = n - 1 }
        let len = Int(e - s + 1)
        return z.elements(fromRank: reverse ? Int(n - 1 - s) : Int(s), limit: len, reverse: reverse)
    }

    /// The elements of an ascending rank range after LIMIT offset count (negative count = all,
    /// negative offset = none, as Redis's loops do).
    static func slice(
        _ z: SortedSetValue, _ ranks: Range<Int>, offset: Int64, limit: Int64, reverse: Bool
    ) -> [(member: Bytes, score: Double)] {
        if offset < 0 || ranks.isEmpty || offset >= Int64(ranks.count) { return [] }
        let available = ranks.count - Int(offset)
        let n = limit < 0 ? available : Swift.min(available, Int(clamping: limit))
        let first = reverse ? ranks.upperBound - 1 - Int(offset) : ranks.lowerBound + Int(offset)
        return z.elements(fromRank: first, limit: n, reverse: reverse)
    }

    /// ZRANGESTORE's result: the destination holds exactly the range (deleted when empty).
    static func storeRange(_ ctx: inout CommandContext, dest: Bytes, _ els: [(member: Bytes, score: Double)]) -> RESPValue {
        if els.isEmpty {
            if ctx.delete(dest) {
                ctx.notify(.generic, "del", dest)
                ctx.emitVerbatim()
            }
            return .integer(0)
        }
        ctx.set(dest, Entry(value: .zset(SortedSetValue(els.lazy.map { ($0.member, $0.score) }))))
        ctx.notify(.zset, "zrangestore", dest)
        ctx.emitVerbatim()
        return .integer(Int64(els.count))
    }

    /// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX.
    static func removeRange(_ ctx: inout CommandContext, _ type: RangeType) throws -> RESPValue {
        let key = ctx.argv[1]
        var start: Int64 = 0, end: Int64 = 0
        var scoreRange: ScoreRange?
        var lexRange: LexRange?
        switch type {
        case .score: scoreRange = try parseScoreRange(ctx.argv[2], ctx.argv[3])
        case .lex: lexRange = try parseLexRange(ctx.argv[2], ctx.argv[3])
        default:
            start = try ctx.argv[2].int()
            end = try ctx.argv[3].int()
        }
        let deleted = try ctx.mutate(key, as: SortedSetValue.self, create: false) { z -> (Int, Bool) in
            let els: [(member: Bytes, score: Double)]
            if let scoreRange {
                els = slice(z, z.ranks(in: scoreRange), offset: 0, limit: -1, reverse: false)
            } else if let lexRange {
                els = slice(z, z.ranks(in: lexRange), offset: 0, limit: -1, reverse: false)
            } else {
                els = byRank(z, start, end, reverse: false)
            }
            for e in els { z.remove(e.member) }
            return (els.count, !els.isEmpty)
        } ?? 0
        if deleted > 0 {
            let event = type == .rank ? "zremrangebyrank" : type == .score ? "zremrangebyscore" : "zremrangebylex"
            ctx.notify(.zset, event, key)
            ctx.emitVerbatim()
        }
        return .integer(Int64(deleted))
    }
}
