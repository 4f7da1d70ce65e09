import RESP

/// The environment of one command's execution.
public struct CommandContext {
    /// The engine and the dispatcher live as long as the server: a context (made for every
    /// command, scripts' calls included) holds them without reference counting.
    public unowned(unsafe) let engine: Engine
    public let client: Client
    public let argv: [Bytes]
    public let spec: CommandSpec
    public unowned(unsafe) let dispatcher: Dispatcher

    public init(engine: Engine, client: Client, argv: [Bytes], spec: CommandSpec, dispatcher: Dispatcher) {
        self.engine = engine
        self.client = client
        self.argv = argv
        self.spec = spec
        self.dispatcher = dispatcher
    }

    /// An argument reader starting after the command (and subcommand) name.
    public var args: Arguments { Arguments(argv, from: spec.container == nil ? 1 : 2) }

    public var db: Int { client.db }
    public var now: Int64 { engine.commandTime }

    // MARK: keyspace helpers bound to the client's database

    public func lookup(_ key: Bytes) -> Entry? { engine.lookup(client.db, key) }

    /// Lookup that counts a hit or miss (read commands).
    public func lookupRead(_ key: Bytes) -> Entry? {
        let e = engine.lookup(client.db, key, touch: !client.noTouch)
        if e != nil {
            engine.stats.keyspaceHits += 1
        } else {
            engine.stats.keyspaceMisses += 1
            engine.notify(.keyMiss, "keymiss", db: client.db, key: key)
        }
        return e
    }

    public func string(_ key: Bytes) throws -> Bytes? {
        guard let e = lookupRead(key) else { return nil }
        guard case .string(let s) = e.value else { throw RedisError.wrongType }
        return s
    }

    public func set(_ key: Bytes, _ entry: Entry) {
        var e = entry
        e.lastAccess = now
        engine.databases[client.db].set(key, e)
        engine.keyChanged(client.db, key)
    }

    @discardableResult
    public func delete(_ key: Bytes) -> Bool {
        guard engine.lookup(client.db, key) != nil else { return false }
        engine.databases[client.db].remove(key)
        engine.keyChanged(client.db, key)
        return true
    }

    /// Logs `argv` as an effect in the client's database.
    /// The effect is built only when effects are recorded (not with `appendonly no`).
    public func emit(_ argv: @autoclosure () -> [Bytes]) {
        guard engine.recordsEffects else { return }
        engine.pendingEffects.append(Effect(db: client.db, argv()))
    }

    /// Logs the command as it was given (it is deterministic).
    public func emitVerbatim() { emit(argv) }
}
