import RESP

/// HRANDFIELD and HSCAN, plus the argument rules the collection SCAN and random-sampling
/// commands share (HSCAN/SSCAN, HRANDFIELD/SRANDMEMBER).
extension HashCommands {
    static let randomScanSpecs: [CommandSpec] = [
        CommandSpec(
            "hrandfield", arity: -2, flags: [.readonly], acl: [.hash],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get one or multiple random fields from a hash", since: "6.2.0", group: "hash",
                complexity: "O(N) where N is the number of fields returned", syntax: "key [count [WITHVALUES]]"),
            handler: hrandfield),
        CommandSpec(
            "hscan", arity: -3, flags: [.readonly], acl: [.hash],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Incrementally iterate hash fields and associated values", since: "2.8.0", group: "hash",
                complexity: CollectionScan.complexity, syntax: "key cursor [MATCH pattern] [COUNT count]"),
            handler: hscan),
    ]

    static func hrandfield(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        if ctx.argv.count == 2 {
            guard let h = try ctx.read(key, as: HashValue.self) else { return .null }
            var rng = ctx.engine.rng
            return .bulk(h.randomEntry(using: &rng)!.field)
        }
        let count = try RandomSampling.count(ctx.argv[2])
        var withValues = false
        if ctx.argv.count > 4 || (ctx.argv.count == 4 && !ctx.argv[3].equalsIgnoringCase("WITHVALUES")) {
            throw RedisError.syntax
        } else if ctx.argv.count == 4 {
            withValues = true
            if count < -(Int64.max / 2) || count > Int64.max / 2 { throw RedisError("value is out of range") }
        }
        guard let h = try ctx.read(key, as: HashValue.self) else { return .array([]) }
        var rng = ctx.engine.rng
        let picked = try RandomSampling.pick(count: count, size: h.count, using: &rng,
                                             random: { h.randomEntry(using: &$0)! }, identity: { $0.field }, all: { h.entries })
        return render(picked, withValues: withValues, resp: ctx.client.resp)
    }

    /// Fields (RESP2: flat field,value pairs; RESP3: an array of [field, value] pairs).
    static func render(_ picked: [(field: Bytes, value: Bytes)], withValues: Bool, resp: RESPVersion) -> RESPValue {
        if !withValues { return .array(picked.map { .bulk($0.field) }) }
        if resp == .resp3 { return .array(picked.map { .array([.bulk($0.field), .bulk($0.value)]) }) }
        var out: [RESPValue] = []
        out.reserveCapacity(picked.count * 2)
        for p in picked {
            out.append(.bulk(p.field))
            out.append(.bulk(p.value))
        }
        return .array(out)
    }

    static func hscan(_ ctx: inout CommandContext) throws -> RESPValue {
        let cursor = try CollectionScan.cursor(ctx.argv[2])
        guard let h = try ctx.read(ctx.argv[1], as: HashValue.self) else { return CollectionScan.empty }
        let o = try CollectionScan.Options(ctx.argv, from: 3)
        var out: [RESPValue] = []
        let next = h.scan(cursor: cursor, count: o.count) { f, v in
            if o.matches(f) {
                out.append(.bulk(f))
                out.append(.bulk(v))
            }
        }
        return CollectionScan.reply(next, out)
    }
}

/// HRANDFIELD / SRANDMEMBER with a count: Redis's rules for the count and its four cases.
enum RandomSampling {
    /// A negative count repeats picks; Redis would try to build any reply, even one that
    /// cannot fit in memory. Mnemo refuses replies of more elements than this.
    static let maxRepeatedPicks: UInt64 = 10_000_000

    static func count(_ b: Bytes) throws -> Int64 {
        guard let v = Numbers.parseInt(b) else { throw RedisError.notInteger }
        if v == Int64.min {
            throw RedisError("value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        }
        return v
    }

    /// `count` ≥ 0: that many distinct elements (all of them when count ≥ size);
    /// `count` < 0: |count| independent picks, possibly repeated.
    static func pick<E, G: RandomNumberGenerator>(
        count: Int64, size: Int, using rng: inout G, random: (inout G) -> E, identity: (E) -> Bytes, all: () -> [E]
    ) throws -> [E] {
        if count == 0 || size == 0 { return [] }
        if count < 0 {
            let n = count.magnitude
            if n > maxRepeatedPicks { throw RedisError("value is out of range") }
            return (0..<Int(n)).map { _ in random(&rng) }
        }
        if count >= Int64(size) { return all() }
        let n = Int(count)
        // Few elements wanted: sample; else shuffle a copy partially (Redis's cases 3 and 4).
        if n * 3 > size {
            var items = all()
            for i in 0..<n { items.swapAt(i, Int.random(in: i..<items.count, using: &rng)) }
            return Array(items.prefix(n))
        }
        var seen = Set<Bytes>()
        var out: [E] = []
        out.reserveCapacity(n)
        while out.count < n {
            let e = random(&rng)
            if seen.insert(identity(e)).inserted { out.append(e) }
        }
        return out
    }
}
