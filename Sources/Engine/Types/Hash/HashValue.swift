/// A hash: field → value, with Redis 7.0's two encodings.
///
/// * `listpack`: a small hash kept as an insertion-ordered array of pairs (Redis keeps small
///   hashes in a listpack, so replies and DUMP payloads follow insertion order).
/// * `hashtable`: a `HashTable`, once the hash has more than `maxListpackEntries` fields or
///   any field or value longer than `maxListpackValue` bytes. Conversion is one-way.
public struct HashValue: CollectionValue, CoWFields {
    /// Redis's defaults: `hash-max-listpack-entries` and `hash-max-listpack-value`.
    public static let maxListpackEntries = 512
    public static let maxListpackValue = 64

    /// The fields, behind one reference (see `CoWBox`).
    @usableFromInline struct Fields {
        var pairs: [(field: Bytes, value: Bytes)] = []
        var table = HashTable<Bytes>()
        var isListpack = true
    }
    @usableFromInline var box = CoWBox(Fields())

    @usableFromInline var pairs: [(field: Bytes, value: Bytes)] { _read { yield fields.pairs } _modify { yield &fields.pairs } }
    @usableFromInline var table: HashTable<Bytes> { _read { yield fields.table } _modify { yield &fields.table } }
    public private(set) var isListpack: Bool {
        get { fields.isListpack }
        set { fields.isListpack = newValue }
    }

    public init() {}

    public static var empty: HashValue { HashValue() }
    public static func extract(_ value: Value) -> HashValue? {
        if case .hash(let h) = value { return h }
        return nil
    }
    public var wrapped: Value { .hash(self) }
    public var count: Int { isListpack ? pairs.count : table.count }
    public var encoding: String { isListpack ? "listpack" : "hashtable" }

    @inline(__always) func index(of field: Bytes) -> Int? {
        pairs.firstIndex { $0.field == field }
    }

    public func get(_ field: Bytes) -> Bytes? {
        if isListpack {
            guard let i = index(of: field) else { return nil }
            return pairs[i].value
        }
        return table.get(field)
    }

    public func contains(_ field: Bytes) -> Bool { get(field) != nil }

    /// Sets `field` to `value`; returns true if the field is new. Converts to a hash table like
    /// Redis's `hashTypeSet`: a field or value over the size limit, or too many fields.
    @discardableResult
    public mutating func set(_ field: Bytes, _ value: Bytes) -> Bool {
        if isListpack && (field.count > Self.maxListpackValue || value.count > Self.maxListpackValue) {
            convertToTable()
        }
        if isListpack {
            if let i = index(of: field) {
                pairs[i].value = value
                return false
            }
            pairs.append((field, value))
            if pairs.count > Self.maxListpackEntries { convertToTable() }
            return true
        }
        return table.set(field, value) == nil
    }

    /// Removes `field`; returns true if it was there.
    @discardableResult
    public mutating func remove(_ field: Bytes) -> Bool {
        if isListpack {
            guard let i = index(of: field) else { return false }
            pairs.remove(at: i)
            return true
        }
        return table.remove(field) != nil
    }

    public mutating func convertToTable() {
        guard isListpack else { return }
        var t = HashTable<Bytes>()
        for p in pairs { t.set(p.field, p.value) }
        table = t
        pairs = []
        isListpack = false
    }

    /// Every pair, in the encoding's order (insertion order for a listpack).
    public func forEach(_ body: (Bytes, Bytes) -> Void) {
        if isListpack {
            for p in pairs { body(p.field, p.value) }
        } else {
            table.forEach(body)
        }
    }

    public var entries: [(field: Bytes, value: Bytes)] {
        if isListpack { return pairs }
        var out: [(field: Bytes, value: Bytes)] = []
        out.reserveCapacity(table.count)
        table.forEach { out.append(($0, $1)) }
        return out
    }

    /// A uniformly random pair, or nil if empty.
    public func randomEntry<G: RandomNumberGenerator>(using rng: inout G) -> (field: Bytes, value: Bytes)? {
        if isListpack {
            guard !pairs.isEmpty else { return nil }
            return pairs[Int.random(in: 0..<pairs.count, using: &rng)]
        }
        guard let (f, v) = table.randomEntry(using: &rng) else { return nil }
        return (f, v)
    }

    /// One HSCAN step: a listpack is returned whole (cursor 0), as in Redis; a hash table is
    /// scanned with the reverse-binary cursor until about `count` elements (fields and
    /// values, as Redis counts them) were visited.
    public func scan(cursor: UInt64, count: Int, _ visit: (Bytes, Bytes) -> Void) -> UInt64 {
        if isListpack {
            forEach(visit)
            return 0
        }
        var c = cursor
        var visited = 0
        var iterations = count.multipliedReportingOverflow(by: 10).overflow ? Int.max : count * 10
        repeat {
            c = table.scan(cursor: c, count: 1) { f, v in
                visit(f, v)
                visited += 2
            }
            iterations -= 1
        } while c != 0 && iterations > 0 && visited < count
        return c
    }
}
