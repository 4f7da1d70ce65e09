import Engine
import NIOCore
import RESP

/// One published message, encoded at most once per protocol version and shared (the
/// ByteBuffer's storage is reference-counted) by every subscriber that receives it.
struct EncodedMessage {
    private let parts: [Bytes]
    private let allocator: ByteBufferAllocator
    private var resp2: ByteBuffer?
    private var resp3: ByteBuffer?

    static let message = Bytes("message")
    static let pmessage = Bytes("pmessage")
    static let smessage = Bytes("smessage")

    /// `parts` start with the type (`message`, `pmessage`, `smessage`), then pattern, channel, payload.
    init(_ parts: [Bytes], allocator: ByteBufferAllocator) {
        self.parts = parts
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
        var size = 16
        for p in parts { size += p.count + 16 }
        var buf = allocator.buffer(capacity: size)
        buf.writeInteger(push ? UInt8(ascii: ">") : UInt8(ascii: "*"))
        buf.writeString(String(parts.count))
        buf.writeStaticString("\r\n")
        for p in parts {
            buf.writeInteger(UInt8(ascii: "$"))
            buf.writeString(String(p.count))
            buf.writeStaticString("\r\n")
            buf.writeBytes(p)
            buf.writeStaticString("\r\n")
        }
        return buf
    }
}
