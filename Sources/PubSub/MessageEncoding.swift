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
        buf.writeHeader(push ? UInt8(ascii: ">") : UInt8(ascii: "*"), pattern == nil ? 3 : 4)
        kind.withUTF8Buffer { buf.writeBulk(UnsafeRawBufferPointer($0)) }
        if let pattern { buf.writeBulk(pattern) }
        buf.writeBulk(channel)
        buf.writeBulk(payload)
        return buf
    }
}
