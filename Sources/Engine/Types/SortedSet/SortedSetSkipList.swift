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

/// A skiplist with spans (Redis's zskiplist) laid out in one flat array of 64-bit words, so a
/// node's score and its levels share a cache line (one miss per step of a search, as Redis's
/// pointer nodes) and the whole list is a value type: a snapshot's copy shares the arrays
/// until one side changes, and that copy is a memcpy of words plus the members array.
///
/// A node is a word offset into `words`:
///   [n]      score (Double bits)
///   [n + 1]  backward node (low 32 bits) | level count (high 32 bits)
///   [n + 2]  member slot in `members`
///   [n + 3 + i]  level i: forward node (low 32 bits) | span (high 32 bits)
/// Offset 0 is the header (32 levels); 0 also means "no node" in links. Ranks are 0-based.
/// Freed nodes are kept on one free list per level count, threaded through their score word.
struct SortedSetSkipList {
    static let maxLevel = 32
    private static let headerWords = 3

    private var words: [UInt64]
    private var members: [Bytes] = []
    private var freeSlots: [UInt32] = []
    /// Head of the free list of nodes with `i + 1` levels (0 = empty).
    private var freeNodes: [UInt32]
    private(set) var tail: Int32 = 0
    private var level = 1
    private(set) var count = 0
    private var rng: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// An empty list's arrays, shared by every empty list until it is first written (CoW):
    /// a small sorted set, which never uses its skiplist, allocates nothing for it.
    private static let emptyWords: [UInt64] = {
        var w = [UInt64](repeating: 0, count: headerWords + maxLevel)
        w[1] = UInt64(maxLevel) << 32
        return w
    }()
    private static let emptyFreeNodes = [UInt32](repeating: 0, count: maxLevel)

    init() {
        words = Self.emptyWords
        freeNodes = Self.emptyFreeNodes
    }

    @inline(__always) private static func forward(_ w: UInt64) -> Int32 { Int32(truncatingIfNeeded: w & 0xFFFF_FFFF) }
    @inline(__always) private static func span(_ w: UInt64) -> Int { Int(w >> 32) }
    @inline(__always) private static func link(_ forward: Int32, _ span: Int) -> UInt64 {
        UInt64(UInt32(bitPattern: forward)) | UInt64(truncatingIfNeeded: span) << 32
    }
    @inline(__always) private static func levelWord(_ x: Int32, _ i: Int) -> Int { Int(x) + headerWords + i }

    @inline(__always) func member(_ x: Int32) -> Bytes { members[Int(words[Int(x) + 2])] }
    @inline(__always) func score(_ x: Int32) -> Double { Double(bitPattern: words[Int(x)]) }
    @inline(__always) func next(_ x: Int32) -> Int32 { Self.forward(words[Self.levelWord(x, 0)]) }
    @inline(__always) func previous(_ x: Int32) -> Int32 { Int32(truncatingIfNeeded: words[Int(x) + 1] & 0xFFFF_FFFF) }
    var first: Int32 { next(0) }

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

    /// Walks down from the header: on each level it moves forward while `advances(next, its
    /// rank + 1, words)` holds, then tells `reached` the level, the node it stopped at and that
    /// node's rank. Reads only words (no retains): ZADD spends its time in this loop.
    @inline(__always)
    private func descend(while advances: (Int32, Int, UnsafeBufferPointer<UInt64>) -> Bool,
                         _ reached: (Int, Int32, Int) -> Void) -> Int {
        words.withUnsafeBufferPointer { w in
            var x: Int32 = 0
            var r = 0
            for i in stride(from: level - 1, through: 0, by: -1) {
                while true {
                    let l = w[Self.levelWord(x, i)]
                    let f = Self.forward(l)
                    if f == 0 || !advances(f, r + Self.span(l), w) { break }
                    r += Self.span(l)
                    x = f
                }
                reached(i, x, r)
            }
            return r
        }
    }

    /// The last node before (score, member) on every level goes to `update[i]`, its rank to
    /// `rank[i]`. A member's bytes are compared only when the scores are equal.
    @inline(__always)
    private func findPredecessors(_ score: Double, _ member: Bytes, _ update: UnsafeMutablePointer<Int32>,
                                  _ rank: UnsafeMutablePointer<Int>) {
        members.withUnsafeBufferPointer { m in
            _ = descend(while: { f, _, w in
                let fs = Double(bitPattern: w[Int(f)])
                return fs < score || (fs == score && compareMembers(m[Int(w[Int(f) + 2])], member) < 0)
            }) { i, x, r in
                rank[i] = r
                update[i] = x
            }
        }
    }

