import Testing

@testable import Engine

/// ListValue against a plain array, under random operations with Redis's index rules.
@Suite struct ListValueModelTests {
    /// Redis's LRANGE/LTRIM clamping on a plain array.
    func clamp(_ n: Int, _ start: Int64, _ stop: Int64) -> ClosedRange<Int>? {
        var s = start < 0 ? Int64(n) + start : start
        var e = stop < 0 ? Int64(n) + stop : stop
        if s < 0 { s = 0 }
        if s > e || s >= Int64(n) { return nil }
        if e >= Int64(n) { e = Int64(n) - 1 }
        return Int(s)...Int(e)
    }

    @Test func randomOperationsMatchAnArray() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var l = ListValue()
            var model: [Bytes] = []
            for _ in 0..<2000 {
                let v = Bytes("v\(Int.random(in: 0..<8, using: &rng))")
                let i = Int64.random(in: -12...12, using: &rng)
                let j = Int64.random(in: -12...12, using: &rng)
                switch Int.random(in: 0..<10, using: &rng) {
                case 0:
                    l.push(v, to: .head)
                    model.insert(v, at: 0)
                case 1:
                    l.push(v, to: .tail)
                    model.append(v)
                case 2:
                    let n = Int.random(in: 0...3, using: &rng)
                    let got = l.pop(n, from: .head)
                    let k = min(n, model.count)
                    #expect(got == Array(model.prefix(k)))
                    model.removeFirst(k)
                case 3:
                    let n = Int.random(in: 0...3, using: &rng)
                    let got = l.pop(n, from: .tail)
                    let k = min(n, model.count)
                    #expect(got == Array(model.suffix(k).reversed()))
                    model.removeLast(k)
                case 4:
                    #expect(l.range(i, j) == clamp(model.count, i, j).map { Array(model[$0]) } ?? [])
                case 5:
                    let removed = l.trim(i, j)
                    let kept = clamp(model.count, i, j).map { Array(model[$0]) } ?? []
                    #expect(removed == model.count - kept.count)
                    model = kept
                case 6:
                    let after = Bool.random(using: &rng)
                    let pivot = Bytes("v\(Int.random(in: 0..<8, using: &rng))")
                    let ok = l.insert(v, after: after, pivot: pivot)
                    if let p = model.firstIndex(of: pivot) {
                        #expect(ok)
                        model.insert(v, at: after ? p + 1 : p)
                    } else {
                        #expect(!ok)
                    }
                case 7:
                    let count = Int64.random(in: -3...3, using: &rng)
                    let got = l.remove(v, count: count)
                    var removed = 0
                    let limit = count == 0 ? Int.max : Int(count.magnitude)
                    if count >= 0 {
                        var out: [Bytes] = []
                        for e in model { if e == v && removed < limit { removed += 1 } else { out.append(e) } }
                        model = out
                    } else {
                        var out: [Bytes] = []
                        for e in model.reversed() { if e == v && removed < limit { removed += 1 } else { out.insert(e, at: 0) } }
                        model = out
                    }
                    #expect(got == removed)
                case 8:
                    let n = Int64(model.count)
                    let k = i < 0 ? n + i : i
                    #expect(l.element(at: i) == (k >= 0 && k < n ? model[Int(k)] : nil))
                default:
                    let rank = i == 0 ? 1 : i
                    let count = Int.random(in: 0...3, using: &rng)
                    let maxlen = Int.random(in: 0...10, using: &rng)
                    var expected: [Int] = []
                    var skip = Int(rank.magnitude) - 1
                    let order = rank > 0 ? Array(model.indices) : Array(model.indices.reversed())
                    for idx in order.prefix(maxlen == 0 ? model.count : maxlen) where model[idx] == v {
                        if skip > 0 { skip -= 1; continue }
                        expected.append(idx)
                        if count != 0 && expected.count == count { break }
                    }
                    #expect(l.positions(of: v, rank: rank, count: count, maxlen: maxlen) == expected)
                }
                #expect(l.count == model.count)
            }
            #expect(Array(l.items) == model)
        }
    }
}
