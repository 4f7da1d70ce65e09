/// A typed reader over a command's arguments (argv[0] is the name).
public struct Arguments {
    public let argv: [Bytes]
    public var position: Int

    public init(_ argv: [Bytes], from position: Int = 1) {
        self.argv = argv
        self.position = position
    }

    public var remaining: Int { argv.count - position }
    public var isEmpty: Bool { position >= argv.count }

    public mutating func next() throws -> Bytes {
        guard position < argv.count else { throw RedisError.syntax }
        defer { position += 1 }
        return argv[position]
    }

    public func peek() -> Bytes? { position < argv.count ? argv[position] : nil }

    /// Consumes the next argument if it is `keyword` (case-insensitive).
    public mutating func flag(_ keyword: StaticString) -> Bool {
        if position < argv.count && argv[position].equalsIgnoringCase(keyword) {
            position += 1
            return true
        }
        return false
    }

    public mutating func int() throws -> Int64 {
        guard let v = Numbers.parseInt(try next()) else { throw RedisError.notInteger }
        return v
    }

    public mutating func double() throws -> Double {
        guard let v = Numbers.parseDouble(try next()) else { throw RedisError.notFloat }
        return v
    }

    public mutating func rest() -> [Bytes] {
        defer { position = argv.count }
        return Array(argv[position...])
    }

    public func finish() throws {
        if position < argv.count { throw RedisError.syntax }
    }
}

extension Bytes {
    /// This argument as an integer, or Redis's "not an integer" error.
    public func int() throws -> Int64 {
        guard let v = Numbers.parseInt(self) else { throw RedisError.notInteger }
        return v
    }
}
