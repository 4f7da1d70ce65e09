#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import CSupport
import NIOCore

public enum RESPVersion: Int, Sendable {
    case resp2 = 2
    case resp3 = 3
}

/// Writes `RESPValue`s as RESP2 or RESP3, with the downgrade rules Redis uses for RESP2.
public enum RESPEncoder {
    public static func encode(_ value: RESPValue, version: RESPVersion, into buffer: inout ByteBuffer) {
        switch value {
        case .simple(let s):
            buffer.writeLine(UInt8(ascii: "+"), s)
        case .error(let e):
            buffer.writeInteger(UInt8(ascii: "-"))
            // An error is one line: Redis turns CR and LF inside it into spaces.
            if e.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                buffer.writeBytes(e.utf8.map { $0 == 13 || $0 == 10 ? 32 : $0 })
            } else {
                buffer.writeString(e)
            }
            buffer.writeCRLF()
        case .integer(let i):
            buffer.writeHeader(UInt8(ascii: ":"), Int(i))
        case .bulk(let b):
            buffer.writeBulk(b)
        case .null:
            if version == .resp3 { buffer.writeFixed("_\r\n") } else { buffer.writeFixed("$-1\r\n") }
        case .nullArray:
            if version == .resp3 { buffer.writeFixed("_\r\n") } else { buffer.writeFixed("*-1\r\n") }
        case .array(let items):
            if buffer.writeBulkArray(items) { return }
            buffer.writeHeader(UInt8(ascii: "*"), items.count)
            for item in items { encode(item, version: version, into: &buffer) }
        case .set(let items):
            buffer.writeHeader(version == .resp3 ? UInt8(ascii: "~") : UInt8(ascii: "*"), items.count)
            for item in items { encode(item, version: version, into: &buffer) }
        case .push(let items):
            buffer.writeHeader(version == .resp3 ? UInt8(ascii: ">") : UInt8(ascii: "*"), items.count)
            for item in items { encode(item, version: version, into: &buffer) }
        case .map(let pairs):
            if version == .resp3 {
                buffer.writeHeader(UInt8(ascii: "%"), pairs.count)
            } else {
                buffer.writeHeader(UInt8(ascii: "*"), pairs.count * 2)
            }
            for (k, v) in pairs {
                encode(k, version: version, into: &buffer)
                encode(v, version: version, into: &buffer)
            }
        case .double(let d):
            // One buffer access each (NIO's generic byte writes cost more than formatting).
            RESPEncoder.withDoubleText(d) { text in
                if version == .resp3 {
                    buffer.writeLine(UInt8(ascii: ","), UnsafeRawBufferPointer(text))
                } else {
                    buffer.writeBulk(UnsafeRawBufferPointer(text))
                }
            }
        case .boolean(let b):
            if version == .resp3 {
                buffer.writeFixed(b ? "#t\r\n" : "#f\r\n")
            } else {
                buffer.writeFixed(b ? ":1\r\n" : ":0\r\n")
            }
        case .bigNumber(let n):
            if version == .resp3 {
                buffer.writeInteger(UInt8(ascii: "("))
                buffer.writeString(n)
                buffer.writeCRLF()
            } else {
                buffer.writeBulk(Array(n.utf8))
            }
        case .verbatim(let format, let text):
            if version == .resp3 {
                buffer.writeHeader(UInt8(ascii: "="), text.count + 4)
                buffer.writeString(format)
                buffer.writeInteger(UInt8(ascii: ":"))
                buffer.writeBytes(text)
                buffer.writeCRLF()
            } else {
                buffer.writeBulk(text)
            }
        case .raw(let bytes):
            bytes.withUnsafeBytes { buffer.writeRaw($0) }
        }
    }

    public static func encode(_ value: RESPValue, version: RESPVersion) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        encode(value, version: version, into: &buffer)
        return buffer
    }

    /// Redis 7.0's double text (`%.17g`, `inf`, `-inf`, `nan`).
    public static func formatDouble(_ d: Double) -> String {
        withDoubleText(d) { String(decoding: $0, as: UTF8.self) }
    }

    /// The decimal text of an integer as bytes (no String in between).
    public static func integerBytes(_ v: Int64) -> [UInt8] { withIntegerText(v) { Array($0) } }

    /// The length of the decimal text of `v`.
    @inlinable public static func decimalLength(_ v: Int) -> Int {
        ByteBuffer.decimalCount(UInt64(v.magnitude)) + (v < 0 ? 1 : 0)
    }

    /// Appends the decimal text of `v` to `out` (not generic, so callers in other modules pay
    /// no closure or metadata cost, unlike `withIntegerText`).
    @inlinable public static func appendDecimal(_ v: Int, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = UInt64(v.magnitude)
        let digits = ByteBuffer.decimalCount(magnitude)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: digits))
        out.withUnsafeMutableBufferPointer { ByteBuffer.storeDigits(magnitude, count: digits, at: $0.baseAddress! + start) }
    }

    /// Calls `body` with the decimal text of `v`, written on the stack.
    @inline(__always)
    public static func withIntegerText<R>(_ v: Int64, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
            let n = writeDecimal(v.magnitude, negative: v < 0, at: buf.baseAddress!)
            return body(UnsafeBufferPointer(start: buf.baseAddress!, count: n))
        }
    }

    /// Writes `-` (if `negative`) and the digits of `magnitude` at `p`; returns the length.
    @inline(__always)
    static func writeDecimal(_ magnitude: UInt64, negative: Bool, at p: UnsafeMutablePointer<UInt8>) -> Int {
        if negative { p[0] = UInt8(ascii: "-") }
        let sign = negative ? 1 : 0
        let digits = ByteBuffer.decimalCount(magnitude)
        ByteBuffer.storeDigits(magnitude, count: digits, at: p + sign)
        return sign + digits
    }

    /// The same text as bytes.
    public static func formatDoubleBytes(_ d: Double) -> [UInt8] { withDoubleText(d) { Array($0) } }

    /// Calls `body` with the `%.17g` text of `d` (`inf`, `-inf`, `nan` as Redis writes them).
    /// Whole numbers below 1e17 (scores, counters: the common case) are written digit by digit,
    /// which is what `%.17g` gives for them; anything else goes through the C library.
    @inline(__always)
    public static func withDoubleText<R>(_ d: Double, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            let p = buf.baseAddress!
            var n = 0
            if d.isNaN {
                n = copy("nan", p)
            } else if d.isInfinite {
                n = copy(d > 0 ? "inf" : "-inf", p)
            } else if d.magnitude < 1e17 && d == d.rounded(.towardZero) {
                n = writeDecimal(UInt64(d.magnitude), negative: d.sign == .minus, at: p)
            } else {
                n = Int(p.withMemoryRebound(to: CChar.self, capacity: 40) { mnemo_format_g17($0, 40, d) })
            }
            return body(UnsafeBufferPointer(start: p, count: n))
        }
    }

    @inline(__always) private static func copy(_ s: StaticString, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        p.update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        return s.utf8CodeUnitCount
    }
}

