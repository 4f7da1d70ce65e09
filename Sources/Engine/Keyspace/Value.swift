/// A stored value: one case per type family. Each family's data structure lives in
/// `Engine/Types/<Family>/`.
///
/// Every payload is one reference wide (collections keep their fields in a `CoWBox`), so an
/// entry stays a few words wide: hash table slots then fit more to a cache line, which is what
/// a GET pays for.
public enum Value {
    case string(Bytes)
    case hash(HashValue)
    case list(ListValue)
    case set(SetValue)
    case zset(SortedSetValue)
    /// A module-defined data type's value.
    case module(ModuleValue)

    public var typeName: String {
        switch self {
        case .string: return "string"
        case .hash: return "hash"
        case .list: return "list"
        case .set: return "set"
        case .zset: return "zset"
        case .module(let m): return m.type.name
        }
    }

    /// OBJECT ENCODING, as Redis 7.0 would report it for this value.
    public var encoding: String {
        switch self {
        case .string(let b):
            if b.count <= 20, Numbers.parseInt(b) != nil { return "int" }
            return b.count <= 44 ? "embstr" : "raw"
        case .hash(let h): return h.encoding
        case .list(let l): return l.encoding
        case .set(let s): return s.encoding
        case .zset(let z): return z.encoding
        case .module: return "raw"
        }
    }
}

extension Value {
    /// Moves the collection of type `T` out (the value holds an empty string until the caller
    /// puts it back), so it can be changed in place with no copy and no reference counting;
    /// nil, and the value untouched, if it is of another type. (The type tests fold away once
    /// specialized.)
    @inline(__always) mutating func take<T: CollectionValue>(_: T.Type) -> T? {
        switch consume self {
        case .hash(let c) where T.self == HashValue.self: self = .string([]); return unsafeBitCast(c, to: T.self)
        case .list(let c) where T.self == ListValue.self: self = .string([]); return unsafeBitCast(c, to: T.self)
        case .set(let c) where T.self == SetValue.self: self = .string([]); return unsafeBitCast(c, to: T.self)
        case .zset(let c) where T.self == SortedSetValue.self: self = .string([]); return unsafeBitCast(c, to: T.self)
        case let other:
            self = other
            return nil
        }
    }
}

/// The fields of a collection with several of them, behind one reference, so that the
/// collection is one word wide and changes in place when it is the only holder (a snapshot
/// sharing it makes the next change copy). An `indirect` enum case would box the fields too,
/// but Swift re-boxes (allocates and copies) on every change.
@usableFromInline final class CoWBox<Fields> {
    @usableFromInline var value: Fields
    @usableFromInline init(_ value: Fields) { self.value = value }

    /// Where `value` lies: a final class's stored property stays put while the box lives.
    @inlinable var valueAddress: UnsafePointer<Fields> {
        UnsafePointer(withUnsafeMutablePointer(to: &value) { $0 })
    }
}

/// A value type whose fields live in a `CoWBox`: `fields` reads them in place and copies the
/// box before a change only when it is shared.
@usableFromInline protocol CoWFields {
    associatedtype Fields
    var box: CoWBox<Fields> { get set }
}

extension CoWFields {
    @inlinable var fields: Fields {
        // Read through the address: a read of the box's property (`_read { yield box.value }`)
        // copies the fields, a retain and a release of each array in them, for every lookup.
        unsafeAddress { box.valueAddress }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = CoWBox(box.value) }
            yield &box.value
        }
    }
}

/// A collection type family's value: how it is found in, and put back into, a `Value`.
public protocol CollectionValue {
    static var empty: Self { get }
    static func extract(_ value: Value) -> Self?
    var wrapped: Value { get }
    var count: Int { get }
}

extension CollectionValue {
    /// An empty collection's key is deleted (see `CommandContext.mutate`).
    public var isEmpty: Bool { count == 0 }
}

/// A key's entry: its value, absolute expiry (ms since epoch, 0 = none) and access clock.
public struct Entry {
    public var value: Value
    public var expireAt: Int64
    public var lastAccess: Int64

    public init(value: Value, expireAt: Int64 = 0, lastAccess: Int64 = 0) {
        self.value = value
        self.expireAt = expireAt
        self.lastAccess = lastAccess
    }
}
