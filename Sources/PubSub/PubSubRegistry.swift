import Engine
import OrderedCollections

/// The three subscription namespaces Redis keeps apart.
public enum SubscriptionKind: Sendable {
    case channel, pattern, shard

    /// The reply/message type names (`subscribe`, `psubscribe`, `ssubscribe`…).
    var subscribeName: String {
        switch self {
        case .channel: return "subscribe"
        case .pattern: return "psubscribe"
        case .shard: return "ssubscribe"
        }
    }

    var unsubscribeName: String {
        switch self {
        case .channel: return "unsubscribe"
        case .pattern: return "punsubscribe"
        case .shard: return "sunsubscribe"
        }
    }
}

/// Who is subscribed to what: channel → subscribers, pattern → subscribers, shard channel →
/// subscribers, and each client's own subscriptions (both in subscription order). Keeps the
/// client's counters (`Client.subscriptions`…) in step. Engine-loop only.
public final class PubSubRegistry {
    /// The clients of one channel or pattern, in subscription order. A class: PUBLISH finds
    /// it with one reference, not the three buffers of the dictionary inside.
    public final class Subscribers {
        public private(set) var clients: OrderedDictionary<Int64, Client> = [:]
        public var count: Int { clients.count }
        public var isEmpty: Bool { clients.isEmpty }
        func add(_ client: Client) { clients[client.id] = client }
        func remove(_ id: Int64) { clients[id] = nil }
    }

    public private(set) var channels: [Bytes: Subscribers] = [:] { didSet { lastFoundValid = false } }
    /// The channel PUBLISH looked up last and what it found: a publisher repeats its channel,
    /// and comparing its bytes costs a fraction of hashing them.
    private var lastName: Bytes = []
    private var lastFound: Subscribers?
    private var lastFoundValid = false
    public private(set) var patterns: OrderedDictionary<Bytes, Subscribers> = [:]
    public private(set) var shardChannels: [Bytes: Subscribers] = [:]
    private var byClient: [Int64: ClientSubscriptions] = [:]

    struct ClientSubscriptions {
        var channels: OrderedSet<Bytes> = []
        var patterns: OrderedSet<Bytes> = []
        var shard: OrderedSet<Bytes> = []
        var isEmpty: Bool { channels.isEmpty && patterns.isEmpty && shard.isEmpty }
    }

    public init() {}

    /// Subscribes `client`; false if it already was.
    @discardableResult
    public func subscribe(_ client: Client, _ kind: SubscriptionKind, _ name: Bytes) -> Bool {
        var subs = byClient[client.id] ?? ClientSubscriptions()
        let inserted: Bool
        switch kind {
        case .channel: inserted = subs.channels.append(name).inserted
        case .pattern: inserted = subs.patterns.append(name).inserted
        case .shard: inserted = subs.shard.append(name).inserted
        }
        guard inserted else { return false }
        byClient[client.id] = subs
        switch kind {
        case .channel: Self.list(&channels[name]).add(client)
        case .pattern: Self.list(&patterns[name]).add(client)
        case .shard: Self.list(&shardChannels[name]).add(client)
        }
        updateCounters(client, subs)
        return true
    }

    /// Unsubscribes `client`; false if it was not subscribed.
    @discardableResult
    public func unsubscribe(_ client: Client, _ kind: SubscriptionKind, _ name: Bytes) -> Bool {
        guard var subs = byClient[client.id] else { return false }
        let removed: Bool
        switch kind {
        case .channel: removed = subs.channels.remove(name) != nil
        case .pattern: removed = subs.patterns.remove(name) != nil
        case .shard: removed = subs.shard.remove(name) != nil
        }
        guard removed else { return false }
        byClient[client.id] = subs.isEmpty ? nil : subs
        switch kind {
        case .channel: Self.remove(client.id, from: &channels[name])
        case .pattern: Self.remove(client.id, from: &patterns[name])
        case .shard: Self.remove(client.id, from: &shardChannels[name])
        }
        updateCounters(client, subs)
        return true
    }

    /// The subscriber list in `slot`, made if there is none.
    private static func list(_ slot: inout Subscribers?) -> Subscribers {
        if let s = slot { return s }
        let s = Subscribers()
        slot = s
        return s
    }

    /// Removes a client from the list in `slot`; an emptied list goes.
    private static func remove(_ id: Int64, from slot: inout Subscribers?) {
        guard let s = slot else { return }
        s.remove(id)
        if s.isEmpty { slot = nil }
    }

    /// What `client` is subscribed to, in subscription order.
    public func subscriptions(of client: Client, _ kind: SubscriptionKind) -> [Bytes] {
        guard let subs = byClient[client.id] else { return [] }
        switch kind {
        case .channel: return Array(subs.channels)
        case .pattern: return Array(subs.patterns)
        case .shard: return Array(subs.shard)
        }
    }

    /// Drops every subscription of `client` (disconnect, RESET).
    public func removeAll(_ client: Client) {
        for kind in [SubscriptionKind.channel, .pattern, .shard] {
            for name in subscriptions(of: client, kind) { unsubscribe(client, kind, name) }
        }
    }

    /// The subscribers of channel `name` (PUBLISH).
    @inline(__always) public func channelSubscribers(_ name: Bytes) -> Subscribers? {
        if lastFoundValid && lastName == name { return lastFound }
        let found = channels[name]
        lastName = name
        lastFound = found
        lastFoundValid = true
        return found
    }

    public func subscribers(_ kind: SubscriptionKind, _ name: Bytes) -> Subscribers? {
        switch kind {
        case .channel: return channels[name]
        case .pattern: return patterns[name]
        case .shard: return shardChannels[name]
        }
    }

    /// Active channels (or shard channels) matching `pattern` (all if nil), as PUBSUB CHANNELS.
    public func activeChannels(shard: Bool, matching pattern: Bytes?) -> [Bytes] {
        let names = shard ? shardChannels.keys : channels.keys
        guard let pattern, !Glob.matchesAll(pattern) else { return Array(names) }
        return names.filter { Glob.match(pattern, $0) }
    }

    /// Counts for INFO: distinct channels, distinct patterns, distinct shard channels.
    public var counts: (channels: Int, patterns: Int, shardChannels: Int) {
        (channels.count, patterns.count, shardChannels.count)
    }

    private func updateCounters(_ client: Client, _ subs: ClientSubscriptions) {
        client.subscriptions = subs.channels.count
        client.patternSubscriptions = subs.patterns.count
        client.shardSubscriptions = subs.shard.count
        // Redis's CLIENT_PUBSUB flag: any subscription puts the client in the pubsub class.
        client.kind = subs.isEmpty ? "normal" : "pubsub"
    }
}

extension Client {
    /// Subscribed to anything (Redis's CLIENT_PUBSUB): RESP2 clients are in subscribed mode.
    public var isSubscribed: Bool { subscriptions + patternSubscriptions + shardSubscriptions > 0 }
}
