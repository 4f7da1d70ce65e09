/// Reading an encoded reply back into a value: what a `.raw` reply holds (a reply encoded at once
/// for a connection) when a caller needs its structure after all.
extension RESPValue {
    /// Parses exactly one RESP2 or RESP3 reply; nil if `bytes` are not one whole reply.
    public init?(encoded bytes: [UInt8]) {
        let parsed: RESPValue? = bytes.withUnsafeBufferPointer { b in
            var reader = ReplyReader(bytes: b)
            guard let v = reader.value(depth: 0), reader.position == b.count else { return nil }
            return v
        }
        guard let parsed else { return nil }
        self = parsed
    }
}

private struct ReplyReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The rest of the current line (its CRLF consumed).
    mutating func line() -> ArraySlice<UInt8>? {
        var i = position
        while i + 1 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 {
                defer { position = i + 2 }
                return Array(bytes[position..<i])[...]
            }
            i += 1
        }
        return nil
    }

    mutating func number() -> Int? { line().flatMap { Int(String(decoding: $0, as: UTF8.self)) } }

    /// `n` bytes followed by CRLF.
    mutating func blob(_ n: Int) -> [UInt8]? {
        guard n >= 0, bytes.count - position >= n + 2 else { return nil }
        defer { position += n + 2 }
        return Array(bytes[position..<(position + n)])
    }

    mutating func values(_ n: Int, depth: Int) -> [RESPValue]? {
        guard n >= 0 else { return nil }
        var out: [RESPValue] = []
        out.reserveCapacity(min(n, 1024))
        for _ in 0..<n {
            guard let v = value(depth: depth + 1) else { return nil }
            out.append(v)
        }
        return out
    }

    mutating func value(depth: Int) -> RESPValue? {
        guard depth < 1024, position < bytes.count else { return nil }
        let type = bytes[position]
        position += 1
        func text(_ l: ArraySlice<UInt8>) -> String { String(decoding: l, as: UTF8.self) }
        switch type {
        case UInt8(ascii: "+"): return line().map { .simple(text($0)) }
        case UInt8(ascii: "-"): return line().map { .error(text($0)) }
        case UInt8(ascii: ":"): return line().flatMap { Int64(text($0)) }.map { .integer($0) }
        case UInt8(ascii: "("): return line().map { .bigNumber(text($0)) }
        case UInt8(ascii: "_"): return line().map { _ in .null }
        case UInt8(ascii: "#"): return line().map { .boolean($0.first == UInt8(ascii: "t")) }
        case UInt8(ascii: ","):
            return line().flatMap { l -> RESPValue? in
                switch text(l) {
                case "inf": return .double(.infinity)
                case "-inf": return .double(-.infinity)
                case "nan": return .double(.nan)
                case let t: return Double(t).map { .double($0) }
                }
            }
        case UInt8(ascii: "$"):
            guard let n = number() else { return nil }
            return n == -1 ? .null : blob(n).map { .bulk($0) }
        case UInt8(ascii: "="):
            guard let n = number(), let b = blob(n), b.count >= 4 else { return nil }
            return .verbatim(format: text(b[0..<3]), text: Array(b[4...]))
        case UInt8(ascii: "*"):
            guard let n = number() else { return nil }
            return n == -1 ? .nullArray : values(n, depth: depth).map { .array($0) }
        case UInt8(ascii: "~"): return number().flatMap { values($0, depth: depth) }.map { .set($0) }
        case UInt8(ascii: ">"): return number().flatMap { values($0, depth: depth) }.map { .push($0) }
        case UInt8(ascii: "%"):
            guard let n = number(), let flat = values(2 * n, depth: depth) else { return nil }
            return .map(stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) })
        default: return nil
        }
    }
}
