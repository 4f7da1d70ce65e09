/// A hash: field → value. (The hash family fills in the data structure and its operations.)
public struct HashValue: CollectionValue {
    public var fields = HashTable<Bytes>()

    public init() {}
    public static var empty: HashValue { HashValue() }
    public static func extract(_ value: Value) -> HashValue? {
        if case .hash(let h) = value { return h }
        return nil
    }
    public var wrapped: Value { .hash(self) }
    public var isEmpty: Bool { fields.count == 0 }
    public var count: Int { fields.count }
    public var encoding: String { "hashtable" }
}
