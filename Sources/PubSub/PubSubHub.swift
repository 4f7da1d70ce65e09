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
    /// Commands that produced messages since the last flush are numbered (epochs, from
    /// `firstEpoch`); `barriers` holds each one's barrier once it has ended (`seal`).
    private var epoch = 0
    private var firstEpoch = 0
    private var barriers: [UInt64] = []
    /// The running command (`epoch`) wrote to an outbox.
    private var epochWritten = false
    /// Where a small message (at most `EncodedMessage.shareAbove` bytes) is encoded once per
    /// protocol version before being copied into each outbox: fixed memory, no reference counting.
    private let scratch2 = UnsafeMutablePointer<UInt8>.allocate(capacity: EncodedMessage.shareAbove)
    private let scratch3 = UnsafeMutablePointer<UInt8>.allocate(capacity: EncodedMessage.shareAbove)
    public private(set) var messagesPublished: Int64 = 0
    /// Messages queued for clients other than the one executing (monotonic).
    public private(set) var messagesFannedOut: Int64 = 0

    public init() {}

    deinit {
        scratch2.deallocate()
        scratch3.deallocate()
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
        if let subs = registry.channelSubscribers(channel) {
            fanOut("message", pattern: nil, channel, message, to: subs)
            receivers += subs.count
        }
        if !registry.patterns.isEmpty {
            for (pattern, subs) in registry.patterns where Glob.match(pattern, channel) {
                fanOut("pmessage", pattern: pattern, channel, message, to: subs)
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
        fanOut("smessage", pattern: nil, channel, message, to: subs)
        messagesPublished += 1
        return subs.count
    }

    /// Puts one message in each subscriber's outbox. A small message is encoded once per
    /// protocol version into a scratch buffer whose bytes are copied into each outbox; a large
    /// one is shared (`EncodedMessage`, made only then). The parts are borrowed and the loop
    /// borrows the registry's clients and their outboxes: this is the fan-out's hot path, and
    /// it costs no reference counting per subscriber.
    private func fanOut(_ kind: StaticString, pattern: Bytes?, _ channel: Bytes, _ payload: Bytes,
                        to subs: PubSubRegistry.Subscribers) {
        var shared: EncodedMessage?
        let size = EncodedMessage.size(kind, pattern: pattern, channel: channel, payload: payload)
        if size > EncodedMessage.shareAbove {
            for client in subs.clients.values {
                enqueueShared(&shared, kind, pattern, channel, payload, to: client)
            }
            return
        }
        var encoded3 = false
        EncodedMessage.encode(kind, pattern: pattern, channel: channel, payload: payload, push: false, at: scratch2)
        var others: Int64 = 0
        let executing = executingClient
        let resp2 = UnsafeRawBufferPointer(start: scratch2, count: size)
        let resp3 = UnsafeRawBufferPointer(start: scratch3, count: size)
        subs.clients.values.elements.withUnsafeBufferPointer { clients in
            // Each client is lent from its address: a reference loaded from the array would be
            // retained around the calls below (the compiler cannot see they leave it alone).
            let addresses = UnsafeRawPointer(clients.baseAddress!).assumingMemoryBound(to: UnsafeRawPointer.self)
            for i in clients.indices {
                Unmanaged<Client>.fromOpaque(addresses[i])._withUnsafeGuaranteedRef { client in
                    if client.id == executing {
                        enqueueShared(&shared, kind, pattern, channel, payload, to: client)
                        return
                    }
                    others += 1
                    if client.resp == .resp3 {
                        if !encoded3 {
                            EncodedMessage.encode(kind, pattern: pattern, channel: channel, payload: payload, push: true, at: scratch3)
                            encoded3 = true
                        }
                        outbox(of: client)._withUnsafeGuaranteedRef { $0.appendCopy(of: resp3, allocator: allocator) }
                    } else {
                        outbox(of: client)._withUnsafeGuaranteedRef { $0.appendCopy(of: resp2, allocator: allocator) }
                    }
                }
            }
        }
        messagesFannedOut += others
    }

    /// A message in a buffer of its own (made once per protocol version and shared): for the
    /// executing client (it joins its replies) or a large message.
    private func enqueueShared(_ shared: inout EncodedMessage?, _ kind: StaticString, _ pattern: Bytes?,
                               _ channel: Bytes, _ payload: Bytes, to client: Client) {
        if shared == nil { shared = EncodedMessage(kind, pattern: pattern, channel: channel, payload: payload) }
        let buffer = shared!.shared(for: client.resp, allocator: allocator)
        if client.id == executingClient {
            own.append(buffer)
            ownClient = client
            return
        }
        messagesFannedOut += 1
        outbox(of: client)._withUnsafeGuaranteedRef { $0.appendShared(buffer) }
    }

    /// The client's outbox, listed for the next flush, with the running command begun in it.
    /// Lent from the address the client keeps (the `outboxes` list holds it): no retain.
    @inline(__always) private func outbox(of client: Client) -> Unmanaged<Outbox> {
        let box = Unmanaged<Outbox>.fromOpaque(client.pubsubOutbox ?? makeOutbox(for: client))
        box._withUnsafeGuaranteedRef { box in
            if box.epoch != epoch {
                settle(box)
                box.begin(epoch)
                epochWritten = true
            }
        }
        return box
    }

    /// A new outbox for `client`, held by `outboxes` until the flush; returns its address.
    @inline(never) private func makeOutbox(for client: Client) -> UnsafeMutableRawPointer {
        let created = Outbox(client)
        outboxes.append(created)
        let address = Unmanaged.passUnretained(created).toOpaque()
        client.pubsubOutbox = address
        return address
    }

    /// Gives the messages `box` holds from an ended command that command's barrier.
    @inline(__always) private func settle(_ box: Outbox) {
        if box.unsettled { box.settle(barriers[box.epoch - firstEpoch]) }
    }

    /// Messages for the executing client produced by its own command, to write before its reply.
    public func takeOwn(into out: inout ByteBuffer) {
        guard !own.isEmpty else { return }
        for b in own { out.writeImmutableBuffer(b) }
        own.removeAll(keepingCapacity: true)
        ownClient = nil
    }

    /// The command that just ran produced its messages under `barrier`. Recorded once for the
    /// command; each outbox it wrote to applies it when it is written to next, or at the flush.
    public func seal(_ barrier: UInt64) {
        guard epochWritten else { return }
        barriers.append(barrier)
        epoch += 1
        epochWritten = false
    }

    /// Hands every outbox to `deliver`; messages not sealed yet get `barrier` first.
    public func flush(barrier: @autoclosure () -> UInt64) {
        if !own.isEmpty {
            // Not taken by the executing client's batch (e.g. produced outside one): send normally.
            if let client = ownClient {
                for b in own { outbox(of: client)._withUnsafeGuaranteedRef { $0.appendShared(b) } }
            }
            own.removeAll()
            ownClient = nil
        }
        if epochWritten { seal(barrier()) }
        guard !outboxes.isEmpty else { return }
        var deliveries: [Delivery] = []
        deliveries.reserveCapacity(outboxes.count)
        for box in outboxes {
            settle(box)
            for run in box.takeRuns() { deliveries.append((box.client.id, run.barrier, run.buffers)) }
            box.client.pubsubOutbox = nil
        }
        outboxes.removeAll(keepingCapacity: true)
        barriers.removeAll(keepingCapacity: true)
        firstEpoch = epoch
        deliver(deliveries)
    }
}
