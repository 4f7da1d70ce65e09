import Engine
import NIOCore
import RESP

/// One published message, encoded at most once per protocol version and shared (the
/// ByteBuffer's storage is reference-counted) by every subscriber that receives it.
struct EncodedMessage {
    private let kind: StaticString
    private let pattern: Bytes?
    private let channel: Bytes
    private let payload: Bytes
    private let allocator: ByteBufferAllocator
    private var resp2: ByteBuffer?
    private var resp3: ByteBuffer?

    /// `kind` is `message`, `pmessage` (with `pattern`) or `smessage`.
    init(_ kind: StaticString, pattern: Bytes? = nil, channel: Bytes, payload: Bytes, allocator: ByteBufferAllocator) {
        self.kind = kind
        self.pattern = pattern
        self.channel = channel
        self.payload = payload
        self.allocator = allocator
    }

    mutating func buffer(for version: RESPVersion) -> ByteBuffer {
        if version == .resp3 {
            if let b = resp3 { return b }
            let b = encode(push: true)
            resp3 = b
            return b
        }
        if let b = resp2 { return b }
        let b = encode(push: false)
        resp2 = b
        return b
    }

    private func encode(push: Bool) -> ByteBuffer {
        var buf = allocator.buffer(capacity: 48 + channel.count + payload.count + (pattern?.count ?? 0))
        buf.writeInteger(push ? UInt8(ascii: ">") : UInt8(ascii: "*"))
        buf.writeInteger(pattern == nil ? UInt8(ascii: "3") : UInt8(ascii: "4"))
        buf.writeStaticString("\r\n$")
        EncodedMessage.writeDecimal(kind.utf8CodeUnitCount, into: &buf)
        buf.writeStaticString("\r\n")
        buf.writeStaticString(kind)
        buf.writeStaticString("\r\n")
        if let pattern { EncodedMessage.writeBulk(pattern, into: &buf) }
        EncodedMessage.writeBulk(channel, into: &buf)
        EncodedMessage.writeBulk(payload, into: &buf)
        return buf
    }

    @inline(__always) static func writeBulk(_ b: Bytes, into buf: inout ByteBuffer) {
        buf.writeInteger(UInt8(ascii: "$"))
        writeDecimal(b.count, into: &buf)
        buf.writeStaticString("\r\n")
        buf.writeBytes(b)
        buf.writeStaticString("\r\n")
    }

    /// A non-negative length in decimal, without allocating a String.
    @inline(__always) static func writeDecimal(_ value: Int, into buf: inout ByteBuffer) {
        if value < 10 {
            buf.writeInteger(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[19 - n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            }
            buf.writeBytes(UnsafeRawBufferPointer(rebasing: d[(20 - n)...]))
        }
    }
}