extension ByteBuffer {
    @inline(__always) mutating func writeCRLF() {
        writeInteger(UInt16(0x0D0A))
    }

    /// Digits of a non-negative integer in decimal.
    @usableFromInline @inline(__always) static func decimalCount(_ v: UInt64) -> Int {
        var n = 1
        var x = v
        while x >= 10 {
            x /= 10
            n += 1
        }
        return n
    }

    /// Stores `v` as `count` decimal digits ending right before `end`.
    @usableFromInline @inline(__always) static func storeDigits(_ v: UInt64, count: Int, at p: UnsafeMutablePointer<UInt8>) {
        var x = v
        var i = count
        repeat {
            i -= 1
            p[i] = UInt8(48 + x % 10)
            x /= 10
        } while i > 0
    }

    @inline(__always) mutating func writeDecimal(_ value: Int64) {
        let negative = value < 0
        let magnitude = value.magnitude
        let digits = ByteBuffer.decimalCount(magnitude)
        let total = digits + (negative ? 1 : 0)
        writeWithUnsafeMutableBytes(minimumWritableBytes: total) { raw in
            var p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if negative {
                p[0] = UInt8(ascii: "-")
                p += 1
            }
            ByteBuffer.storeDigits(magnitude, count: digits, at: p)
            return total
        }
    }

    /// `<prefix><count>\r\n` (array, map, set, push headers; integers) in one write.
    @inline(__always) public mutating func writeHeader(_ prefix: UInt8, _ count: Int) {
        let negative = count < 0
        let magnitude = UInt64(count.magnitude)
        let digits = ByteBuffer.decimalCount(magnitude)
        let total = 1 + (negative ? 1 : 0) + digits + 2
        writeWithUnsafeMutableBytes(minimumWritableBytes: total) { raw in
            var p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            p[0] = prefix
            p += 1
            if negative {
                p[0] = UInt8(ascii: "-")
                p += 1
            }
            ByteBuffer.storeDigits(magnitude, count: digits, at: p)
            p[digits] = 13
            p[digits + 1] = 10
            return total
        }
    }

    /// A fixed reply (`$-1\r\n`, `#t\r\n`…) in one buffer access: NIO's `writeStaticString`
    /// costs a few hundred instructions, more than the rest of a null reply's path.
    @inline(__always) mutating func writeFixed(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        writeWithUnsafeMutableBytes(minimumWritableBytes: n) { raw in
            raw.baseAddress!.copyMemory(from: text.utf8Start, byteCount: n)
            return n
        }
    }

    /// `<prefix><text>\r\n` in one write (+OK, +PONG: one buffer access, not three).
    @inline(__always) mutating func writeLine(_ prefix: UInt8, _ text: String) {
        var text = text
        text.withUTF8 { writeLine(prefix, UnsafeRawBufferPointer($0)) }
    }

