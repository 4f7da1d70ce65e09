import RESP

/// Sorted-set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (sets count
/// as sorted sets whose scores are all 1).
extension SortedSetCommands {
    static let algebraSpecs: [CommandSpec] = [
        CommandSpec(
            "zunion", arity: -3, flags: [.readonly], acl: [.sortedset],
            keys: [.keynum(1, [.RO, .access])],
            docs: CommandDocs(
                "Add multiple sorted sets", since: "6.2.0", group: "sorted-set",
                complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
                syntax: "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]"),
            handler: { ctx in try algebra(&ctx, store: false, op: .union) }),
        CommandSpec(
            "zunionstore", arity: -4, flags: [.write, .denyoom], acl: [.sortedset],
            keys: [.single(1, [.OW, .update]), .keynum(2, [.RO, .access])],
            docs: CommandDocs(
                "Add multiple sorted sets and store the resulting sorted set in a new key", since: "2.0.0", group: "sorted-set",
                complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
                syntax: "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]"),
            handler: { ctx in try algebra(&ctx, store: true, op: .union) }),
        CommandSpec(
            "zinter", arity: -3, flags: [.readonly], acl: [.sortedset],
            keys: [.keynum(1, [.RO, .access])],
            docs: CommandDocs(
                "Intersect multiple sorted sets", since: "6.2.0", group: "sorted-set",
                complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
                syntax: "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]"),
            handler: { ctx in try algebra(&ctx, store: false, op: .inter) }),
        CommandSpec(
            "zinterstore", arity: -4, flags: [.write, .denyoom], acl: [.sortedset],
            keys: [.single(1, [.OW, .update]), .keynum(2, [.RO, .access])],
            docs: CommandDocs(
                "Intersect multiple sorted sets and store the resulting sorted set in a new key", since: "2.0.0", group: "sorted-set",
                complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
                syntax: "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]"),
            handler: { ctx in try algebra(&ctx, store: true, op: .inter) }),
        CommandSpec(
            "zintercard", arity: -3, flags: [.readonly], acl: [.sortedset],
            keys: [.keynum(1, [.RO, .access])],
            docs: CommandDocs(
                "Intersect multiple sorted sets and return the cardinality of the result", since: "7.0.0", group: "sorted-set",
                complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
                syntax: "numkeys key [key ...] [LIMIT limit]"),
            handler: { ctx in try algebra(&ctx, store: false, op: .inter, cardinalityOnly: true) }),
        CommandSpec(
            "zdiff", arity: -3, flags: [.readonly], acl: [.sortedset],
            keys: [.keynum(1, [.RO, .access])],
            docs: CommandDocs(
                "Subtract multiple sorted sets", since: "6.2.0", group: "sorted-set",
                complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
                syntax: "numkeys key [key ...] [WITHSCORES]"),
            handler: { ctx in try algebra(&ctx, store: false, op: .diff) }),
        CommandSpec(
            "zdiffstore", arity: -4, flags: [.write, .denyoom], acl: [.sortedset],
            keys: [.single(1, [.OW, .update]), .keynum(2, [.RO, .access])],
            docs: CommandDocs(
                "Subtract multiple sorted sets and store the resulting sorted set in a new key", since: "6.2.0", group: "sorted-set",
                complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
                syntax: "destination numkeys key [key ...]"),
            handler: { ctx in try algebra(&ctx, store: true, op: .diff) }),
    ]

    enum SetOperation { case union, inter, diff }
    enum Aggregate { case sum, min, max }

    /// An input of ZUNION/ZINTER/ZDIFF: a sorted set, or a set whose members count as score 1.
    enum AlgebraSource {
        case missing
        case zset(SortedSetValue)
        case set(SetValue)

        var count: Int {
            switch self {
            case .missing: return 0
            case .zset(let z): return z.count
            case .set(let s): return s.count
            }
        }

        func score(_ member: Bytes) -> Double? {
            switch self {
            case .missing: return nil
            case .zset(let z): return z.score(member)
            case .set(let s): return s.contains(member) ? 1 : nil
            }
        }

        func forEach(_ body: (Bytes, Double) -> Void) {
            switch self {
            case .missing: return
            case .zset(let z): z.forEach(body)
            case .set(let s): s.forEach { m in body(m, 1) }
            }
        }
    }

    @inline(__always) static func aggregate(_ target: inout Double, _ v: Double, _ how: Aggregate) {
        switch how {
        case .sum:
            target += v
            if target.isNaN { target = 0 }  // inf + -inf, as Redis
        case .min: target = Swift.min(target, v)
        case .max: target = Swift.max(target, v)
        }
    }

