import DequeModule

/// A list: a ring-buffer deque, so push/pop at both ends are O(1) and indexing is O(1).
/// Indices follow Redis: negative ones count from the tail (-1 is the last element).
public struct ListValue: CollectionValue {
    public var items = Deque<Bytes>()

    public init() {}
    public init<S: Sequence>(_ elements: S) where S.Element == Bytes { items = Deque(elements) }
    public static var empty: ListValue { ListValue() }
    public static func extract(_ value: Value) -> ListValue? {
        if case .list(let l) = value { return l }
        return nil
    }
    public var wrapped: Value { .list(self) }
    public var count: Int { items.count }
    /// Redis 7.0 keeps every list in a quicklist (the listpack encoding for lists is 7.2's).
    public var encoding: String { "quicklist" }

    public enum End: Sendable {
        case head, tail

        /// LEFT / RIGHT.
        public static func parse(_ word: Bytes) -> End? {
            if word.equalsIgnoringCase("LEFT") { return .head }
            if word.equalsIgnoringCase("RIGHT") { return .tail }
            return nil
        }
        public var word: String { self == .head ? "LEFT" : "RIGHT" }
        /// The push / pop commands and keyspace events of this end.
        public var pushName: String { self == .head ? "lpush" : "rpush" }
        public var popName: String { self == .head ? "lpop" : "rpop" }
        /// The pop command's name as logged (LPOP / RPOP).
        public var popCommand: Bytes { self == .head ? EffectWord.lpop : EffectWord.rpop }
    }

    public mutating func push(_ e: Bytes, to end: End) {
        if end == .head { items.prepend(e) } else { items.append(e) }
    }

    public mutating func pop(from end: End) -> Bytes? {
        end == .head ? items.popFirst() : items.popLast()
    }

    /// Removes up to `n` elements from `end`, in pop order (RPOP's come last-first).
    public mutating func pop(_ n: Int, from end: End) -> [Bytes] {
        let k = min(n, items.count)
        var out: [Bytes] = []
        out.reserveCapacity(k)
        for _ in 0..<k { out.append(pop(from: end)!) }
        return out
    }

    public func peek(_ end: End) -> Bytes? { end == .head ? items.first : items.last }

    /// The position of a Redis index (negative from the tail), if it is inside the list.
    public func position(_ index: Int64) -> Int? {
        let n = Int64(items.count)
        let i = index < 0 ? n + index : index
        return i >= 0 && i < n ? Int(i) : nil
    }

    public func element(at index: Int64) -> Bytes? { position(index).map { items[$0] } }

    /// LRANGE / LTRIM normalization: the positions `start...stop` clamp to, or nil if empty.
    public func clamp(_ start: Int64, _ stop: Int64) -> ClosedRange<Int>? {
        let n = Int64(items.count)
        var s = start < 0 ? n + start : start
        var e = stop < 0 ? n + stop : stop
        if s < 0 { s = 0 }
        if s > e || s >= n { return nil }
        if e >= n { e = n - 1 }
        return Int(s)...Int(e)
    }

    /// The elements of `start...stop` (LRANGE's normalization).
    public func range(_ start: Int64, _ stop: Int64) -> [Bytes] { clamp(start, stop).map { Array(items[$0]) } ?? [] }

    /// Keeps only `start...stop`; returns how many elements were removed.
    public mutating func trim(_ start: Int64, _ stop: Int64) -> Int {
        let n = items.count
        guard let r = clamp(start, stop) else {
            items.removeAll()
            return n
        }
        let tail = n - 1 - r.upperBound
        if tail > 0 { items.removeLast(tail) }
        if r.lowerBound > 0 { items.removeFirst(r.lowerBound) }
        return n - r.count
    }

    /// Inserts `element` before or after the first `pivot`; false if there is no pivot.
    public mutating func insert(_ element: Bytes, after: Bool, pivot: Bytes) -> Bool {
        guard let i = items.firstIndex(of: pivot) else { return false }
        items.insert(element, at: after ? i + 1 : i)
        return true
    }

    /// LREM: removes up to `count` occurrences from the head (count > 0), from the tail
    /// (count < 0) or all (0). Returns how many were removed.
    public mutating func remove(_ element: Bytes, count: Int64) -> Int {
        let limit = count == 0 ? Int.max : Int(clamping: count.magnitude)
        var removed = 0
        var kept = Deque<Bytes>()
        if count >= 0 {
            guard items.contains(element) else { return 0 }
            for e in items {
                if removed < limit && e == element { removed += 1 } else { kept.append(e) }
            }
        } else {
            guard items.contains(element) else { return 0 }
            for e in items.reversed() {
                if removed < limit && e == element { removed += 1 } else { kept.prepend(e) }
            }
        }
        items = kept
        return removed
    }

    /// LPOS: indices of matches of `element`, skipping `|rank| - 1` matches from the head
    /// (rank > 0) or the tail (rank < 0), at most `count` of them (0 = all), comparing at most
    /// `maxlen` elements (0 = all).
    public func positions(of element: Bytes, rank: Int64, count: Int, maxlen: Int) -> [Int] {
        var out: [Int] = []
        // Redis negates a negative rank; LONG_MIN stays negative there and acts as rank -1.
        var skip = rank == Int64.min ? 0 : rank.magnitude - 1
        let n = items.count
        let limit = maxlen == 0 ? n : min(maxlen, n)
        for step in 0..<limit {
            let i = rank > 0 ? step : n - 1 - step
            guard items[i] == element else { continue }
            if skip > 0 {
                skip -= 1
                continue
            }
            out.append(i)
            if count != 0 && out.count == count { break }
        }
        return out
    }
}
