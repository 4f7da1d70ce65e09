/// A set of members. (The set family fills in the data structure and its operations.)
public struct SetValue: CollectionValue {
    public var members = HashTable<Bool>()

    public init() {}
    public static var empty: SetValue { SetValue() }
    public static func extract(_ value: Value) -> SetValue? {
        if case .set(let s) = value { return s }
        return nil
    }
    public var wrapped: Value { .set(self) }
    public var isEmpty: Bool { members.count == 0 }
    public var count: Int { members.count }
    public var encoding: String { "hashtable" }
}