    /// Stack space for a search's path: the predecessor on every level and its rank.
    @inline(__always)
    private static func withSearchPath<R>(_ body: (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: maxLevel) { u in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: maxLevel) { r in body(u.baseAddress!, r.baseAddress!) }
        }
    }

    /// Points the backward link of the node after a changed one (`next`, 0 if none) at `back`;
    /// with no node after it, `back` becomes the tail.
    @inline(__always)
    private static func linkBackward(_ w: UnsafeMutableBufferPointer<UInt64>, next: Int32, to back: Int32, tail: inout Int32) {
        if next == 0 {
            tail = back
        } else {
            w[Int(next) + 1] = (w[Int(next) + 1] & ~0xFFFF_FFFF) | UInt64(UInt32(bitPattern: back))
        }
    }

    /// Inserts a member that is not present.
    mutating func insert(_ member: Bytes, _ score: Double) {
        Self.withSearchPath { insert(member, score, update: $0, rank: $1) }
    }

    private mutating func allocate(levels lvl: Int, member: Bytes, score: Double) -> Int32 {
        let slot: UInt32
        if let s = freeSlots.popLast() {
            slot = s
            members[Int(s)] = member
        } else {
            slot = UInt32(members.count)
            members.append(member)
        }
        let x: Int32
        let head = freeNodes[lvl - 1]
        if head != 0 {
            x = Int32(bitPattern: head)
            freeNodes[lvl - 1] = UInt32(truncatingIfNeeded: words[Int(head)])
        } else {
            x = Int32(words.count)
            precondition(words.count + Self.headerWords + lvl < Int(Int32.max), "sorted set too large")
            words.append(contentsOf: repeatElement(0, count: Self.headerWords + lvl))
        }
        words.withUnsafeMutableBufferPointer { w in
            w[Int(x)] = score.bitPattern
            w[Int(x) + 1] = UInt64(lvl) << 32
            w[Int(x) + 2] = UInt64(slot)
        }
        return x
    }

    private mutating func insert(_ member: Bytes, _ score: Double, update: UnsafeMutablePointer<Int32>, rank: UnsafeMutablePointer<Int>) {
        findPredecessors(score, member, update, rank)
        let lvl = randomLevel()
        if lvl > level {
            for i in level..<lvl {
                rank[i] = 0
                update[i] = 0
                words[Self.levelWord(0, i)] = Self.link(Self.forward(words[Self.levelWord(0, i)]), count)
            }
            level = lvl
        }
        let x = allocate(levels: lvl, member: member, score: score)
        let level = self.level
        var newTail = tail
        words.withUnsafeMutableBufferPointer { w in
            for i in 0..<lvl {
                let ui = Self.levelWord(update[i], i)
                let u = w[ui]
                let before = rank[0] - rank[i]
                w[Self.levelWord(x, i)] = Self.link(Self.forward(u), Self.span(u) - before)
                w[ui] = Self.link(x, before + 1)
            }
            if lvl < level {
                for i in lvl..<level { w[Self.levelWord(update[i], i)] &+= 1 << 32 }
            }
            w[Int(x) + 1] |= UInt64(UInt32(bitPattern: update[0]))
            Self.linkBackward(w, next: Self.forward(w[Self.levelWord(x, 0)]), to: x, tail: &newTail)
        }
        tail = newTail
        count += 1
    }

    /// Removes the member with this score; false if it is not there.
    @discardableResult
    mutating func remove(_ member: Bytes, _ score: Double) -> Bool {
        Self.withSearchPath { remove(member, score, update: $0, rank: $1) }
    }

    private mutating func remove(_ member: Bytes, _ score: Double, update: UnsafeMutablePointer<Int32>, rank: UnsafeMutablePointer<Int>) -> Bool {
        findPredecessors(score, member, update, rank)
        let target = next(update[0])
        guard target != 0, self.score(target) == score, self.member(target) == member else { return false }
        _ = unlink(target, update)
        return true
    }

    /// Removes the first element (ZPOPMIN): its predecessor on every level is the header, so
    /// no search is needed. Returns it, moved out.
    mutating func removeFirst() -> (member: Bytes, score: Double)? {
        let target = first
        guard target != 0 else { return nil }
        let score = self.score(target)
        let level = self.level
        let member = Self.withSearchPath { update, _ in
            for i in 0..<level { update[i] = 0 }
            return unlink(target, update)
        }
        return (member, score)
    }

    /// Unlinks `target` given its predecessor on every level (`update`) and frees its node;
    /// returns its member, moved out.
    private mutating func unlink(_ target: Int32, _ update: UnsafeMutablePointer<Int32>) -> Bytes {
        let t = Int(target)
        let level = self.level
        var newTail = tail
        words.withUnsafeMutableBufferPointer { w in
            for i in 0..<level {
                let ui = Self.levelWord(update[i], i)
                let u = w[ui]
                if Self.forward(u) == target {
                    let tl = w[Self.levelWord(target, i)]
                    w[ui] = Self.link(Self.forward(tl), Self.span(u) + Self.span(tl) - 1)
                } else {
                    w[ui] = u &- (1 << 32)
                }
            }
            let back = Int32(truncatingIfNeeded: w[t + 1] & 0xFFFF_FFFF)
            Self.linkBackward(w, next: Self.forward(w[Self.levelWord(target, 0)]), to: back, tail: &newTail)
        }
        tail = newTail
        while self.level > 1 && Self.forward(words[Self.levelWord(0, self.level - 1)]) == 0 { self.level -= 1 }
        count -= 1
        let slot = Int(words[t + 2])
        let member = members[slot]
        if count == 0 {
            self = SortedSetSkipList()
            return member
        }
        members[slot] = []
        freeSlots.append(UInt32(slot))
        let lvl = Int(words[t + 1] >> 32)
        words[t] = UInt64(freeNodes[lvl - 1])
        freeNodes[lvl - 1] = UInt32(t)
        return member
    }

    /// How many elements precede (score, member) in the order: the 0-based rank of that
    /// element when it is present.
    func rank(_ member: Bytes, _ score: Double) -> Int {
        Self.withSearchPath { update, rank in
            findPredecessors(score, member, update, rank)
            return rank[0]
        }
    }

    /// How many leading elements satisfy `pred` (which must hold for a prefix of the order).
    func countPrefix(_ pred: (Double, Bytes) -> Bool) -> Int {
        descend(while: { f, _, w in pred(Double(bitPattern: w[Int(f)]), members[Int(w[Int(f) + 2])]) }) { _, _, _ in }
    }

    /// The node at a 0-based rank (0 if out of range).
    func node(atRank rank: Int) -> Int32 {
        guard rank >= 0 && rank < count else { return 0 }
        var node: Int32 = 0
        let reached = descend(while: { _, position, _ in position <= rank + 1 }) { _, x, _ in node = x }
        return reached == rank + 1 ? node : 0
    }
}