    /// Redis's zunionInterDiffGenericCommand: ZUNION/ZINTER/ZDIFF, their STORE forms and ZINTERCARD.
    static func algebra(_ ctx: inout CommandContext, store: Bool, op: SetOperation, cardinalityOnly: Bool = false) throws -> RESPValue {
        let argv = ctx.argv
        let numkeysIndex = store ? 2 : 1
        let setnum = try argv[numkeysIndex].int()
        if setnum < 1 { throw RedisError("at least 1 input key is needed for '\(ctx.spec.fullName)' command") }
        if setnum > Int64(argv.count - (numkeysIndex + 1)) { throw RedisError.syntax }
        let n = Int(setnum)
        var sources: [AlgebraSource] = []
        sources.reserveCapacity(n)
        var j = numkeysIndex + 1
        for _ in 0..<n {
            let key = argv[j]
            if let e = store ? ctx.lookup(key) : ctx.lookupRead(key) {
                switch e.value {
                case .zset(let z): sources.append(.zset(z))
                case .set(let s): sources.append(.set(s))
                default: throw RedisError.wrongType
                }
            } else {
                sources.append(.missing)
            }
            j += 1
        }
        var weights = [Double](repeating: 1, count: n)
        var how = Aggregate.sum
        var withScores = false
        var limit: Int64 = 0
        while j < argv.count {
            let remaining = argv.count - j
            let a = argv[j]
            if op != .diff && !cardinalityOnly && remaining >= n + 1 && a.equalsIgnoringCase("WEIGHTS") {
                j += 1
                for i in 0..<n {
                    guard let w = Numbers.parseDouble(argv[j]) else { throw RedisError("weight value is not a float") }
                    weights[i] = w
                    j += 1
                }
            } else if op != .diff && !cardinalityOnly && remaining >= 2 && a.equalsIgnoringCase("AGGREGATE") {
                let v = argv[j + 1]
                if v.equalsIgnoringCase("SUM") { how = .sum }
                else if v.equalsIgnoringCase("MIN") { how = .min }
                else if v.equalsIgnoringCase("MAX") { how = .max }
                else { throw RedisError.syntax }
                j += 2
            } else if !store && !cardinalityOnly && a.equalsIgnoringCase("WITHSCORES") {
                withScores = true
                j += 1
            } else if cardinalityOnly && remaining >= 2 && a.equalsIgnoringCase("LIMIT") {
                guard let l = Numbers.parseInt(argv[j + 1]) else { throw RedisError.notInteger }
                if l < 0 { throw RedisError("LIMIT can't be negative") }
                limit = l
                j += 2
            } else {
                throw RedisError.syntax
            }
        }

        var result = HashTable<Double>()
        var cardinality = 0
        switch op {
        case .union:
            // Smallest first, as Redis orders its inputs.
            let order = (0..<n).sorted { (sources[$0].count, $0) < (sources[$1].count, $1) }
            for i in order {
                let w = weights[i]
                sources[i].forEach { m, s in
                    var v = w * s
                    if v.isNaN { v = 0 }
                    if result.update(m, hash: HashTable<Double>.hash(m), { aggregate(&$0, v, how) }) == nil {
                        result.set(m, v)
                    }
                }
            }
        case .inter:
            let order = (0..<n).sorted { (sources[$0].count, $0) < (sources[$1].count, $1) }
            if sources[order[0]].count > 0 {
                sources[order[0]].forEach { m, s in
                    if cardinalityOnly && limit > 0 && cardinality >= Int(limit) { return }
                    var v = weights[order[0]] * s
                    if v.isNaN { v = 0 }
                    for k in order.dropFirst() {
                        guard let other = sources[k].score(m) else { return }
                        var o = weights[k] * other
                        if o.isNaN { o = 0 }
                        aggregate(&v, o, how)
                    }
                    if cardinalityOnly {
                        cardinality += 1
                    } else {
                        result.set(m, v)
                    }
                }
            }
        case .diff:
            sources[0].forEach { m, s in
                for k in 1..<n where sources[k].score(m) != nil { return }
                result.set(m, s)
            }
        }

        if cardinalityOnly { return .integer(Int64(cardinality)) }
        var pairs: [(Bytes, Double)] = []
        pairs.reserveCapacity(result.count)
        result.forEach { m, s in pairs.append((m, s)) }
        let z = SortedSetValue(pairs)
        if store {
            let dest = argv[1]
            if z.isEmpty {
                if ctx.delete(dest) {
                    ctx.notify(.generic, "del", dest)
                    ctx.emitVerbatim()
                }
                return .integer(0)
            }
            ctx.set(dest, Entry(value: .zset(z)))
            ctx.notify(.zset, op == .union ? "zunionstore" : op == .inter ? "zinterstore" : "zdiffstore", dest)
            ctx.emitVerbatim()
            return .integer(Int64(z.count))
        }
        return withScores ? renderWithScores(z.sorted, resp3: isResp3(ctx)) : renderMembers(z.sorted)
    }
}
