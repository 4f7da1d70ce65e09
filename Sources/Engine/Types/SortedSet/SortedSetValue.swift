/// A sorted set: members ordered by (score, member). (The sorted-set family fills in the
/// order-statistic structure and its operations.)
public struct SortedSetValue: CollectionValue {
    public var scores = HashTable<Double>()

    public init() {}
    public static var empty: SortedSetValue { SortedSetValue() }
    public static func extract(_ value: Value) -> SortedSetValue? {
        if case .zset(let z) = value { return z }
        return nil
    }
    public var wrapped: Value { .zset(self) }
    public var isEmpty: Bool { scores.count == 0 }
    public var count: Int { scores.count }
    public var encoding: String { "skiplist" }
}
