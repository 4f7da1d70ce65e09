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
    /// An upper bound of the encoded size.
    let size: Int
    private var resp2: ByteBuffer?
    private var resp3: ByteBuffer?

    /// `kind` is `message`, `pmessage` (with `pattern`) or `smessage`.
    init(_ kind: StaticString, pattern: Bytes? = nil, channel: Bytes, payload: Bytes) {
        self.kind = kind
        self.pattern = pattern
        self.channel = channel
        self.payload = payload
        size = 48 + channel.count + payload.count + (pattern?.count ?? 0)
    }

    var isLarge: Bool { size > Self.shareAbove }

    /// The encoding for `version` in a buffer of its own, made once and shared by every caller.
    mutating func shared(for version: RESPVersion, allocator: ByteBufferAllocator) -> ByteBuffer {
        if version == .resp3 {
            if let b = resp3 { return b }
            var b = allocator.buffer(capacity: size)
            encode(push: true, into: &b)
            resp3 = b
            return b
        }
        if let b = resp2 { return b }
        var b = allocator.buffer(capacity: size)
        encode(push: false, into: &b)
        resp2 = b
        return b
    }

    /// Writes the RESP2 array or RESP3 push frame.
    func encode(push: Bool, into buf: inout ByteBuffer) {
        buf.writeHeader(push ? UInt8(ascii: ">") : UInt8(ascii: "*"), pattern == nil ? 3 : 4)
        kind.withUTF8Buffer { buf.writeBulk(UnsafeRawBufferPointer($0)) }
        if let pattern { buf.writeBulk(pattern) }
        buf.writeBulk(channel)
        buf.writeBulk(payload)
    }
}

/// A subscriber's messages not handed to the session yet, as runs of buffers, each run with
/// the durability barrier of the commands that produced it. Small messages are appended to the
/// last buffer while it is this outbox's own; large (shared) ones are added as they are.
final class Outbox {
    struct Run {
        /// nil while only the running command's messages are in the run.
        var barrier: UInt64?
        var buffers: [ByteBuffer] = []
        /// The last buffer belongs to this outbox alone (small messages go into it).
        var ownTail = false
    }

    /// Held until the flush, which clears the client's reference back to this outbox.
    let client: Client
    private(set) var runs: [Run] = []
    /// Where the running command's first message to this outbox begins: buffer index and byte
    /// offset in the last run (nil when that command has not written here yet).
    private var mark: (buffer: Int, offset: Int)?

    init(_ client: Client) { self.client = client }

    /// Whether the running command already wrote here (the hub lists each outbox once per command).
    var touched: Bool { mark != nil }

    private func lastRun() -> Int {
        if runs.isEmpty { runs.append(Run()) }
        return runs.count - 1
    }

    private func begin(_ r: Int) {
        if mark == nil {
            let run = runs[r]
            mark = (run.buffers.count - (run.ownTail ? 1 : 0), run.ownTail ? run.buffers.last!.writerIndex : 0)
        }
    }

    func appendCopy(of encoded: ByteBuffer, allocator: ByteBufferAllocator) {
        let r = lastRun()
        begin(r)
        if runs[r].ownTail {
            runs[r].buffers[runs[r].buffers.count - 1].writeImmutableBuffer(encoded)
        } else {
            var b = allocator.buffer(capacity: max(512, encoded.readableBytes * 4))
            b.writeImmutableBuffer(encoded)
            runs[r].buffers.append(b)
            runs[r].ownTail = true
        }
    }

    func appendShared(_ buffer: ByteBuffer) {
        let r = lastRun()
        begin(r)
        runs[r].buffers.append(buffer)
        runs[r].ownTail = false
    }

    /// The running command ended: its messages wait for `barrier`. They stay in the last run
    /// when that run waits for the same barrier; otherwise they move to a run of their own.
    func seal(_ barrier: UInt64) {
        guard let m = mark else { return }
        mark = nil
        let r = runs.count - 1
        if runs[r].barrier == nil || runs[r].barrier == barrier {
            runs[r].barrier = barrier
            return
        }
        var moved = Run(barrier: barrier)
        var buffers = runs[r].buffers
        if m.offset > 0 {
            // The command's first bytes share a buffer with earlier messages: split it.
            var head = buffers[m.buffer]
            let tail = head.getSlice(at: m.offset, length: head.writerIndex - m.offset)!
            head.moveWriterIndex(to: m.offset)
            buffers[m.buffer] = head
            moved.buffers.append(tail)
            moved.buffers.append(contentsOf: buffers[(m.buffer + 1)...])
            buffers.removeSubrange((m.buffer + 1)...)
        } else {
            moved.buffers.append(contentsOf: buffers[m.buffer...])
            buffers.removeSubrange(m.buffer...)
        }
        moved.ownTail = false  // a slice shares storage with the earlier run's buffer
        runs[r].buffers = buffers
        runs[r].ownTail = false
        runs.append(moved)
    }
}
