#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A sorted set: members ordered by (score, member bytes), with member → score lookup.
/// Small sets are one sorted array (`SortedSetListpack`, Redis's listpack encoding); large ones
/// a hash table for member → score beside a skiplist for order (Redis's skiplist encoding).
/// A value type: a snapshot's copy shares storage until either side changes.
public struct SortedSetValue: CollectionValue, CoWFields {
    /// Redis 7.0 defaults: zset-max-listpack-entries / zset-max-listpack-value.
    public static let maxListpackEntries = 128
    public static let maxListpackValue = 64

    /// The fields, behind one reference (see `CoWBox`).
    @usableFromInline struct Fields {
        var small = SortedSetListpack()
        var scores = HashTable<Double>()
        var list = SortedSetSkipList()
        var isSkiplist = false
    }
    @usableFromInline var box = CoWBox(Fields())

    private var small: SortedSetListpack { _read { yield fields.small } _modify { yield &fields.small } }
    private var scores: HashTable<Double> { _read { yield fields.scores } _modify { yield &fields.scores } }
    private var list: SortedSetSkipList { _read { yield fields.list } _modify { yield &fields.list } }
    /// Redis's encoding: listpack while small, skiplist once it grows (one-way, like Redis).
    public private(set) var isSkiplist: Bool {
        get { fields.isSkiplist }
        set { fields.isSkiplist = newValue }
    }

    public init() {}
    public static var empty: SortedSetValue { SortedSetValue() }
    public static func extract(_ value: Value) -> SortedSetValue? {
        if case .zset(let z) = value { return z }
        return nil
    }
    public var wrapped: Value { .zset(self) }
    public var count: Int { isSkiplist ? scores.count : small.count }
    public var encoding: String { isSkiplist ? "skiplist" : "listpack" }

    /// Builds a set from pairs (later duplicates win) with the encoding Redis gives a set it
    /// creates whole (store commands, RDB load): listpack if small enough. Members are only
    /// ever added here, so the set turns skiplist exactly when its final contents need it.
    public init<S: Sequence>(_ pairs: S) where S.Element == (Bytes, Double) {
        for (m, s) in pairs { set(m, s) }
    }

    /// Starts as a skiplist when the creating command already knows it will be large
    /// (Redis's zsetTypeCreate size hint).
    public mutating func reserve(_ sizeHint: Int) {
        if sizeHint > Self.maxListpackEntries { convertToSkiplist() }
    }

    private mutating func convertToSkiplist() {
        if isSkiplist { return }
        isSkiplist = true
        for e in small.elements {
            scores.set(e.member, e.score)
            list.insert(e.member, e.score)
        }
        small = SortedSetListpack()
    }

    public func score(_ member: Bytes) -> Double? { isSkiplist ? scores.get(member) : small.score(member) }

    /// Adds or updates; returns true if the member was added.
    @discardableResult
    public mutating func set(_ member: Bytes, _ score: Double) -> Bool { upsert(member, score) == nil }

    /// Adds or updates with one lookup; returns the previous score, nil if the member was
    /// added. An equal score (even -0 for 0) leaves the element as it was, as Redis.
    @discardableResult
    public mutating func upsert(_ member: Bytes, _ score: Double) -> Double? {
        if !isSkiplist {
            // A listpack stores scores as text where -0 becomes "0" (Redis's d2string).
            let old = small.upsert(member, score == 0 ? 0.0 : score)
            if old == nil && (small.count > Self.maxListpackEntries || member.count > Self.maxListpackValue) {
                convertToSkiplist()
            }
            return old
        }
        if let old = scores.set(member, score) {
            if old != score {
                list.remove(member, old)
                list.insert(member, score)
            } else if old.bitPattern != score.bitPattern {
                scores.set(member, old)
            }
            return old
        }
        list.insert(member, score)
        return nil
    }

    @discardableResult
    public mutating func remove(_ member: Bytes) -> Bool {
        if !isSkiplist { return small.remove(member) != nil }
        guard let old = scores.remove(member) else { return false }
        list.remove(member, old)
        return true
    }

    /// Removes and returns the lowest element (or the highest, `max`): ZPOPMIN / ZPOPMAX.
    public mutating func pop(max: Bool) -> (member: Bytes, score: Double)? {
        if !isSkiplist {
            guard let e = small.pop(last: max) else { return nil }
            return (e.member, e.score)
        }
        if !max {
            guard let e = list.removeFirst() else { return nil }
            scores.remove(e.member)
            return e
        }
        let x = list.tail
        guard x != 0 else { return nil }
        let e = (member: list.member(x), score: list.score(x))
        remove(e.member)
        return e
    }

