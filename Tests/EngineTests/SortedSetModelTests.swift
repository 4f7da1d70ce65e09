import Testing

@testable import Engine

/// The sorted set, in both its encodings, against a sorted array of (score, member).
@Suite struct SortedSetModelTests {
    struct SeededRNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func less(_ a: (Bytes, Double), _ b: (Bytes, Double)) -> Bool {
        a.1 < b.1 || (a.1 == b.1 && a.0.lexicographicallyPrecedes(b.0))
    }

    /// 300 members grow the set past the listpack limit (skiplist); 60 keep it a listpack.
    @Test(arguments: [300, 60]) func matchesSortedArrayModel(distinctMembers: Int) {
        var rng = SeededRNG(state: 42)
        var z = SortedSetValue()
        var model: [(Bytes, Double)] = []
        let members = (0..<distinctMembers).map { i -> Bytes in
            // Prefixes and shared prefixes exercise the bytewise tie-break, and so do zero bytes
            // and bytes above 0x7F within the first four (the skiplist orders by a zero-padded
            // 4-byte prefix before it compares whole members).
            let base = Bytes("m\(i % 37)")
            switch i % 6 {
            case 0, 3: return base
            case 1: return base + [0] + Bytes("\(i)")
            case 2: return [0xFF] + base + Bytes("\(i)")
            case 4: return Bytes(base.prefix(1)) + Bytes(repeating: 0, count: i % 5)
            default: return base + Bytes("\(i)")
            }
        }
        var snapshot: (SortedSetValue, [(Bytes, Double)])?
        for step in 0..<6000 {
            let m = members[Int.random(in: 0..<members.count, using: &rng)]
            let score = Double(Int.random(in: -20...20, using: &rng)) / 2  // many ties
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6:
                let added = z.set(m, score)
                if let i = model.firstIndex(where: { $0.0 == m }) {
                    #expect(!added)
                    model[i].1 = score
                } else {
                    #expect(added)
                    model.append((m, score))
                }
                model.sort(by: Self.less)
            case 6:
                // ZPOPMIN / ZPOPMAX: the skiplist's first node is unlinked without a search.
                let max = Bool.random(using: &rng)
                let popped = z.pop(max: max)
                let expected = max ? model.popLast() : (model.isEmpty ? nil : model.removeFirst())
                #expect(popped?.member == expected?.0 && popped?.score == expected?.1)
            case 7:
                let removed = z.remove(m)
                let i = model.firstIndex(where: { $0.0 == m })
                #expect(removed == (i != nil))
                if let i { model.remove(at: i) }
            default:
                if step % 500 == 9 { snapshot = (z, model) }
            }
            #expect(z.count == model.count)
            if step % 97 == 0 { check(z, model, &rng) }
        }
        check(z, model, &rng)
        #expect(z.encoding == (distinctMembers > SortedSetValue.maxListpackEntries ? "skiplist" : "listpack"))
        // Copies taken earlier are unaffected by later writes (value semantics).
        if let (old, oldModel) = snapshot { check(old, oldModel, &rng) }
    }

    func check(_ z: SortedSetValue, _ model: [(Bytes, Double)], _ rng: inout SeededRNG) {
        #expect(z.sorted.map(\.member) == model.map(\.0))
        #expect(z.sorted.map(\.score) == model.map(\.1))
        var desc: [Bytes] = []
        z.forEachDescending { m, _ in desc.append(m) }
        #expect(desc == model.reversed().map(\.0))
        for (i, e) in model.enumerated() {
            #expect(z.rank(e.0) == i)
            #expect(z.score(e.0) == e.1)
            #expect(z.element(atRank: i)?.member == e.0)
        }
        #expect(z.element(atRank: model.count) == nil)
        // Unbounded limits and out-of-range starts, as ZRANGE … LIMIT 0 -1 asks.
        #expect(z.elements(fromRank: 0, limit: .max, reverse: false).map(\.member) == model.map(\.0))
        #expect(z.elements(fromRank: model.count - 1, limit: .max, reverse: true).map(\.member) == model.reversed().map(\.0))
        #expect(z.elements(fromRank: model.count, limit: 5, reverse: false).isEmpty)
        #expect(z.elements(fromRank: -1, limit: 5, reverse: true).isEmpty)
        for _ in 0..<20 {
            let a = Double(Int.random(in: -22...22, using: &rng)) / 2
            let b = Double(Int.random(in: -22...22, using: &rng)) / 2
            let r = ScoreRange(min: a, max: b, minExclusive: Bool.random(using: &rng), maxExclusive: Bool.random(using: &rng))
            let expected = model.filter { r.contains($0.1) }.map(\.0)
            let ranks = z.ranks(in: r)
            #expect(z.elements(fromRank: ranks.lowerBound, limit: ranks.count, reverse: false).map(\.member) == expected)
            if !ranks.isEmpty {
                #expect(z.elements(fromRank: ranks.upperBound - 1, limit: ranks.count, reverse: true).map(\.member) == expected.reversed())
            }
        }
    }

    @Test func lexRangesOnEqualScores() {
        var z = SortedSetValue()
        let words = ["", "a", "aa", "ab", "b", "ba", "c", "\u{7f}", "\u{e9}"]
        for w in words { z.set(Bytes(w), 0) }
        let sortedWords = words.map { Bytes($0) }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(z.sorted.map(\.member) == sortedWords)
        let r = LexRange.parse(Bytes("[a"), Bytes("(b"))!
        let ranks = z.ranks(in: r)
        #expect(z.elements(fromRank: ranks.lowerBound, limit: ranks.count, reverse: false).map(\.member.text) == ["a", "aa", "ab"])
        #expect(z.ranks(in: LexRange.parse(Bytes("-"), Bytes("+"))!).count == words.count)
        #expect(z.ranks(in: LexRange.parse(Bytes("+"), Bytes("-"))!).isEmpty)
        #expect(z.ranks(in: LexRange.parse(Bytes("(a"), Bytes("[a"))!).isEmpty)
        #expect(LexRange.parse(Bytes("a"), Bytes("+")) == nil)
        #expect(LexRange.parse(Bytes("+a"), Bytes("+")) == nil)
    }

    @Test func encodingFollowsRedisThresholds() {
        var z = SortedSetValue()
        for i in 0..<128 { z.set(Bytes("m\(i)"), Double(i)) }
        #expect(z.encoding == "listpack")
        z.set(Bytes("one-more"), 1)
        #expect(z.encoding == "skiplist")
        #expect(z.count == 129 && z.rank(Bytes("one-more")) == 2 && z.score(Bytes("m127")) == 127)
        for i in 0..<120 { z.remove(Bytes("m\(i)")) }
        #expect(z.encoding == "skiplist")  // one-way, like Redis
        var l = SortedSetValue()
        l.set(Bytes(String(repeating: "x", count: 64)), 1)
        #expect(l.encoding == "listpack")
        l.set(Bytes(String(repeating: "x", count: 65)), 1)
        #expect(l.encoding == "skiplist")
        #expect(SortedSetValue([(Bytes("a"), 1)]).encoding == "listpack")
    }
}
