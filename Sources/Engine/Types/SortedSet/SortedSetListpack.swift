/// A small sorted set (what Redis keeps as a listpack): its elements in (score, member) order
/// in one array. A member is found by scanning short hash tags, so a lookup reads no member
/// bytes but the one it finds; order questions are binary searches.
/// One allocation for the whole set, where a skiplist and a hash table cost seven: the many
/// small sorted sets of a keyspace (a leaderboard per user, a queue per job) stay cache-friendly.
struct SortedSetListpack {
    struct Element {
        var score: Double
        var tag: UInt32
        var member: Bytes
    }

    private(set) var elements: [Element] = []
    var count: Int { elements.count }

    @inline(__always) static func tag(_ member: Bytes) -> UInt32 { UInt32(truncatingIfNeeded: KeyHash.hash(member)) }

    func index(of member: Bytes) -> Int? {
        let tag = Self.tag(member)
        return elements.withUnsafeBufferPointer { p in
            for i in p.indices where p[i].tag == tag && p[i].member == member { return i }
            return nil
        }
    }

    func score(_ member: Bytes) -> Double? { index(of: member).map { elements[$0].score } }

    /// How many leading elements satisfy `pred` (which must hold for a prefix of the order).
    func countPrefix(_ pred: (Double, Bytes) -> Bool) -> Int {
        elements.withUnsafeBufferPointer { p in
            var lo = 0
            var hi = p.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if pred(p[mid].score, p[mid].member) { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    /// Where (score, member) belongs: after every element that orders before it.
    private func position(_ score: Double, _ member: Bytes) -> Int {
        countPrefix { s, m in s < score || (s == score && compareMembers(m, member) < 0) }
    }

    /// Adds or updates; returns the previous score, nil if the member was added.
    mutating func upsert(_ member: Bytes, _ score: Double) -> Double? {
        guard let i = index(of: member) else {
            elements.insert(Element(score: score, tag: Self.tag(member), member: member), at: position(score, member))
            return nil
        }
        let old = elements[i].score
        if old == score { return old }
        let element = elements.remove(at: i)
        elements.insert(Element(score: score, tag: element.tag, member: element.member), at: position(score, member))
        return old
    }

    /// Removes a member; returns its score, nil if it was not there.
    mutating func remove(_ member: Bytes) -> Double? {
        guard let i = index(of: member) else { return nil }
        return elements.remove(at: i).score
    }

    /// Removes the first element (or the last).
    mutating func pop(last: Bool) -> Element? {
        if elements.isEmpty { return nil }
        return last ? elements.removeLast() : elements.removeFirst()
    }
}
