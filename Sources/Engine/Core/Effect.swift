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
