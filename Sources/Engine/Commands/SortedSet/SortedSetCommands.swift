import RESP

/// Sorted-set family: ZADD, ZINCRBY, ZREM and the point reads (ZSCORE, ZRANK, ZCOUNT…),
/// ZRANDMEMBER and ZSCAN. Ranges live in SortedSetRangeCommands.swift, pops in
/// SortedSetPopCommands.swift, ZUNION/ZINTER/ZDIFF in SortedSetAlgebraCommands.swift.
public enum SortedSetCommands {
    public static var specs: [CommandSpec] { basicSpecs + rangeSpecs + popSpecs + algebraSpecs }

    static let basicSpecs: [CommandSpec] = [
        CommandSpec(
            "zadd", arity: -4, flags: [.write, .denyoom, .fast], acl: [.sortedset],
            keys: [.single(1, [.RW, .update])],
            docs: CommandDocs(
                "Add one or more members to a sorted set, or update its score if it already exists", since: "1.2.0", group: "sorted-set",
                complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
                syntax: "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]"),
            handler: zadd),
        CommandSpec(
            "zincrby", arity: 4, flags: [.write, .denyoom, .fast], acl: [.sortedset],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs(
                "Increment the score of a member in a sorted set", since: "1.2.0", group: "sorted-set",
                complexity: "O(log(N)) where N is the number of elements in the sorted set.",
                syntax: "key increment member"),
            handler: zincrby),
        CommandSpec(
            "zrem", arity: -3, flags: [.write, .fast], acl: [.sortedset],
            keys: [.single(1, [.RW, .delete])],
            docs: CommandDocs(
                "Remove one or more members from a sorted set", since: "1.2.0", group: "sorted-set",
                complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
                syntax: "key member [member ...]"),
            handler: zrem),
        CommandSpec(
            "zcard", arity: 2, flags: [.readonly, .fast], acl: [.sortedset],
            keys: [.single(1, [.RO])],
            docs: CommandDocs(
                "Get the number of members in a sorted set", since: "1.2.0", group: "sorted-set",
                complexity: "O(1)",
                syntax: "key"),
            handler: zcard),
        CommandSpec(
            "zscore", arity: 3, flags: [.readonly, .fast], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get the score associated with the given member in a sorted set", since: "1.2.0", group: "sorted-set",
                complexity: "O(1)",
                syntax: "key member"),
            handler: zscore),
        CommandSpec(
            "zmscore", arity: -3, flags: [.readonly, .fast], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get the score associated with the given members in a sorted set", since: "6.2.0", group: "sorted-set",
                complexity: "O(N) where N is the number of members being requested.",
                syntax: "key member [member ...]"),
            handler: zmscore),
        CommandSpec(
            "zrank", arity: 3, flags: [.readonly, .fast], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Determine the index of a member in a sorted set", since: "2.0.0", group: "sorted-set",
                complexity: "O(log(N))",
                syntax: "key member"),
            handler: zrank),
        CommandSpec(
            "zrevrank", arity: 3, flags: [.readonly, .fast], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Determine the index of a member in a sorted set, with scores ordered from high to low", since: "2.0.0", group: "sorted-set",
                complexity: "O(log(N))",
                syntax: "key member"),
            handler: zrevrank),
        CommandSpec(
            "zcount", arity: 4, flags: [.readonly, .fast], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Count the members in a sorted set with scores within the given values", since: "2.0.0", group: "sorted-set",
                complexity: "O(log(N)) with N being the number of elements in the sorted set.",
                syntax: "key min max"),
            handler: zcount),
        CommandSpec(
            "zlexcount", arity: 4, flags: [.readonly, .fast], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Count the number of members in a sorted set between a given lexicographical range", since: "2.8.9", group: "sorted-set",
                complexity: "O(log(N)) with N being the number of elements in the sorted set.",
                syntax: "key min max"),
            handler: zlexcount),
        CommandSpec(
            "zrandmember", arity: -2, flags: [.readonly], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get one or multiple random elements from a sorted set", since: "6.2.0", group: "sorted-set",
                complexity: "O(N) where N is the number of elements returned",
                syntax: "key [count [WITHSCORES]]"),
            handler: zrandmember),
        CommandSpec(
            "zscan", arity: -3, flags: [.readonly], acl: [.sortedset],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Incrementally iterate sorted sets elements and associated scores", since: "2.8.0", group: "sorted-set",
                complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
                syntax: "key cursor [MATCH pattern] [COUNT count]"),
            handler: zscan),
    ]

    // MARK: shared helpers

    static func isResp3(_ ctx: CommandContext) -> Bool { ctx.client.resp == .resp3 }

    /// Members with their scores: RESP2 a flat array, RESP3 an array of [member, score] pairs.
    static func renderWithScores(_ els: [(member: Bytes, score: Double)], resp3: Bool) -> RESPValue {
        if resp3 { return .array(els.map { .array([.bulk($0.member), .double($0.score)]) }) }
        var out: [RESPValue] = []
        out.reserveCapacity(els.count * 2)
        for e in els {
            out.append(.bulk(e.member))
            out.append(.double(e.score))
        }
        return .array(out)
    }

    static func renderMembers(_ els: [(member: Bytes, score: Double)]) -> RESPValue {
        .array(els.map { .bulk($0.member) })
    }

    static func parseScoreRange(_ min: Bytes, _ max: Bytes) throws -> ScoreRange {
        guard let r = ScoreRange.parse(min, max) else { throw RedisError("min or max is not a float") }
        return r
    }

    static func parseLexRange(_ min: Bytes, _ max: Bytes) throws -> LexRange {
        guard let r = LexRange.parse(min, max) else { throw RedisError("min or max not valid string range item") }
        return r
    }

    /// Redis's d2string: integral values in integer form, others `%.17g` (ZSCAN, listpack).
    public static func d2string(_ v: Double) -> Bytes {
        if v.isNaN { return Bytes("nan") }
        if v.isInfinite { return v > 0 ? Bytes("inf") : Bytes("-inf") }
        if v == 0 { return v.sign == .minus ? Bytes("-0") : Bytes("0") }
        if v > -4503599627370495 && v < 4503599627370496 && v == v.rounded(.towardZero) {
            return Numbers.format(Int64(v))
        }
        return Numbers.formatDouble(v)
    }

    // MARK: ZADD / ZINCRBY

    struct AddFlags {
        var nx = false, xx = false, gt = false, lt = false, ch = false, incr = false
        /// Plain add-or-update: no condition on the current score.
        var unconditional: Bool { !(nx || xx || gt || lt || incr) }
    }

    static func zadd(_ ctx: inout CommandContext) throws -> RESPValue {
        var f = AddFlags()
        var i = 2
        while i < ctx.argv.count {
            let o = ctx.argv[i]
            if o.equalsIgnoringCase("NX") { f.nx = true }
            else if o.equalsIgnoringCase("XX") { f.xx = true }
            else if o.equalsIgnoringCase("CH") { f.ch = true }
            else if o.equalsIgnoringCase("INCR") { f.incr = true }
            else if o.equalsIgnoringCase("GT") { f.gt = true }
            else if o.equalsIgnoringCase("LT") { f.lt = true }
            else { break }
            i += 1
        }
        return try addGeneric(&ctx, flags: f, scoreIndex: i)
    }

    static func zincrby(_ ctx: inout CommandContext) throws -> RESPValue {
        var f = AddFlags()
        f.incr = true
        return try addGeneric(&ctx, flags: f, scoreIndex: 2)
    }

    /// Redis's zaddGenericCommand (ZADD and ZINCRBY).
    static func addGeneric(_ ctx: inout CommandContext, flags f: AddFlags, scoreIndex: Int) throws -> RESPValue {
        let key = ctx.argv[1]
        let n = ctx.argv.count - scoreIndex
        if n % 2 != 0 || n == 0 { throw RedisError.syntax }
        let pairs = n / 2
        if f.nx && f.xx { throw RedisError("XX and NX options at the same time are not compatible") }
        if (f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt) {
            throw RedisError("GT, LT, and/or NX options at the same time are not compatible")
        }
        if f.incr && pairs > 1 { throw RedisError("INCR option supports a single increment-element pair") }
        var scores: [Double] = []
        scores.reserveCapacity(pairs)
        for j in 0..<pairs {
            guard let s = Numbers.parseDouble(ctx.argv[scoreIndex + 2 * j]) else { throw RedisError.notFloat }
            scores.append(s)
        }
        var added = 0, updated = 0, processed = 0
        var last = 0.0
        let argv = ctx.argv
        var nanError = false
        // XX never creates the key: a missing one changes nothing.
        let existed = try ctx.mutate(key, as: SortedSetValue.self, create: !f.xx) { z -> (Void, Bool) in
            if z.isEmpty { z.reserve(pairs) }
            for j in 0..<pairs {
                var score = scores[j]
                let member = argv[scoreIndex + 2 * j + 1]
                if f.unconditional {
                    if let old = z.upsert(member, score) {
                        if old != score { updated += 1 }
                    } else {
                        added += 1
                    }
                    processed += 1
                    last = score
                } else if let cur = z.score(member) {
                    if f.nx { continue }
                    if f.incr {
                        score += cur
                        if score.isNaN { nanError = true; break }
                    }
                    if (f.lt && score >= cur) || (f.gt && score <= cur) { continue }
                    last = score
                    processed += 1
                    if score != cur {
                        z.set(member, score)
                        updated += 1
                    }
                } else if !f.xx {
                    z.set(member, score)
                    added += 1
                    processed += 1
                    last = score
                }
            }
            return ((), added + updated > 0)
        }
        if existed == nil { return f.incr ? .null : .integer(0) }
        if added + updated > 0 {
            ctx.notify(.zset, f.incr ? "zincr" : "zadd", key)
            if f.incr {
                ctx.emit([EffectWord.zadd, key, Numbers.formatDouble(last), argv[scoreIndex + 1]])
            } else {
                ctx.emitVerbatim()
            }
        }
        if nanError { throw RedisError("resulting score is not a number (NaN)") }
        if f.incr { return processed > 0 ? .double(last) : .null }
        return .integer(Int64(f.ch ? added + updated : added))
    }

    // MARK: ZREM

    static func zrem(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let members = ctx.argv[2...]
        let removed = try ctx.mutate(key, as: SortedSetValue.self, create: false) { z -> (Int, Bool) in
            var n = 0
            for m in members where z.remove(m) { n += 1 }
            return (n, n > 0)
        } ?? 0
        if removed > 0 {
            ctx.notify(.zset, "zrem", key)
            ctx.emitVerbatim()
        }
        return .integer(Int64(removed))
    }

    // MARK: reads

    static func zcard(_ ctx: inout CommandContext) throws -> RESPValue {
        .integer(Int64(try ctx.read(ctx.argv[1], as: SortedSetValue.self)?.count ?? 0))
    }

    static func zscore(_ ctx: inout CommandContext) throws -> RESPValue {
        guard let z = try ctx.read(ctx.argv[1], as: SortedSetValue.self), let s = z.score(ctx.argv[2]) else { return .null }
        return .double(s)
    }

    static func zmscore(_ ctx: inout CommandContext) throws -> RESPValue {
        let z = try ctx.read(ctx.argv[1], as: SortedSetValue.self)
        return .array(ctx.argv[2...].map { m in z?.score(m).map { .double($0) } ?? .null })
    }

    static func zrank(_ ctx: inout CommandContext) throws -> RESPValue { try rankGeneric(&ctx, reverse: false) }
    static func zrevrank(_ ctx: inout CommandContext) throws -> RESPValue { try rankGeneric(&ctx, reverse: true) }

    static func rankGeneric(_ ctx: inout CommandContext, reverse: Bool) throws -> RESPValue {
        guard let z = try ctx.read(ctx.argv[1], as: SortedSetValue.self), let r = z.rank(ctx.argv[2]) else { return .null }
        return .integer(Int64(reverse ? z.count - 1 - r : r))
    }

    static func zcount(_ ctx: inout CommandContext) throws -> RESPValue {
        let range = try parseScoreRange(ctx.argv[2], ctx.argv[3])
        guard let z = try ctx.read(ctx.argv[1], as: SortedSetValue.self) else { return .integer(0) }
        return .integer(Int64(z.ranks(in: range).count))
    }

    static func zlexcount(_ ctx: inout CommandContext) throws -> RESPValue {
        let range = try parseLexRange(ctx.argv[2], ctx.argv[3])
        guard let z = try ctx.read(ctx.argv[1], as: SortedSetValue.self) else { return .integer(0) }
        return .integer(Int64(z.ranks(in: range).count))
    }

    // MARK: ZRANDMEMBER

    static func zrandmember(_ ctx: inout CommandContext) throws -> RESPValue {
        let argv = ctx.argv
        if argv.count >= 3 {
            guard let l = Numbers.parseInt(argv[2]) else { throw RedisError.notInteger }
            if l == Int64.min {
                throw RedisError("value is out of range, value must between -9223372036854775807 and 9223372036854775807")
            }
            var withScores = false
            if argv.count > 4 || (argv.count == 4 && !argv[3].equalsIgnoringCase("WITHSCORES")) {
                throw RedisError.syntax
            } else if argv.count == 4 {
                withScores = true
                if l < -(Int64.max / 2) || l > Int64.max / 2 { throw RedisError("value is out of range") }
            }
            return try randomWithCount(&ctx, l, withScores: withScores)
        }
        guard let z = try ctx.read(argv[1], as: SortedSetValue.self) else { return .null }
        var rng = ctx.engine.rng
        return .bulk(z.randomElement(using: &rng)!.member)
    }

    static func randomWithCount(_ ctx: inout CommandContext, _ l: Int64, withScores: Bool) throws -> RESPValue {
        guard let z = try ctx.read(ctx.argv[1], as: SortedSetValue.self), !z.isEmpty, l != 0 else { return .emptyArray }
        let resp3 = isResp3(ctx)
        func render(_ els: [(member: Bytes, score: Double)]) -> RESPValue {
            withScores ? renderWithScores(els, resp3: resp3) : renderMembers(els)
        }
        var rng = ctx.engine.rng
        let uniq = l > 0
        let count = Int(l.magnitude)
        if !uniq || count == 1 {
            var out: [(member: Bytes, score: Double)] = []
            out.reserveCapacity(count)
            for _ in 0..<count { out.append(z.randomElement(using: &rng)!) }
            return render(out)
        }
        if count >= z.count {
            // The whole set, walked from the highest rank down as Redis's iterator does.
            var all: [(member: Bytes, score: Double)] = []
            z.forEachDescending { all.append(($0, $1)) }
            return render(all)
        }
        // A random subset without repeats, in random order.
        var picked = HashTable<Bool>()
        var out: [(member: Bytes, score: Double)] = []
        out.reserveCapacity(count)
        if count * 3 > z.count {
            var all = z.sorted
            all.shuffle(using: &rng)
            out = Array(all.prefix(count))
        } else {
            while out.count < count {
                let e = z.randomElement(using: &rng)!
                if picked.set(e.member, true) == nil { out.append(e) }
            }
        }
        return render(out)
    }

    // MARK: ZSCAN

    static func zscan(_ ctx: inout CommandContext) throws -> RESPValue {
        let cursor = try CollectionScan.cursor(ctx.argv[2])
        let o = try CollectionScan.Options(ctx.argv, from: 3)
        guard let z = try ctx.read(ctx.argv[1], as: SortedSetValue.self) else {
            return .array([.bulk(Bytes("0")), .emptyArray])
        }
        var found: [(Bytes, Double)] = []
        let next = z.scan(cursor: cursor, count: o.count) { m, s in found.append((m, s)) }
        var out: [RESPValue] = []
        for (m, s) in found where o.matches(m) {
            out.append(.bulk(m))
            out.append(.bulk(d2string(s)))
        }
        return CollectionScan.reply(next, out)
    }
}
