import DequeModule

/// A list: O(1) push/pop at both ends and O(1) indexing. (The list family fills in operations.)
public struct ListValue: CollectionValue {
    public var items = Deque<Bytes>()

    public init() {}
    public static var empty: ListValue { ListValue() }
    public static func extract(_ value: Value) -> ListValue? {
        if case .list(let l) = value { return l }
        return nil
    }
    public var wrapped: Value { .list(self) }
    public var isEmpty: Bool { items.isEmpty }
    public var count: Int { items.count }
    public var encoding: String { "quicklist" }
}
