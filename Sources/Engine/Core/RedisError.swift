/// An error reply. `code` is the wire prefix (`ERR`, `WRONGTYPE`, …); `message` follows it.
public struct RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A plain `ERR …` error.
    public init(_ message: String) { self.init("ERR", message) }

    public var text: String { "\(code) \(message)" }
    public var description: String { text }

    public static let syntax = RedisError("syntax error")
    public static let wrongType = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
    public static let notInteger = RedisError("value is not an integer or out of range")
    public static let notFloat = RedisError("value is not a valid float")
    public static let overflow = RedisError("increment or decrement would overflow")
    public static let noSuchKey = RedisError("no such key")
    public static let outOfRange = RedisError("index out of range")
    public static let dbIndexOutOfRange = RedisError("DB index is out of range")
    public static let invalidExpire = RedisError("invalid expire time in 'set' command")
    public static let stringTooLong = RedisError("string exceeds maximum allowed size (proto-max-bulk-len)")
    public static let timeoutNotFloat = RedisError("timeout is not a float or out of range")

    public static func wrongArity(_ name: String) -> RedisError {
        RedisError("wrong number of arguments for '\(name.lowercased())' command")
    }

    public static func invalidExpireTime(_ command: String) -> RedisError {
        RedisError("invalid expire time in '\(command.lowercased())' command")
    }
}
