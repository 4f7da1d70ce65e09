#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
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
            buffer.writeInteger(UInt8(ascii: "+"))
            buffer.writeString(s)
            buffer.writeCRLF()
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
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeDecimal(i)
            buffer.writeCRLF()
        case .bulk(let b):
            buffer.writeBulk(b)
        case .null:
            if version == .resp3 { buffer.writeStaticString("_\r\n") } else { buffer.writeStaticString("$-1\r\n") }
        case .nullArray:
            if version == .resp3 { buffer.writeStaticString("_\r\n") } else { buffer.writeStaticString("*-1\r\n") }
        case .array(let items):
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
            let text = RESPEncoder.formatDouble(d)
            if version == .resp3 {
                buffer.writeInteger(UInt8(ascii: ","))
                buffer.writeString(text)
                buffer.writeCRLF()
            } else {
                buffer.writeBulk(Array(text.utf8))
            }
        case .boolean(let b):
            if version == .resp3 {
                buffer.writeStaticString(b ? "#t\r\n" : "#f\r\n")
            } else {
                buffer.writeStaticString(b ? ":1\r\n" : ":0\r\n")
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
            buffer.writeBytes(bytes)
        }
    }

    public static func encode(_ value: RESPValue, version: RESPVersion) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        encode(value, version: version, into: &buffer)
        return buffer
    }

    /// Redis 7.0's double text (`%.17g`, `inf`, `-inf`, `nan`).
    public static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        return cFormat("%.17g", d)
    }

    /// printf-style formatting of one double through the C library.
    public static func cFormat(_ format: String, _ d: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buf in
            let n = withVaList([d]) { vsnprintf(buf.baseAddress!, 128, format, $0) }
            return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress!, count: Int(n)), as: UTF8.self)
        }
    }
}

extension ByteBuffer {
    @inline(__always) mutating func writeCRLF() {
        writeInteger(UInt16(0x0D0A))
    }

    @inline(__always) mutating func writeDecimal(_ value: Int64) {
        if value >= 0 && value < 10 {
            writeInteger(UInt8(48 + value))
            return
        }
        // Write digits backwards into a small stack buffer.
        var v = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { tmp in
            var i = 20
            while v > 0 {
                i -= 1
                tmp[i] = UInt8(48 + v % 10)
                v /= 10
            }
            if value < 0 { writeInteger(UInt8(ascii: "-")) }
            writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(tmp)[i..<20]))
        }
    }

    @inline(__always) mutating func writeHeader(_ prefix: UInt8, _ count: Int) {
        writeInteger(prefix)
        writeDecimal(Int64(count))
        writeCRLF()
    }

    @inline(__always) mutating func writeBulk(_ bytes: [UInt8]) {
        writeHeader(UInt8(ascii: "$"), bytes.count)
        writeBytes(bytes)
        writeCRLF()
    }
}
