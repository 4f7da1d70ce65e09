/// A stored value. Later type families add their cases here.
public enum Value {
    case string(Bytes)

    public var typeName: String {
        switch self {
        case .string: return "string"
        }
    }

    /// OBJECT ENCODING, as Redis would report it for this value.
    public var encoding: String {
        switch self {
        case .string(let b):
            if b.count <= 20, Numbers.parseInt(b) != nil { return "int" }
            return b.count <= 44 ? "embstr" : "raw"
        }
    }
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
