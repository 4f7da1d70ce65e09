import Engine
import NIOCore
import RESP

/// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
public enum PubSubCommands {
    public static func specs(_ hub: PubSubHub) -> [CommandSpec] {
        let subscribeFlags: CommandFlags = [.pubsub, .noscript, .loading, .stale]
        let shardKeys = [KeySpec.range(1, last: -1, [.notKey])]
        return [
            spec("subscribe", -2, subscribeFlags, channels: .all(from: 1),
                 CommandDocs("Listen for messages published to the given channels", since: "2.0.0", group: "pubsub",
                             complexity: "O(N) where N is the number of channels to subscribe to.", syntax: "channel [channel ...]"),
                 { ctx in subscribe(&ctx, hub, .channel) }),
            spec("unsubscribe", -1, subscribeFlags,
                 CommandDocs("Stop listening for messages posted to the given channels", since: "2.0.0", group: "pubsub",
                             complexity: "O(N) where N is the number of clients already subscribed to a channel.",
                             syntax: "[channel [channel ...]]"),
                 { ctx in unsubscribe(&ctx, hub, .channel) }),
            spec("psubscribe", -2, subscribeFlags, channels: .all(from: 1, .pattern),
                 CommandDocs("Listen for messages published to channels matching the given patterns", since: "2.0.0", group: "pubsub",
                             complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
                             syntax: "pattern [pattern ...]"),
                 { ctx in subscribe(&ctx, hub, .pattern) }),
            spec("punsubscribe", -1, subscribeFlags,
                 CommandDocs("Stop listening for messages posted to channels matching the given patterns", since: "2.0.0", group: "pubsub",
                             complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
                             syntax: "[pattern [pattern ...]]"),
                 { ctx in unsubscribe(&ctx, hub, .pattern) }),
            spec("ssubscribe", -2, subscribeFlags, keys: shardKeys, channels: .all(from: 1),
                 CommandDocs("Listen for messages published to the given shard channels", since: "7.0.0", group: "pubsub",
                             complexity: "O(N) where N is the number of shard channels to subscribe to.",
                             syntax: "shardchannel [shardchannel ...]"),
                 { ctx in subscribe(&ctx, hub, .shard) }),
            spec("sunsubscribe", -1, subscribeFlags, keys: shardKeys,
                 CommandDocs("Stop listening for messages posted to the given shard channels", since: "7.0.0", group: "pubsub",
                             complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
                             syntax: "[shardchannel [shardchannel ...]]"),
                 { ctx in unsubscribe(&ctx, hub, .shard) }),
            spec("publish", 3, [.pubsub, .loading, .stale, .fast], channels: .single(1),
                 CommandDocs("Post a message to a channel", since: "2.0.0", group: "pubsub",
                             complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
                             syntax: "channel message"),
                 { ctx in .integer(Int64(ctx.withArguments { hub.publish($0[1], $0[2]) })) }),
            spec("spublish", 3, [.pubsub, .loading, .stale, .fast], keys: [.single(1, [.notKey])], channels: .single(1),
                 CommandDocs("Post a message to a shard channel", since: "7.0.0", group: "pubsub",
                             complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
                             syntax: "shardchannel message"),
                 { ctx in .integer(Int64(ctx.withArguments { hub.publishShard($0[1], $0[2]) })) }),
            CommandSpec(
                "pubsub", arity: -2,
                docs: CommandDocs("A container for Pub/Sub commands", since: "2.8.0", group: "pubsub", complexity: "Depends on subcommand."),
                subcommands: pubsubSubcommands(hub)),
        ]
    }

    static func spec(
        _ name: String, _ arity: Int, _ flags: CommandFlags, keys: [KeySpec] = [], channels: ChannelSpec? = nil,
        _ docs: CommandDocs, _ handler: @escaping CommandHandler
    ) -> CommandSpec {
        var s = CommandSpec(name, arity: arity, flags: flags, keys: keys, docs: docs, handler: handler)
        s.channels = channels
        return s
    }

