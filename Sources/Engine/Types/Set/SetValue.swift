/// A set of members, with Redis 7.0's two encodings.
///
/// * `intset`: every member is an integer (Redis's `string2ll` form) and there are at most
///   `maxIntsetEntries`: a sorted array of Int64 plus the intset's element width, which, as in
///   Redis, grows with the values added and never shrinks (DUMP payloads show it).
/// * `hashtable`: a `HashTable`, from the first non-integer member or the 513th member on.
///   Conversion is one-way. (Redis 7.0 has no listpack encoding for sets.)
public struct SetValue: CollectionValue, CoWFields {
    /// Redis's default `set-max-intset-entries`.
    public static let maxIntsetEntries = 512

    /// The fields, behind one reference (see `CoWBox`).
    @usableFromInline struct Fields {
        var ints: [Int64] = []
        var intsetWidth = 2
        var table = HashTable<Bool>()
        var isIntset = true
    }
    @usableFromInline var box = CoWBox(Fields())

    @usableFromInline var ints: [Int64] { _read { yield fields.ints } _modify { yield &fields.ints } }
    /// Bytes per element of the intset encoding (2, 4 or 8).
    public private(set) var intsetWidth: Int {
        get { fields.intsetWidth }
        set { fields.intsetWidth = newValue }
    }
    @usableFromInline var table: HashTable<Bool> { _read { yield fields.table } _modify { yield &fields.table } }
    public private(set) var isIntset: Bool {
        get { fields.isIntset }
        set { fields.isIntset = newValue }
    }

    public init() {}

    public static var empty: SetValue { SetValue() }
    public static func extract(_ value: Value) -> SetValue? {
        if case .set(let s) = value { return s }
        return nil
    }
    public var wrapped: Value { .set(self) }
    public var count: Int { isIntset ? ints.count : table.count }
    public var encoding: String { isIntset ? "intset" : "hashtable" }

    static func width(of v: Int64) -> Int {
        if v >= Int64(Int16.min) && v <= Int64(Int16.max) { return 2 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 4 }
        return 8
    }

    /// Binary search in the intset: (found, insertion index).
    @inline(__always) func search(_ v: Int64) -> (Bool, Int) {
        var lo = 0
        var hi = ints.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ints[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return (lo < ints.count && ints[lo] == v, lo)
    }

    public func contains(_ member: Bytes) -> Bool {
        if isIntset {
            guard let v = Numbers.parseInt(member) else { return false }
            return search(v).0
        }
        return table.get(member) != nil
    }

    /// Adds `member`; returns true if it is new. Converts like Redis's `setTypeAdd`.
    @discardableResult
    public mutating func add(_ member: Bytes) -> Bool {
        if isIntset {
            if let v = Numbers.parseInt(member) {
                let (found, at) = search(v)
                if found { return false }
                ints.insert(v, at: at)
                intsetWidth = max(intsetWidth, Self.width(of: v))
                if ints.count > Self.maxIntsetEntries { convertToTable() }
                return true
            }
            convertToTable()
        }
        return table.set(member, true) == nil
    }

    /// Removes `member`; returns true if it was there.
    @discardableResult
    public mutating func remove(_ member: Bytes) -> Bool {
        if isIntset {
            guard let v = Numbers.parseInt(member) else { return false }
            let (found, at) = search(v)
            if !found { return false }
            ints.remove(at: at)
            return true
        }
        return table.remove(member) != nil
    }

    public mutating func convertToTable() {
        guard isIntset else { return }
        var t = HashTable<Bool>()
        for v in ints { t.set(Numbers.format(v), true) }
        table = t
        ints = []
        isIntset = false
    }

    /// Loads an intset as Redis stored it (sorted, with its element width); a set too large for
    /// the intset encoding is converted, as Redis's loader does.
    public init(intset values: [Int64], width: Int) {
        ints = values.sorted()
        intsetWidth = max(width, ints.map(Self.width(of:)).max() ?? 2)
        if ints.count > Self.maxIntsetEntries { convertToTable() }
    }

    /// The intset's integers in order (empty for a hash table set).
    public var integers: [Int64] { isIntset ? ints : [] }

    /// Every member, in the encoding's order (ascending for an intset).
    public func forEach(_ body: (Bytes) -> Void) {
        if isIntset {
            for v in ints { body(Numbers.format(v)) }
        } else {
            table.forEach { m, _ in body(m) }
        }
    }

    public var members: [Bytes] {
        if isIntset { return ints.map(Numbers.format) }
        return table.keys
    }

    /// A uniformly random member, or nil if empty.
    public func randomMember<G: RandomNumberGenerator>(using rng: inout G) -> Bytes? {
        if isIntset {
            guard !ints.isEmpty else { return nil }
            return Numbers.format(ints[Int.random(in: 0..<ints.count, using: &rng)])
        }
        return table.randomEntry(using: &rng)?.0
    }

    /// One SSCAN step: an intset is returned whole (cursor 0), as in Redis; a hash table is
    /// scanned with the reverse-binary cursor until about `count` members were visited.
    public func scan(cursor: UInt64, count: Int, _ visit: (Bytes) -> Void) -> UInt64 {
        if isIntset {
            forEach(visit)
            return 0
        }
        var c = cursor
        var visited = 0
        var iterations = count.multipliedReportingOverflow(by: 10).overflow ? Int.max : count * 10
        repeat {
            c = table.scan(cursor: c, count: 1) { m, _ in
                visit(m)
                visited += 1
            }
            iterations -= 1
        } while c != 0 && iterations > 0 && visited < count
        return c
    }
}
