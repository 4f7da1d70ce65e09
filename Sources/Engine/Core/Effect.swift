/// A deterministic command that reproduces part of a write's change, in the database it applies to.
public struct Effect: Equatable, Sendable {
    public var db: Int
    public var argv: [Bytes]

    public init(db: Int, _ argv: [Bytes]) {
        self.db = db
        self.argv = argv
    }

    public init(db: Int, _ words: String...) {
        self.db = db
        self.argv = words.map { Array($0.utf8) }
    }
}

/// Where the engine hands each atomic record of effects (the durable log implements it).
public protocol EffectSink: AnyObject {
    /// Appends one atomic record; returns its sequence number.
    func append(_ effects: [Effect]) -> UInt64
}

/// The words effects are logged with, made once: `Bytes("SET")` in an effect allocated an
/// array on every write.
public enum EffectWord {
    public static let del = Bytes("DEL")
    public static let flushall = Bytes("FLUSHALL")
    public static let flushdb = Bytes("FLUSHDB")
    public static let hset = Bytes("HSET")
    public static let keepttl = Bytes("KEEPTTL")
    public static let lmove = Bytes("LMOVE")
    public static let lpop = Bytes("LPOP")
    public static let mset = Bytes("MSET")
    public static let persist = Bytes("PERSIST")
    public static let pexpireat = Bytes("PEXPIREAT")
    public static let pxat = Bytes("PXAT")
    public static let rename = Bytes("RENAME")
    public static let rpop = Bytes("RPOP")
    public static let rpoplpush = Bytes("RPOPLPUSH")
    public static let rpush = Bytes("RPUSH")
    public static let sadd = Bytes("SADD")
    public static let set = Bytes("SET")
    public static let srem = Bytes("SREM")
    public static let zadd = Bytes("ZADD")
    public static let zrem = Bytes("ZREM")
}
