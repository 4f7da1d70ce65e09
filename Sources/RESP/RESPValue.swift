import NIOCore

/// A reply value in RESP3's vocabulary; `RESPEncoder` downgrades it for RESP2 clients.
public enum RESPValue: Equatable, Sendable {
    case simple(String)
    case error(String)  // full text including the prefix, e.g. "ERR syntax error"
    case integer(Int64)
    case bulk([UInt8])
    /// A null reply: `_` in RESP3, `$-1` in RESP2.
    case null
    /// A null array reply: `_` in RESP3, `*-1` in RESP2.
    case nullArray
    case array([RESPValue])
    case map([(RESPValue, RESPValue)])
    case set([RESPValue])
    case double(Double)
    case boolean(Bool)
    case bigNumber(String)
    case verbatim(format: String, text: [UInt8])
    case push([RESPValue])
    /// Pre-encoded bytes, written as they are (already valid RESP for the session's protocol).
    case raw([UInt8])

    public static let ok = RESPValue.simple("OK")
    public static let queued = RESPValue.simple("QUEUED")
    public static let emptyArray = RESPValue.array([])

    public static func bulk(_ s: String) -> RESPValue { .bulk(Array(s.utf8)) }

    public static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.simple(let a), .simple(let b)): return a == b
        case (.error(let a), .error(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.bulk(let a), .bulk(let b)): return a == b
        case (.null, .null), (.nullArray, .nullArray): return true
        case (.array(let a), .array(let b)): return a == b
        case (.set(let a), .set(let b)): return a == b
        case (.push(let a), .push(let b)): return a == b
        case (.map(let a), .map(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.double(let a), .double(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.boolean(let a), .boolean(let b)): return a == b
        case (.bigNumber(let a), .bigNumber(let b)): return a == b
        case (.verbatim(let f1, let t1), .verbatim(let f2, let t2)): return f1 == f2 && t1 == t2
        case (.raw(let a), .raw(let b)): return a == b
        default: return false
        }
    }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The text of a bulk or simple string, for tests and logs.
    public var string: String? {
        switch self {
        case .bulk(let b): return String(decoding: b, as: UTF8.self)
        case .simple(let s): return s
        case .verbatim(_, let t): return String(decoding: t, as: UTF8.self)
        case .error(let e): return e
        default: return nil
        }
    }
}