    /// 0-based rank in ascending order.
    public func rank(_ member: Bytes) -> Int? {
        if !isSkiplist { return small.index(of: member) }
        guard let s = scores.get(member) else { return nil }
        return list.rank(member, s)
    }

    /// The element at a 0-based ascending rank.
    public func element(atRank r: Int) -> (member: Bytes, score: Double)? {
        if !isSkiplist {
            guard r >= 0 && r < small.count else { return nil }
            let e = small.elements[r]
            return (e.member, e.score)
        }
        let x = list.node(atRank: r)
        return x == 0 ? nil : (list.member(x), list.score(x))
    }

    /// Up to `limit` elements from ascending rank `start`, walking up (or down when `reverse`).
    public func elements(fromRank start: Int, limit: Int, reverse: Bool) -> [(member: Bytes, score: Double)] {
        var out: [(member: Bytes, score: Double)] = []
        if limit <= 0 || start < 0 || start >= count { return out }
        out.reserveCapacity(Swift.min(limit, count))
        if !isSkiplist {
            // `start` is in range: at most `start + 1` elements below it, `count - start` from it up.
            let n = Swift.min(limit, reverse ? start + 1 : count - start)
            for k in 0..<n {
                let e = small.elements[reverse ? start - k : start + k]
                out.append((e.member, e.score))
            }
            return out
        }
        var x = list.node(atRank: start)
        while x != 0 && out.count < limit {
            out.append((list.member(x), list.score(x)))
            x = reverse ? list.previous(x) : list.next(x)
        }
        return out
    }

    /// How many leading elements (in ascending order) satisfy `pred`, true for a prefix.
    private func countPrefix(_ pred: (Double, Bytes) -> Bool) -> Int {
        isSkiplist ? list.countPrefix(pred) : small.countPrefix(pred)
    }

    /// Ascending ranks of the elements whose score is in the range.
    public func ranks(in r: ScoreRange) -> Range<Int> {
        if r.isEmpty { return 0..<0 }
        let lo = countPrefix { s, _ in !r.aboveMin(s) }
        let hi = countPrefix { s, _ in r.belowMax(s) }
        return lo..<Swift.max(lo, hi)
    }

    /// Ascending ranks of the elements whose member is in the lexicographic range.
    public func ranks(in r: LexRange) -> Range<Int> {
        if r.isEmpty { return 0..<0 }
        let lo = countPrefix { _, m in !r.aboveMin(m) }
        let hi = countPrefix { _, m in r.belowMax(m) }
        return lo..<Swift.max(lo, hi)
    }

    /// All elements in ascending order.
    public var sorted: [(member: Bytes, score: Double)] { elements(fromRank: 0, limit: count, reverse: false) }

    public func forEachAscending(_ body: (Bytes, Double) -> Void) {
        if !isSkiplist {
            for e in small.elements { body(e.member, e.score) }
            return
        }
        var x = list.first
        while x != 0 {
            body(list.member(x), list.score(x))
            x = list.next(x)
        }
    }

    /// All elements from the highest rank down (the order Redis writes zset2 RDB objects).
    public func forEachDescending(_ body: (Bytes, Double) -> Void) {
        if !isSkiplist {
            for e in small.elements.reversed() { body(e.member, e.score) }
            return
        }
        var x = list.tail
        while x != 0 {
            body(list.member(x), list.score(x))
            x = list.previous(x)
        }
    }

    /// Every element, in the cheapest order to visit (for set algebra, where order is moot).
    public func forEach(_ body: (Bytes, Double) -> Void) {
        if isSkiplist { scores.forEach(body) } else { forEachAscending(body) }
    }

    /// ZSCAN: a listpack is returned whole in one call (cursor 0), as Redis does; a skiplist
    /// set is walked through its hash table with Redis's reverse-binary cursor.
    public func scan(cursor: UInt64, count: Int, _ visit: (Bytes, Double) -> Void) -> UInt64 {
        if isSkiplist { return scores.scan(cursor: cursor, count: count, visit) }
        forEachAscending(visit)
        return 0
    }

    /// A uniformly chosen member.
    public func randomElement<G: RandomNumberGenerator>(using rng: inout G) -> (member: Bytes, score: Double)? {
        if !isSkiplist {
            guard let e = small.elements.randomElement(using: &rng) else { return nil }
            return (e.member, e.score)
        }
        return scores.randomEntry(using: &rng).map { ($0.0, $0.1) }
    }
}

