import Engine

/// RDB constants as Redis 7.0 writes them. Persisted: never renumber.
public enum RDB {
    public static let version: UInt16 = 10

    public enum Opcode: UInt8 {
        case function2 = 0xF5
        case function = 0xF6
        case moduleAux = 0xF7
        case idle = 0xF8
        case freq = 0xF9
        case aux = 0xFA
        case resizeDB = 0xFB
        case expireTimeMs = 0xFC
        case expireTime = 0xFD
        case selectDB = 0xFE
        case eof = 0xFF
    }

    /// Value type bytes.
    public enum TypeByte: UInt8 {
        case string = 0
        case list = 1
        case set = 2
        case zset = 3
        case hash = 4
        case zset2 = 5
        case module2 = 7
        case hashZipmap = 9
        case listZiplist = 10
        case setIntset = 11
        case zsetZiplist = 12
        case hashZiplist = 13
        case listQuicklist = 14
        case streamListpacks = 15
        case hashListpack = 16
        case zsetListpack = 17
        case listQuicklist2 = 18
        case streamListpacks2 = 19
    }

    static let encInt8: UInt8 = 0
    static let encInt16: UInt8 = 1
    static let encInt32: UInt8 = 2
    static let encLZF: UInt8 = 3
}

public struct RDBError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Serializes RDB primitives into a byte array.
public struct RDBWriter {
    public var bytes: [UInt8] = []
    public var compress: Bool

    public init(compress: Bool = true, capacity: Int = 4096) {
        self.compress = compress
        bytes.reserveCapacity(capacity)
    }

    public mutating func byte(_ b: UInt8) { bytes.append(b) }

    public mutating func length(_ n: Int) {
        if n < 64 {
            bytes.append(UInt8(n))
        } else if n < 16384 {
            bytes.append(UInt8(0x40 | (n >> 8)))
            bytes.append(UInt8(n & 0xFF))
        } else if n <= Int(UInt32.max) {
            bytes.append(0x80)
            let v = UInt32(n).bigEndian
            withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
        } else {
            bytes.append(0x81)
            let v = UInt64(n).bigEndian
            withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
        }
    }

    public mutating func string(_ s: Bytes) {
        // Small integers are stored in integer encoding, as Redis does.
        if s.count <= 11, let v = Numbers.parseInt(s) {
            if v >= -(1 << 7) && v < (1 << 7) {
                bytes.append(0xC0 | RDB.encInt8)
                bytes.append(UInt8(bitPattern: Int8(v)))
                return
            } else if v >= -(1 << 15) && v < (1 << 15) {
                bytes.append(0xC0 | RDB.encInt16)
                withUnsafeBytes(of: Int16(v).littleEndian) { bytes.append(contentsOf: $0) }
                return
            } else if v >= -(1 << 31) && v < (1 << 31) {
                bytes.append(0xC0 | RDB.encInt32)
                withUnsafeBytes(of: Int32(v).littleEndian) { bytes.append(contentsOf: $0) }
                return
            }
        }
        if compress && s.count > 20, let c = LZF.compress(s) {
            bytes.append(0xC0 | RDB.encLZF)
            length(c.count)
            length(s.count)
            bytes += c
            return
        }
        length(s.count)
        bytes += s
    }

    public mutating func string(_ s: String) { string(Bytes(s)) }

    public mutating func le<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A double in binary form (RDB_TYPE_ZSET_2 scores).
    public mutating func binaryDouble(_ d: Double) { le(d.bitPattern) }
}

/// Reads RDB primitives from a byte array.
public struct RDBReader {
    public let bytes: [UInt8]
    public var position = 0

    public init(_ bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    public var atEnd: Bool { position >= bytes.count }

    public mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw RDBError("Unexpected end of RDB data") }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, position + n <= bytes.count else { throw RDBError("Unexpected end of RDB data") }
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    public mutating func le<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let b = try take(MemoryLayout<T>.size)
        var v: T = 0
        withUnsafeMutableBytes(of: &v) { for i in 0..<b.count { $0[i] = b[i] } }
        return T(littleEndian: v)
    }

    public mutating func be<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let b = try take(MemoryLayout<T>.size)
        var v: T = 0
        withUnsafeMutableBytes(of: &v) { for i in 0..<b.count { $0[i] = b[i] } }
        return T(bigEndian: v)
    }

    /// A length, or the special encoding tag (when `special` is true).
    public mutating func lengthOrEncoding() throws -> (value: Int, special: Bool) {
        let first = try byte()
        switch first >> 6 {
        case 0: return (Int(first & 0x3F), false)
        case 1: return ((Int(first & 0x3F) << 8) | Int(try byte()), false)
        case 2:
            if first == 0x80 { return (Int(try be(UInt32.self)), false) }
            if first == 0x81 {
                let v = try be(UInt64.self)
                guard v <= UInt64(Int.max) else { throw RDBError("RDB length too large") }
                return (Int(v), false)
            }
            throw RDBError("Unknown RDB length encoding \(first)")
        default: return (Int(first & 0x3F), true)
        }
    }

    public mutating func length() throws -> Int {
        let (v, special) = try lengthOrEncoding()
        guard !special else { throw RDBError("Unexpected encoded value where a length was expected") }
        return v
    }

    public mutating func string() throws -> Bytes {
        let (v, special) = try lengthOrEncoding()
        if !special { return try take(v) }
        switch UInt8(v) {
        case RDB.encInt8: return Numbers.format(Int64(Int8(bitPattern: try byte())))
        case RDB.encInt16: return Numbers.format(Int64(try le(Int16.self)))
        case RDB.encInt32: return Numbers.format(Int64(try le(Int32.self)))
        case RDB.encLZF:
            let clen = try length()
            let len = try length()
            let c = try take(clen)
            guard let out = LZF.decompress(c, expectedLength: len) else { throw RDBError("Invalid LZF compressed string") }
            return out
        default: throw RDBError("Unknown RDB string encoding \(v)")
        }
    }

    /// A score in RDB_TYPE_ZSET's text form.
    public mutating func textDouble() throws -> Double {
        let len = try byte()
        switch len {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            let t = try take(Int(len))
            guard let d = Double(String(decoding: t, as: UTF8.self)) else { throw RDBError("Invalid double in RDB") }
            return d
        }
    }

    public mutating func binaryDouble() throws -> Double { Double(bitPattern: try le(UInt64.self)) }
}
