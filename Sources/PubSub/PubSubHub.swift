import Engine
import NIOCore
import RESP

/// Pub/Sub on the engine: the registries, PUBLISH fan-out and keyspace notifications.
///
/// Messages are not part of any batch: publishing puts each in its subscriber's outbox (see
/// `Outbox`), `seal` tags what the command that just ran put there with its durability barrier,
/// and `flush` hands the outboxes to `deliver`, in the order they were first written. Messages
/// to the client whose command is running go into its own reply stream instead (`takeOwn`), so
/// they come before that command's reply as in Redis.
public final class PubSubHub {
    public let registry = PubSubRegistry()
    public var notifyFlags: NotifyFlags = [] {
        didSet { engine?.keyspaceEventClasses = notifyFlags.publishedClasses }
    }
    private unowned(unsafe) var engine: Engine?
    let allocator = ByteBufferAllocator()
    /// One subscriber's messages: its client id, the barrier they wait for, the buffers in order.
    public typealias Delivery = (client: Int64, barrier: UInt64, buffers: [ByteBuffer])
    /// Sends messages to subscribers once each delivery's barrier is durable; a subscriber's
    /// deliveries come in order.
    public var deliver: (_ deliveries: [Delivery]) -> Void = { _ in }
    /// The client whose command is executing (its messages join its replies), or -1.
    public var executingClient: Int64 = -1
    private var own: [ByteBuffer] = []
    private var ownClient: Client?
    /// Outboxes with messages, in the order they were first written since the last flush.
    private var outboxes: [Outbox] = []
    /// Those the running command wrote to.
    private var touched: [Outbox] = []
    /// Where small messages are encoded once before being copied into each outbox.
    private var scratch2: ByteBuffer
    private var scratch3: ByteBuffer
    public private(set) var messagesPublished: Int64 = 0
    /// Messages queued for clients other than the one executing (monotonic).
    public private(set) var messagesFannedOut: Int64 = 0

    public init() {
        scratch2 = allocator.buffer(capacity: 1024)
        scratch3 = allocator.buffer(capacity: 1024)
    }

    /// Attaches keyspace notifications to the engine's event hook.
    public func attach(to engine: Engine) {
        self.engine = engine
        engine.keyspaceEventClasses = notifyFlags.publishedClasses
        // Called for enabled classes only (see `keyspaceEventClasses`); the hub and the engine
        // live as long as the server, so no reference counting on this path.
        engine.onKeyspaceEvent = { [unowned(unsafe) self, unowned(unsafe) engine] cls, event, db, key in
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

    var hasPending: Bool { !outboxes.isEmpty }

    /// PUBLISH: delivers to channel subscribers and matching pattern subscribers; returns how many got it.
    @discardableResult
    public func publish(_ channel: Bytes, _ message: Bytes) -> Int {
        var receivers = 0
        if let subs = registry.channels[channel] {
            var encoded = EncodedMessage("message", channel: channel, payload: message)
            resetScratch()
            for client in subs.values { enqueue(&encoded, to: client) }
            receivers += subs.count
        }
        if !registry.patterns.isEmpty {
            for (pattern, subs) in registry.patterns where Glob.match(pattern, channel) {
                var encoded = EncodedMessage("pmessage", pattern: pattern, channel: channel, payload: message)
                resetScratch()
                for client in subs.values { enqueue(&encoded, to: client) }
                receivers += subs.count
            }
        }
        messagesPublished += 1
        return receivers
    }

    /// SPUBLISH: shard channel subscribers only.
    @discardableResult
    public func publishShard(_ channel: Bytes, _ message: Bytes) -> Int {
        guard let subs = registry.shardChannels[channel] else { return 0 }
        var encoded = EncodedMessage("smessage", channel: channel, payload: message)
        resetScratch()
        for client in subs.values { enqueue(&encoded, to: client) }
        messagesPublished += 1
        return subs.count
    }

    private func enqueue(_ message: inout EncodedMessage, to client: Client) {
        if client.id == executingClient {
            own.append(message.shared(for: client.resp, allocator: allocator))
            ownClient = client
            return
        }
        messagesFannedOut += 1
        let box = outbox(of: client)
        if message.isLarge {
            box.appendShared(message.shared(for: client.resp, allocator: allocator))
        } else if client.resp == .resp3 {
            if scratch3.readableBytes == 0 { message.encode(push: true, into: &scratch3) }
            box.appendCopy(of: scratch3, allocator: allocator)
        } else {
            if scratch2.readableBytes == 0 { message.encode(push: false, into: &scratch2) }
            box.appendCopy(of: scratch2, allocator: allocator)
        }
    }

    /// The client's outbox, listed for this command (`touched`) and the next flush (`outboxes`).
    private func outbox(of client: Client) -> Outbox {
        let box: Outbox
        if let b = client.pubsubOutbox {
            box = unsafeDowncast(b, to: Outbox.self)
        } else {
            box = Outbox(client)
            client.pubsubOutbox = box
            outboxes.append(box)
        }
        if !box.touched { touched.append(box) }
        return box
    }

    /// Messages for the executing client produced by its own command, to write before its reply.
    public func takeOwn(into out: inout ByteBuffer) {
        guard !own.isEmpty else { return }
        for b in own { out.writeImmutableBuffer(b) }
        own.removeAll(keepingCapacity: true)
        ownClient = nil
    }

    /// The scratch encodings belong to one message: cleared before each.
    @inline(__always) private func resetScratch() {
        if scratch2.readableBytes > 0 { scratch2.clear() }
        if scratch3.readableBytes > 0 { scratch3.clear() }
    }

    /// Tags the messages produced since the last seal with the barrier of the command that produced them.
    public func seal(_ barrier: UInt64) {
        guard !touched.isEmpty else { return }
        for box in touched { box.seal(barrier) }
        touched.removeAll(keepingCapacity: true)
    }

    /// Hands every outbox to `deliver`; messages not sealed yet get `barrier` first.
    public func flush(barrier: @autoclosure () -> UInt64) {
        if !own.isEmpty {
            // Not taken by the executing client's batch (e.g. produced outside one): send normally.
            if let client = ownClient {
                for b in own { outbox(of: client).appendShared(b) }
            }
            own.removeAll()
            ownClient = nil
        }
        if !touched.isEmpty { seal(barrier()) }
        guard !outboxes.isEmpty else { return }
        var deliveries: [Delivery] = []
        deliveries.reserveCapacity(outboxes.count)
        for box in outboxes {
            for run in box.runs { deliveries.append((box.client.id, run.barrier ?? 0, run.buffers)) }
            box.client.pubsubOutbox = nil
        }
        outboxes.removeAll(keepingCapacity: true)
        deliver(deliveries)
    }
}
