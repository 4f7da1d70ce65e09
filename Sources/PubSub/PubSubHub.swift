import Engine
import NIOCore
import RESP

/// Pub/Sub on the engine: the registries, PUBLISH fan-out and keyspace notifications.
///
/// Messages are not part of any batch: publishing puts them in an outbox, `seal` tags what is
/// there with the durability barrier of the command that produced it, and `flush` hands them to
/// `deliver` grouped by subscriber (one buffer list per subscriber, buffers shared between
/// subscribers). Messages to the client whose command is running go into its own reply stream
/// instead (`takeOwn`), so they come before that command's reply as in Redis.
public final class PubSubHub {
    public let registry = PubSubRegistry()
    public var notifyFlags: NotifyFlags = []
    let allocator = ByteBufferAllocator()
    /// Sends messages to subscribers once `barrier` is durable: (client id, buffers in order).
    public var deliver: (_ messages: [(Int64, [ByteBuffer])], _ barrier: UInt64) -> Void = { _, _ in }
    /// The client whose command is executing (its messages join its replies), or -1.
    public var executingClient: Int64 = -1
    private var own: [(Int64, ByteBuffer)] = []
    private var open: [(Int64, ByteBuffer)] = []
    private var sealed: [(barrier: UInt64, items: [(Int64, ByteBuffer)])] = []
    public private(set) var messagesPublished: Int64 = 0

    public init() {}

    /// Attaches keyspace notifications to the engine's event hook.
    public func attach(to engine: Engine) {
        engine.onKeyspaceEvent = { [unowned self, unowned engine] cls, event, db, key in
            guard self.notifyFlags.publishes(cls), !engine.isReplaying else { return }
            self.notifyKeyspaceEvent(event, db: db, key: key)
        }
    }

    /// Redis's `notifyKeyspaceEvent` once the class is known to be enabled.
    public func notifyKeyspaceEvent(_ event: String, db: Int, key: Bytes) {
        if notifyFlags.contains(.keyspace) {
            publish(KeyspaceChannels.keyspace(db: db, key: key), Bytes(event))
        }
        if notifyFlags.contains(.keyevent) {
            publish(KeyspaceChannels.keyevent(db: db, event: event), key)
        }
    }

    var hasPending: Bool { !open.isEmpty || !sealed.isEmpty }

    /// PUBLISH: delivers to channel subscribers and matching pattern subscribers; returns how many got it.
    @discardableResult
    public func publish(_ channel: Bytes, _ message: Bytes) -> Int {
        var receivers = 0
        if let subs = registry.channels[channel] {
            var encoded = EncodedMessage("message", channel: channel, payload: message, allocator: allocator)
            for client in subs.values {
                enqueue(client, encoded.buffer(for: client.resp))
                receivers += 1
            }
        }
        if !registry.patterns.isEmpty {
            for (pattern, subs) in registry.patterns where Glob.match(pattern, channel) {
                var encoded = EncodedMessage("pmessage", pattern: pattern, channel: channel, payload: message, allocator: allocator)
                for client in subs.values {
                    enqueue(client, encoded.buffer(for: client.resp))
                    receivers += 1
                }
            }
        }
        messagesPublished += 1
        return receivers
    }

    /// SPUBLISH: shard channel subscribers only.
    @discardableResult
    public func publishShard(_ channel: Bytes, _ message: Bytes) -> Int {
        guard let subs = registry.shardChannels[channel] else { return 0 }
        var encoded = EncodedMessage("smessage", channel: channel, payload: message, allocator: allocator)
        for client in subs.values { enqueue(client, encoded.buffer(for: client.resp)) }
        messagesPublished += 1
        return subs.count
    }

    @inline(__always) private func enqueue(_ client: Client, _ buffer: ByteBuffer) {
        if client.id == executingClient {
            own.append((client.id, buffer))
        } else {
            open.append((client.id, buffer))
        }
    }

    /// Messages for the executing client produced by its own command, to write before its reply.
    public func takeOwn(into out: inout ByteBuffer) {
        guard !own.isEmpty else { return }
        for (_, b) in own {
            var b = b
            out.writeBuffer(&b)
        }
        own.removeAll(keepingCapacity: true)
    }

    /// Tags the messages produced since the last seal with the barrier of the command that produced them.
    public func seal(_ barrier: UInt64) {
        guard !open.isEmpty else { return }
        if let last = sealed.last, last.barrier == barrier {
            sealed[sealed.count - 1].items.append(contentsOf: open)
        } else {
            sealed.append((barrier, open))
        }
        open.removeAll(keepingCapacity: true)
    }

    /// Hands every sealed message to `deliver`; unsealed ones get `barrier` first.
    public func flush(barrier: @autoclosure () -> UInt64) {
        if !own.isEmpty {
            // Not taken by the executing client's batch (e.g. produced outside one): send normally.
            open.append(contentsOf: own)
            own.removeAll()
        }
        if !open.isEmpty { seal(barrier()) }
        guard !sealed.isEmpty else { return }
        let groups = sealed
        sealed.removeAll(keepingCapacity: true)
        for group in groups {
            deliver(PubSubHub.bySubscriber(group.items), group.barrier)
        }
    }

    /// Groups messages per subscriber, keeping each subscriber's order.
    static func bySubscriber(_ items: [(Int64, ByteBuffer)]) -> [(Int64, [ByteBuffer])] {
        if items.count == 1 { return [(items[0].0, [items[0].1])] }
        var index: [Int64: Int] = [:]
        var out: [(Int64, [ByteBuffer])] = []
        for (id, buf) in items {
            if let i = index[id] {
                out[i].1.append(buf)
            } else {
                index[id] = out.count
                out.append((id, [buf]))
            }
        }
        return out
    }
}
