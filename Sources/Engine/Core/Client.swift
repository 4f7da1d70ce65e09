import RESP

/// What the engine may ask of a client's connection (implemented by the Server's session).
public protocol ClientConnection: AnyObject {
    /// Close the connection after the replies already produced are written.
    func closeAfterReplies()
}

/// Where a command runs, as ACL LOG's `context` reports it.
public enum ExecutionContext: Sendable {
    case toplevel
    /// Queued in, or run by, MULTI/EXEC.
    case multi
    /// Called by a script or function (redis.call / redis.pcall).
    case lua
}

/// A client's CLIENT TRACKING options (accepted and reported; no invalidation messages are sent yet).
public struct TrackingSettings: Sendable {
    public var redirect: Int64 = 0
    public var bcast = false
    public var optin = false
    public var optout = false
    public var noloop = false
    public var prefixes: [Bytes] = []
    /// CLIENT CACHING YES / NO.
    public var caching: Bool?
    public init() {}
}

/// A client's state as the engine and the dispatcher see it. Touched only on the engine.
public final class Client {
    public enum ReplyMode: Sendable { case on, off, skipNext, skipping }

    public let id: Int64
    public var name: Bytes?
    public var db = 0
    public var resp: RESPVersion = .resp2
    public var user = "default"
    public var authenticated = true
    /// The ACL user object this client runs as (owned by the ACL target; nil = unrestricted).
    public var aclUser: AnyObject?
    /// Set by EXEC (.multi) and the scripting engine on its client (.lua) while they run commands.
    public var executionContext: ExecutionContext = .toplevel
    public var replyMode: ReplyMode = .on
    public var address: String
    public var localAddress: String
    public var kind: String  // "normal", "pubsub", …
    public let createdAt: Int64
    public var lastInteraction: Int64
    /// The last command run (CLIENT LIST's `cmd=`): the spec is kept, its name made on demand.
    public var lastSpec: CommandSpec?
    public var lastCommand: String { lastSpec?.fullName ?? "NULL" }
    public var noEvict = false
    public var noTouch = false
    public var libName: Bytes?
    public var libVersion: Bytes?
    public var isUnixSocket = false
    /// Set when a command asked to close the connection (QUIT, CLIENT KILL of self).
    public var closeRequested = false
    /// Strong (no weak reference on a hot object: see MnemoServer.armBlockingTimer); the
    /// server clears it when the connection closes.
    public var connection: ClientConnection?
    /// Counts shown by CLIENT LIST (the pub/sub and transaction families maintain them).
    public var subscriptions = 0
    /// The address of the pub/sub family's outbox of messages for this client not handed to its
    /// session yet (engine only). Not retained: the hub holds its outboxes until it flushes them
    /// and clears this; an address costs no reference counting per message.
    public var pubsubOutbox: UnsafeMutableRawPointer?
    public var patternSubscriptions = 0
    public var shardSubscriptions = 0
    public var multiDepth = -1
    /// The open MULTI, if any.
    public var multi: MultiState?
    /// Keys this client WATCHes (db, key, whether already expired when watched).
    public var watched: [(db: Int, key: Bytes, expiredAtWatch: Bool)] = []
    /// A watched key changed: the next EXEC fails.
    public var watchDirty = false
    /// What the client is blocked on, if it is.
    public var blocked: BlockedCommand?
    /// > 0 while executing inside EXEC or a script: blocking commands do not block there.
    public var nonBlockingDepth = 0
    /// Whether `lastSpec` follows its commands (not for the scripts' client: nothing shows it,
    /// and a script's calls alternate between commands, a retain and a release each).
    public var recordsLastCommand = true
    /// CLIENT TRACKING settings, when tracking is on.
    public var tracking: TrackingSettings?

    public init(id: Int64, address: String = "", localAddress: String = "", now: Int64 = 0) {
        self.id = id
        self.address = address
        self.localAddress = localAddress
        self.kind = "normal"
        self.createdAt = now
        self.lastInteraction = now
    }
}
