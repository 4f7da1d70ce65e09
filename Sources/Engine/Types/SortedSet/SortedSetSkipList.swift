#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Redis's member order: bytewise (memcmp), a prefix before its extensions.
@inline(__always) func compareMembers(_ a: Bytes, _ b: Bytes) -> Int {
    let n = Swift.min(a.count, b.count)
    if n > 0 {
        let c = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in memcmp(pa.baseAddress!, pb.baseAddress!, n) }
        }
        if c != 0 { return Int(c) }
    }
    return a.count - b.count
}

/// (score, member) order of a sorted set.
@inline(__always) func precedes(_ s1: Double, _ m1: Bytes, _ s2: Double, _ m2: Bytes) -> Bool {
    s1 < s2 || (s1 == s2 && compareMembers(m1, m2) < 0)
}

/// A skiplist with spans (Redis's zskiplist) stored in arrays, so it is a value type whose
/// copies share storage until one of them changes (copy-on-write through the arrays).
/// Node 0 is the header; 0 also means "no node" in links. Ranks are 0-based.
struct SortedSetSkipList {
    struct Level {
        var forward: Int32
        var span: Int
    }

    struct Node {
        var member: Bytes
        var score: Double
        var backward: Int32
        var levels: [Level]
    }

    static let maxLevel = 32

    private(set) var nodes: [Node]
    private var free: [Int32] = []
    private(set) var tail: Int32 = 0
    private var level = 1
    private(set) var count = 0
    private var rng: UInt64 = 0x9E37_79B9_7F4A_7C15

    init() {
        nodes = [Node(member: [], score: 0, backward: 0, levels: Array(repeating: Level(forward: 0, span: 0), count: Self.maxLevel))]
    }

    @inline(__always) func member(_ x: Int32) -> Bytes { nodes[Int(x)].member }
    @inline(__always) func score(_ x: Int32) -> Double { nodes[Int(x)].score }
    @inline(__always) func next(_ x: Int32) -> Int32 { nodes[Int(x)].levels[0].forward }
    @inline(__always) func previous(_ x: Int32) -> Int32 { nodes[Int(x)].backward }
    var first: Int32 { nodes[0].levels[0].forward }

    private mutating func randomLevel() -> Int {
        var l = 1
        while l < Self.maxLevel {
            rng ^= rng << 13
            rng ^= rng >> 7
            rng ^= rng << 17
            if (rng & 0xFFFF) >= 0x4000 { break }  // p = 1/4, as Redis
            l += 1
        }
        return l
    }

    /// Walks down to the last node before (score, member) on every level: `update[i]` gets
    /// that node, `rank[i]` its rank. Reads the nodes through their buffer (no copies, no
    /// retains of members or level arrays on the way: this loop is where ZADD spends its time).
    @inline(__always)
    private func findPredecessors(_ score: Double, _ member: Bytes, _ update: UnsafeMutablePointer<Int32>,
                                  _ rank: UnsafeMutablePointer<Int>) {
        nodes.withUnsafeBufferPointer { p in
            var x: Int32 = 0
            for i in stride(from: level - 1, through: 0, by: -1) {
                rank[i] = i == level - 1 ? 0 : rank[i + 1]
                while true {
                    let level = p[Int(x)].levels[i]
                    let f = level.forward
                    if f == 0 { break }
                    // The score decides unless equal: the member's bytes are touched only then.
                    let fs = p[Int(f)].score
                    if fs > score || (fs == score && compareMembers(p[Int(f)].member, member) >= 0) { break }
                    rank[i] += level.span
                    x = f
                }
                update[i] = x
            }
        }
    }