    static func pubsubSubcommands(_ hub: PubSubHub) -> [CommandSpec] {
        let flags: CommandFlags = [.pubsub, .loading, .stale]
        return [
            CommandSpec(
                "channels", arity: -2, flags: flags,
                docs: CommandDocs("List active channels", since: "2.8.0", group: "pubsub",
                                  complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
                                  syntax: "[pattern]"),
                handler: { ctx in try channels(ctx, hub, shard: false) }),
            CommandSpec(
                "numsub", arity: -2, flags: flags,
                docs: CommandDocs("Get the count of subscribers for channels", since: "2.8.0", group: "pubsub",
                                  complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                                  syntax: "[channel [channel ...]]"),
                handler: { ctx in numsub(ctx, hub, .channel) }),
            CommandSpec(
                "numpat", arity: 2, flags: flags,
                docs: CommandDocs("Get the count of unique patterns pattern subscriptions", since: "2.8.0", group: "pubsub"),
                handler: { _ in .integer(Int64(hub.registry.patterns.count)) }),
            CommandSpec(
                "shardchannels", arity: -2, flags: flags,
                docs: CommandDocs("List active shard channels", since: "7.0.0", group: "pubsub",
                                  complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
                                  syntax: "[pattern]"),
                handler: { ctx in try channels(ctx, hub, shard: true) }),
            CommandSpec(
                "shardnumsub", arity: -2, flags: flags,
                docs: CommandDocs("Get the count of subscribers for shard channels", since: "7.0.0", group: "pubsub",
                                  complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
                                  syntax: "[shardchannel [shardchannel ...]]"),
                handler: { ctx in numsub(ctx, hub, .shard) }),
            CommandSpec(
                "help", arity: 2, flags: [.loading, .stale],
                docs: CommandDocs("Show helpful text about the different subcommands", since: "6.2.0", group: "pubsub"),
                handler: { _ in help }),
        ]
    }

    static let help: RESPValue = .array([
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ].map { RESPValue.simple($0) })

    // MARK: subscribe / unsubscribe

    /// The count a (un)subscribe reply carries: channels + patterns, or shard channels.
    static func count(_ client: Client, _ kind: SubscriptionKind) -> Int64 {
        kind == .shard ? Int64(client.shardSubscriptions) : Int64(client.subscriptions + client.patternSubscriptions)
    }

    static func confirmation(_ type: String, _ name: Bytes?, _ count: Int64, _ version: RESPVersion, into out: inout ByteBuffer) {
        RESPEncoder.encode(.push([.bulk(type), name.map { .bulk($0) } ?? .null, .integer(count)]), version: version, into: &out)
    }

    static func subscribe(_ ctx: inout CommandContext, _ hub: PubSubHub, _ kind: SubscriptionKind) -> RESPValue {
        let client = ctx.client
        var out = hub.allocator.buffer(capacity: 32 * ctx.argv.count)
        for name in ctx.argv.dropFirst() {
            hub.registry.subscribe(client, kind, name)
            confirmation(kind.subscribeName, name, count(client, kind), client.resp, into: &out)
        }
        return .raw(Array(out.readableBytesView))
    }

    static func unsubscribe(_ ctx: inout CommandContext, _ hub: PubSubHub, _ kind: SubscriptionKind) -> RESPValue {
        let client = ctx.client
        let names = ctx.argv.count > 1 ? Array(ctx.argv.dropFirst()) : hub.registry.subscriptions(of: client, kind)
        var out = hub.allocator.buffer(capacity: 32 * max(1, names.count))
        if names.isEmpty {
            confirmation(kind.unsubscribeName, nil, count(client, kind), client.resp, into: &out)
        }
        for name in names {
            hub.registry.unsubscribe(client, kind, name)
            confirmation(kind.unsubscribeName, name, count(client, kind), client.resp, into: &out)
        }
        return .raw(Array(out.readableBytesView))
    }

    // MARK: PUBSUB

    static func channels(_ ctx: CommandContext, _ hub: PubSubHub, shard: Bool) throws -> RESPValue {
        guard ctx.argv.count <= 3 else {
            throw RedisError("unknown subcommand or wrong number of arguments for '\(ctx.argv[1].text)'. Try PUBSUB HELP.")
        }
        let pattern = ctx.argv.count == 3 ? ctx.argv[2] : nil
        return .array(hub.registry.activeChannels(shard: shard, matching: pattern).map { .bulk($0) })
    }

    static func numsub(_ ctx: CommandContext, _ hub: PubSubHub, _ kind: SubscriptionKind) -> RESPValue {
        var out: [RESPValue] = []
        for name in ctx.argv.dropFirst(2) {
            out.append(.bulk(name))
            out.append(.integer(Int64(hub.registry.subscribers(kind, name)?.count ?? 0)))
        }
        return .array(out)
    }

    // MARK: subscribed mode

    static let allowedWhileSubscribed: Set<String> = [
        "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset",
    ]

    /// Dispatcher gate: a RESP2 client with subscriptions may only run (un)subscribe, PING, QUIT, RESET.
    public static func subscribedModeGate(_ client: Client, _ spec: CommandSpec, _ argv: [Bytes]) -> RESPValue? {
        guard client.resp == .resp2, client.isSubscribed else { return nil }
        let name = spec.container ?? spec.name
        if allowedWhileSubscribed.contains(name) { return nil }
        return .error("ERR Can't execute '\(spec.fullName)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    }
}
