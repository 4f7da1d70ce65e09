import Engine
import NIOCore
import RESP

/// One published message on its way to subscribers, encoded at most once per protocol version.
/// A small message is encoded into a scratch buffer and copied into each subscriber's outbox,
/// where it joins that subscriber's other messages in one buffer (a copy of a few hundred bytes
/// costs less than a buffer, a hand-over and a write of its own). A large one gets a buffer of
/// its own that every subscriber shares (the storage is reference-counted): never copied per
/// subscriber.
struct EncodedMessage {
    /// Messages longer than this (encoded) are shared, not copied.
    static let shareAbove = 1024

    private let kind: StaticString
    private let pattern: Bytes?
    private let channel: Bytes
    private let payload: Bytes
    /// The encoded size.
    let size: Int
    private var resp2: ByteBuffer?
    private var resp3: ByteBuffer?

    /// `kind` is `message`, `pmessage` (with `pattern`) or `smessage`.
    init(_ kind: StaticString, pattern: Bytes? = nil, channel: Bytes, payload: Bytes) {
        self.kind = kind
        self.pattern = pattern
        self.channel = channel
        self.payload = payload
        size = Self.size(kind, pattern: pattern, channel: channel, payload: payload)
    }

    /// The encoded size (the same for a RESP2 array and a RESP3 push frame).
    static func size(_ kind: StaticString, pattern: Bytes?, channel: Bytes, payload: Bytes) -> Int {
        RESPFrame.headerSize(pattern == nil ? 3 : 4) + RESPFrame.bulkSize(kind.utf8CodeUnitCount)
            + (pattern.map { RESPFrame.bulkSize($0.count) } ?? 0)
            + RESPFrame.bulkSize(channel.count) + RESPFrame.bulkSize(payload.count)
    }

    /// The encoding for `version` in a buffer of its own, made once and shared by every caller.
    mutating func shared(for version: RESPVersion, allocator: ByteBufferAllocator) -> ByteBuffer {
        if version == .resp3 {
            if let b = resp3 { return b }
            var b = allocator.buffer(capacity: size)
            Self.encode(kind, pattern: pattern, channel: channel, payload: payload, push: true, into: &b)
            resp3 = b
            return b
        }
        if let b = resp2 { return b }
        var b = allocator.buffer(capacity: size)
        Self.encode(kind, pattern: pattern, channel: channel, payload: payload, push: false, into: &b)
        resp2 = b
        return b
    }

    /// Writes the RESP2 array or RESP3 push frame, in one buffer access.
    static func encode(_ kind: StaticString, pattern: Bytes?, channel: Bytes, payload: Bytes, push: Bool,
                       into buf: inout ByteBuffer) {
        buf.writeFrame(size: size(kind, pattern: pattern, channel: channel, payload: payload)) { frame in
            encode(kind, pattern: pattern, channel: channel, payload: payload, push: push, into: &frame)
        }
    }

    /// Writes it at `memory`, which has room for `size` bytes.
    static func encode(_ kind: StaticString, pattern: Bytes?, channel: Bytes, payload: Bytes, push: Bool,
                       at memory: UnsafeMutablePointer<UInt8>) {
        var frame = RESPFrame(memory)
        encode(kind, pattern: pattern, channel: channel, payload: payload, push: push, into: &frame)
    }

    @inline(__always)
    private static func encode(_ kind: StaticString, pattern: Bytes?, channel: Bytes, payload: Bytes, push: Bool,
                               into frame: inout RESPFrame) {
        frame.header(push ? UInt8(ascii: ">") : UInt8(ascii: "*"), pattern == nil ? 3 : 4)
        kind.withUTF8Buffer { frame.bulk(UnsafeRawBufferPointer($0)) }
        pattern?.withUnsafeBytes { frame.bulk($0) }
        channel.withUnsafeBytes { frame.bulk($0) }
        payload.withUnsafeBytes { frame.bulk($0) }
    }
}

/// A subscriber's messages not handed to the session yet, as runs of buffers, each run with
/// the durability barrier of the commands that produced it. Small messages are appended to the
/// open run's own tail buffer; large (shared) ones are added as they are.
///
/// A command's messages are settled (given its barrier) lazily: when the next command writes
/// here, or at the flush (see `PubSubHub.seal`), so ending a command costs nothing per subscriber.
final class Outbox {
    struct Run {
        var barrier: UInt64
        var buffers: [ByteBuffer]
    }

    /// Held until the flush, which clears the client's reference back to this outbox.
    let client: Client
    /// Older runs, their barriers settled and different from the open run's.
    private var closed: [Run] = []
    /// The open run: its barrier (nil while it holds only unsettled messages), its buffers and
    /// its own tail buffer (`hasTail`), where small messages are appended.
    private var barrier: UInt64?
    private var buffers: [ByteBuffer] = []
    private var tail: ByteBuffer
    private var hasTail = false
    /// The hub epoch (command) whose messages are not settled yet, and where they begin in the
    /// open run: buffer index (the tail counting as the last buffer) and byte offset.
    private(set) var epoch = -1
    private(set) var unsettled = false
    private var mark = (buffer: 0, offset: 0)

    private static let noTail = ByteBufferAllocator().buffer(capacity: 0)

    init(_ client: Client) {
        self.client = client
        tail = Outbox.noTail
    }

    /// The command of `epoch` writes here (the previous one's messages are settled already).
    @inline(__always) func begin(_ epoch: Int) {
        self.epoch = epoch
        unsettled = true
        mark = hasTail ? (buffers.count, tail.writerIndex) : (buffers.count, 0)
    }

    @inline(__always) func appendCopy(of encoded: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) {
        if !hasTail {
            tail = allocator.buffer(capacity: max(512, encoded.count * 4))
            hasTail = true
        }
        tail.writeBytes(encoded)
    }

    func appendShared(_ buffer: ByteBuffer) {
        closeTail()
        buffers.append(buffer)
    }

    /// The tail becomes an ordinary buffer of the open run (small messages start a new one).
    private func closeTail() {
        guard hasTail else { return }
        buffers.append(tail)
        tail = Outbox.noTail
        hasTail = false
    }

    /// The unsettled messages wait for `barrier`. They stay in the open run when it waits for
    /// the same barrier (or holds nothing else); otherwise they move to a run of their own.
    func settle(_ newBarrier: UInt64) {
        unsettled = false
        guard let b = barrier, b != newBarrier else {
            barrier = newBarrier
            return
        }
        closeTail()
        let m = mark
        var moved: [ByteBuffer] = []
        if m.offset > 0 {
            // The command's first bytes share a buffer with earlier messages: split it.
            var head = buffers[m.buffer]
            moved.append(head.getSlice(at: m.offset, length: head.writerIndex - m.offset)!)
            head.moveWriterIndex(to: m.offset)
            buffers[m.buffer] = head
            moved.append(contentsOf: buffers[(m.buffer + 1)...])
            buffers.removeSubrange((m.buffer + 1)...)
        } else {
            moved.append(contentsOf: buffers[m.buffer...])
            buffers.removeSubrange(m.buffer...)
        }
        closed.append(Run(barrier: b, buffers: buffers))
        buffers = moved
        barrier = newBarrier
    }

    /// Every run, oldest first; `settle` must have run (the flush settles every outbox).
    func takeRuns() -> [Run] {
        closeTail()
        var runs = closed
        if !buffers.isEmpty { runs.append(Run(barrier: barrier ?? 0, buffers: buffers)) }
        return runs
    }
}