    /// Inserts a member that is not present.
    mutating func insert(_ member: Bytes, _ score: Double) {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.maxLevel) { u in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: Self.maxLevel) { r in
                insert(member, score, update: u.baseAddress!, rank: r.baseAddress!)
            }
        }
    }

    private mutating func insert(_ member: Bytes, _ score: Double, update: UnsafeMutablePointer<Int32>, rank: UnsafeMutablePointer<Int>) {
        findPredecessors(score, member, update, rank)
        let lvl = randomLevel()
        if lvl > level {
            for i in level..<lvl {
                rank[i] = 0
                update[i] = 0
                nodes[0].levels[i].span = count
            }
            level = lvl
        }
        let node = Node(member: member, score: score, backward: 0, levels: Array(repeating: Level(forward: 0, span: 0), count: lvl))
        let idx: Int32
        if let f = free.popLast() {
            idx = f
            nodes[Int(f)] = node
        } else {
            idx = Int32(nodes.count)
            nodes.append(node)
        }
        let n = Int(idx)
        nodes.withUnsafeMutableBufferPointer { p in
            for i in 0..<lvl {
                let u = Int(update[i])
                p[n].levels[i].forward = p[u].levels[i].forward
                p[u].levels[i].forward = idx
                p[n].levels[i].span = p[u].levels[i].span - (rank[0] - rank[i])
                p[u].levels[i].span = rank[0] - rank[i] + 1
            }
            if lvl < level {
                for i in lvl..<level { p[Int(update[i])].levels[i].span += 1 }
            }
            p[n].backward = update[0]
            let f0 = p[n].levels[0].forward
            if f0 != 0 { p[Int(f0)].backward = idx } else { tail = idx }
        }
        count += 1
    }

    /// Removes the member with this score; false if it is not there.
    @discardableResult
    mutating func remove(_ member: Bytes, _ score: Double) -> Bool {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.maxLevel) { u in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: Self.maxLevel) { r in
                remove(member, score, update: u.baseAddress!, rank: r.baseAddress!)
            }
        }
    }

    private mutating func remove(_ member: Bytes, _ score: Double, update: UnsafeMutablePointer<Int32>, rank: UnsafeMutablePointer<Int>) -> Bool {
        findPredecessors(score, member, update, rank)
        let target = nodes[Int(update[0])].levels[0].forward
        guard target != 0, nodes[Int(target)].score == score, nodes[Int(target)].member == member else { return false }
        let t = Int(target)
        nodes.withUnsafeMutableBufferPointer { p in
            for i in 0..<level {
                let u = Int(update[i])
                if p[u].levels[i].forward == target {
                    p[u].levels[i].span += p[t].levels[i].span - 1
                    p[u].levels[i].forward = p[t].levels[i].forward
                } else {
                    p[u].levels[i].span -= 1
                }
            }
            let f0 = p[t].levels[0].forward
            if f0 != 0 { p[Int(f0)].backward = p[t].backward } else { tail = p[t].backward }
        }
        while level > 1 && nodes[0].levels[level - 1].forward == 0 { level -= 1 }
        nodes[t] = Node(member: [], score: 0, backward: 0, levels: [])
        free.append(target)
        count -= 1
        if count == 0 {
            self = SortedSetSkipList()
        }
        return true
    }

    /// How many leading elements satisfy `pred` (which must hold for a prefix of the order).
    func countPrefix(_ pred: (Double, Bytes) -> Bool) -> Int {
        nodes.withUnsafeBufferPointer { p in
            var x: Int32 = 0
            var r = 0
            for i in stride(from: level - 1, through: 0, by: -1) {
                while true {
                    let f = p[Int(x)].levels[i].forward
                    if f == 0 || !pred(p[Int(f)].score, p[Int(f)].member) { break }
                    r += p[Int(x)].levels[i].span
                    x = f
                }
            }
            return r
        }
    }

    /// The node at a 0-based rank (0 if out of range).
    func node(atRank rank: Int) -> Int32 {
        guard rank >= 0 && rank < count else { return 0 }
        let target = rank + 1
        var x: Int32 = 0
        var traversed = 0
        for i in stride(from: level - 1, through: 0, by: -1) {
            while true {
                let f = nodes[Int(x)].levels[i].forward
                if f == 0 || traversed + nodes[Int(x)].levels[i].span > target { break }
                traversed += nodes[Int(x)].levels[i].span
                x = f
            }
            if traversed == target { return x }
        }
        return 0
    }
}