/// A score interval from Redis's `min max` syntax: `1.5`, `(1.5` (exclusive), `-inf`, `+inf`.
public struct ScoreRange: Sendable {
    public var min: Double
    public var max: Double
    public var minExclusive = false
    public var maxExclusive = false

    public init(min: Double, max: Double, minExclusive: Bool = false, maxExclusive: Bool = false) {
        self.min = min
        self.max = max
        self.minExclusive = minExclusive
        self.maxExclusive = maxExclusive
    }

    /// Redis's zslParseRange; nil for "min or max is not a float".
    public static func parse(_ min: Bytes, _ max: Bytes) -> ScoreRange? {
        guard let (lo, le) = bound(min), let (hi, he) = bound(max) else { return nil }
        return ScoreRange(min: lo, max: hi, minExclusive: le, maxExclusive: he)
    }

    /// `strtod` over the whole text (after an optional '('), as Redis parses range bounds.
    static func bound(_ b: Bytes) -> (Double, Bool)? {
        var text = b
        var exclusive = false
        if text.first == UInt8(ascii: "(") {
            exclusive = true
            text.removeFirst()
        }
        if let nul = text.firstIndex(of: 0) { text = Array(text[..<nul]) }
        text.append(0)
        let v: Double? = text.withUnsafeBufferPointer { p in
            let start = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>? = nil
            let d = strtod(start, &end)
            guard let e = end, e.pointee == 0, !d.isNaN else { return nil }
            return d
        }
        return v.map { ($0, exclusive) }
    }

    public var isEmpty: Bool { min > max || (min == max && (minExclusive || maxExclusive)) }
    @inline(__always) public func aboveMin(_ v: Double) -> Bool { minExclusive ? v > min : v >= min }
    @inline(__always) public func belowMax(_ v: Double) -> Bool { maxExclusive ? v < max : v <= max }
    public func contains(_ v: Double) -> Bool { aboveMin(v) && belowMax(v) }
}

/// A member interval from Redis's lex syntax: `[a` `(a` `-` `+`.
public struct LexRange: Sendable {
    public enum Bound: Sendable {
        case negativeInfinity, positiveInfinity
        case value(Bytes, exclusive: Bool)
    }

    public var min: Bound
    public var max: Bound

    /// Redis's zslParseLexRange; nil for "min or max not valid string range item".
    public static func parse(_ min: Bytes, _ max: Bytes) -> LexRange? {
        guard let lo = bound(min), let hi = bound(max) else { return nil }
        return LexRange(min: lo, max: hi)
    }

    static func bound(_ b: Bytes) -> Bound? {
        guard let c = b.first else { return nil }
        switch c {
        case UInt8(ascii: "+"): return b.count == 1 ? .positiveInfinity : nil
        case UInt8(ascii: "-"): return b.count == 1 ? .negativeInfinity : nil
        case UInt8(ascii: "("): return .value(Array(b.dropFirst()), exclusive: true)
        case UInt8(ascii: "["): return .value(Array(b.dropFirst()), exclusive: false)
        default: return nil
        }
    }

    /// Redis's sdscmplex: -inf below everything, +inf above everything.
    static func compare(_ a: Bound, _ b: Bound) -> Int {
        switch (a, b) {
        case (.negativeInfinity, .negativeInfinity), (.positiveInfinity, .positiveInfinity): return 0
        case (.negativeInfinity, _), (_, .positiveInfinity): return -1
        case (.positiveInfinity, _), (_, .negativeInfinity): return 1
        case (.value(let x, _), .value(let y, _)): return compareMembers(x, y)
        }
    }

    public var isEmpty: Bool {
        let c = Self.compare(min, max)
        if c > 0 { return true }
        if c == 0 {
            if case .value(_, let e) = min, e { return true }
            if case .value(_, let e) = max, e { return true }
        }
        return false
    }

    public func aboveMin(_ m: Bytes) -> Bool {
        switch min {
        case .negativeInfinity: return true
        case .positiveInfinity: return false
        case .value(let v, let ex): return ex ? compareMembers(m, v) > 0 : compareMembers(m, v) >= 0
        }
    }

    public func belowMax(_ m: Bytes) -> Bool {
        switch max {
        case .negativeInfinity: return false
        case .positiveInfinity: return true
        case .value(let v, let ex): return ex ? compareMembers(m, v) < 0 : compareMembers(m, v) <= 0
        }
    }

    public func contains(_ m: Bytes) -> Bool { aboveMin(m) && belowMax(m) }
}