    @inline(__always) mutating func writeLine(_ prefix: UInt8, _ text: UnsafeRawBufferPointer) {
        let n = text.count
        writeWithUnsafeMutableBytes(minimumWritableBytes: n + 3) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            p[0] = prefix
            if n > 0 { (p + 1).update(from: text.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n) }
            p[1 + n] = 13
            p[2 + n] = 10
            return n + 3
        }
    }

    /// Bytes as they are, copied in one buffer access.
    @inline(__always) mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        if n == 0 { return }
        writeWithUnsafeMutableBytes(minimumWritableBytes: n) { raw in
            raw.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: n)
            return n
        }
    }

    /// An array of bulk strings only (LRANGE, SMEMBERS, HGETALL in RESP2…) in one buffer
    /// access: a write per element cost ~100 instructions of NIO's bookkeeping each. Returns
    /// false, writing nothing, if an element is anything else.
    @inline(__always) mutating func writeBulkArray(_ items: [RESPValue]) -> Bool {
        items.withUnsafeBufferPointer { elements in
            var size = RESPFrame.headerSize(elements.count)
            for e in elements {
                guard case .bulk(let b) = e else { return false }
                size += RESPFrame.bulkSize(b.count)
            }
            writeFrame(size: size) { frame in
                frame.header(UInt8(ascii: "*"), elements.count)
                for e in elements {
                    if case .bulk(let b) = e { b.withUnsafeBytes { frame.bulk($0) } }
                }
            }
            return true
        }
    }

    /// Writes a frame of exactly `size` bytes (see `RESPFrame`'s sizes) in one buffer access.
    @inline(__always) public mutating func writeFrame(size: Int, _ body: (inout RESPFrame) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            var frame = RESPFrame(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            body(&frame)
            return size
        }
    }

    /// `$<n>\r\n<bytes>\r\n` in one write (one capacity check, one copy).
    @inline(__always) public mutating func writeBulk(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeBulk($0) }
    }

    @inline(__always) public mutating func writeBulk(_ bytes: UnsafeRawBufferPointer) {
        writeFrame(size: RESPFrame.bulkSize(bytes.count)) { $0.bulk(bytes) }
    }
}

extension RESPValue {
    /// An array of bulk strings encoded now (`.raw`; the bytes are the same in RESP2 and
    /// RESP3), for a reply that only goes to a connection: no value per element is built,
    /// retained and destroyed. Callers that read replies (scripts, modules) need `.array`.
    @inlinable public static func encodedBulkArray<C: Collection>(_ elements: C) -> RESPValue where C.Element == [UInt8] {
        let count = elements.count
        var size = RESPFrame.headerSize(count)
        for e in elements { size += RESPFrame.bulkSize(e.count) }
        return .raw([UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var frame = RESPFrame(buffer.baseAddress!)
            frame.header(UInt8(ascii: "*"), count)
            for e in elements { e.withUnsafeBytes { frame.bulk($0) } }
            initialized = size
        })
    }
}

/// Writes RESP headers and bulk strings straight into memory reserved by
/// `ByteBuffer.writeFrame(size:)`: a multi-part reply (an array of bulks, a pub/sub message) in
/// one buffer access instead of one per part.
public struct RESPFrame {
    /// Where the next byte goes.
    public var position: UnsafeMutablePointer<UInt8>

    /// A frame writing at `position`, which must have room for what is written (the sizes below).
    @inlinable public init(_ position: UnsafeMutablePointer<UInt8>) { self.position = position }

    /// Size of `<prefix><n>\r\n` for n ≥ 0.
    @inlinable public static func headerSize(_ n: Int) -> Int { 3 + ByteBuffer.decimalCount(UInt64(n)) }
    /// Size of `$<len>\r\n<bytes>\r\n`.
    @inlinable public static func bulkSize(_ length: Int) -> Int { 5 + ByteBuffer.decimalCount(UInt64(length)) + length }

    @inlinable public mutating func header(_ prefix: UInt8, _ n: Int) {
        let p = position, digits = ByteBuffer.decimalCount(UInt64(n))
        p[0] = prefix
        ByteBuffer.storeDigits(UInt64(n), count: digits, at: p + 1)
        p[1 + digits] = 13
        p[2 + digits] = 10
        position = p + 3 + digits
    }

    @inlinable public mutating func bulk(_ bytes: UnsafeRawBufferPointer) {
        let p = position, n = bytes.count, digits = ByteBuffer.decimalCount(UInt64(n))
        p[0] = UInt8(ascii: "$")
        ByteBuffer.storeDigits(UInt64(n), count: digits, at: p + 1)
        p[1 + digits] = 13
        p[2 + digits] = 10
        if n > 0 { (p + 3 + digits).update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n) }
        p[3 + digits + n] = 13
        p[4 + digits + n] = 10
        position = p + 5 + digits + n
    }
}
