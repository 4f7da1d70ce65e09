import Engine
import NIOCore
import PubSub
import RESP

/// Wires Pub/Sub into the server: commands, the subscribed-mode gate, keyspace notifications,
/// configuration, RESET, disconnects, and message delivery to sessions.
extension MnemoServer {
    /// `notify-keyspace-events` and `client-output-buffer-limit` (registered on every ServerConfig).
    static func pubsubDirectives(_ config: ServerConfig) -> [ConfigDirective] {
        [
            ConfigDirective("notify-keyspace-events", .custom({ args in
                guard let flags = NotifyFlags(parsing: args.joined()) else {
                    throw ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
                }
                return flags.text
            }), default: ""),
            ConfigDirective("client-output-buffer-limit", .custom({ [unowned config] args in
                // Classes not named keep their limits (a config file names one class per line).
                let current = OutputBufferLimits(text: config["client-output-buffer-limit"]) ?? OutputBufferLimits()
                do {
                    return try current.applying(args.flatMap { $0.split(separator: " ").map(String.init) }).text
                } catch let e as OutputBufferLimits.LimitError {
                    throw ConfigError(e.message)
                }
            }), default: OutputBufferLimits.defaultText),
        ]
    }

    func installPubSub() {
        let hub = pubsub
        engine.register(PubSubCommands.specs(hub))
        hub.attach(to: engine)
        dispatcher.insertGate(PubSubCommands.subscribedModeGate)
        resetHooks.append { [unowned hub] c in hub.registry.removeAll(c) }
        pubsubCounts = { [unowned hub] in (hub.registry.channels.count, hub.registry.patterns.count) }
        hub.deliver = { [unowned self] deliveries in self.deliverMessages(deliveries) }
        applyPubSubConfig()
    }

    func applyPubSubConfig() {
        pubsub.notifyFlags = NotifyFlags(parsing: config["notify-keyspace-events"]) ?? []
        let limits = OutputBufferLimits(text: config["client-output-buffer-limit"]) ?? OutputBufferLimits()
        outputLimits.withLockedValue { $0 = limits }
    }

    /// On the engine: gives each subscriber's session its messages, in order with its replies
    /// (each delivery gets a ticket now; the session writes tickets in order), once the
    /// delivery's barrier is durable. One hop per I/O event loop and barrier carries them all
    /// (none for the loop the engine is running on).
    func deliverMessages(_ deliveries: [PubSubHub.Delivery]) {
        var groups: [(loop: EventLoop, barrier: UInt64, items: [(SessionHandler, UInt64, [ByteBuffer])])] = []
        for d in deliveries {
            guard let session = sessions[d.client] else { continue }
            let item = (session, session.takeTicket(), d.buffers)
            if let g = groups.lastIndex(where: { $0.loop === session.eventLoop && $0.barrier == d.barrier }) {
                groups[g].items.append(item)
            } else {
                groups.append((session.eventLoop, d.barrier, [item]))
            }
        }
        for group in groups {
            whenDurable(group.barrier) {
                let arrive = { for (session, ticket, buffers) in group.items { session.arrive(ticket, .messages(buffers)) } }
                // The engine running on the subscribers' own loop (inline batches) writes them
                // at once, so they join the tick's other writes in one flush (`TickFlush`).
                if group.loop.inEventLoop { arrive() } else { group.loop.execute(arrive) }
            }
        }
    }

    /// After each command in a batch: the client's own messages join its replies; the others
    /// are tagged with the command's durability barrier.
    @inline(__always) func pubsubAfterCommand(barrier: UInt64, output: inout ByteBuffer) {
        pubsub.executingClient = -1
        pubsub.takeOwn(into: &output)
        pubsub.seal(barrier)
    }

    /// Sends what the batch (or a cron pass) published.
    @inline(__always) func pubsubFlush() {
        pubsub.flush(barrier: self.persistence?.barrier() ?? 0)
    }

    /// Logged (on the engine) when a session is closed for its output buffer.
    func outputLimitExceeded(_ client: Client?, queued: Int64, pubsub: Bool) {
        guard let client else { return }
        let info = ClientCommand.describe(client, engine, current: client)
        logger.warning("Client \(info) scheduled to be closed ASAP for overcoming of output buffer limits.")
    }
}
