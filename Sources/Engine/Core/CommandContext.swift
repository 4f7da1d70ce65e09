import RESP

/// A class reference lent for a scope by someone who holds it (the caller of a command holds
/// the engine, the dispatcher, the client and the spec until it returns), used without
/// reference counting. Swift retains and releases a stored strong reference when the holder
/// is made and destroyed, and an `unowned(unsafe)` one around every use; a reference rebuilt
/// from its address at each use costs neither.
@usableFromInline struct Lent<Object: AnyObject> {
    @usableFromInline let address: UnsafeRawPointer
    @inline(__always) init(_ object: Object) { address = UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque()) }
    @inline(__always) var object: Object { unsafeBitCast(address, to: Object.self) }
    /// The object borrowed for `body`. Where calls the compiler cannot see through (a closure,
    /// a callback) run between uses of `object`, it retains the object around them; a borrow
    /// never does.
    @inline(__always) func with<R>(_ body: (Object) throws -> R) rethrows -> R {
        try Unmanaged<Object>.fromOpaque(address)._withUnsafeGuaranteedRef(body)
    }
}

/// The environment of one command's execution. It lives only while the command runs (a
/// callback that keeps what it needs copies it out, which retains it as usual).
public struct CommandContext {
    @usableFromInline let lentEngine: Lent<Engine>
    @usableFromInline let lentClient: Lent<Client>
    @usableFromInline let lentSpec: Lent<CommandSpec.Storage>
    @usableFromInline let lentDispatcher: Lent<Dispatcher>
    public let argv: [Bytes]
    /// Where the arguments start: after the command name, and the subcommand name if any.
    public let argumentStart: Int
    /// The reply goes straight to a client's connection, so it may be encoded already (`.raw`);
    /// false when the caller reads its structure (a script's redis.call, a module's call).
    public let repliesToConnection: Bool

    public init(engine: Engine, client: Client, argv: [Bytes], spec: CommandSpec, dispatcher: Dispatcher,
                repliesToConnection: Bool = false) {
        lentEngine = Lent(engine)
        lentClient = Lent(client)
        lentSpec = Lent(spec.storage)
        lentDispatcher = Lent(dispatcher)
        self.argv = argv
        self.argumentStart = spec.storage.container == nil ? 1 : 2
        self.repliesToConnection = repliesToConnection
    }

    public var engine: Engine { @inline(__always) get { lentEngine.object } }
    public var client: Client { @inline(__always) get { lentClient.object } }
    public var dispatcher: Dispatcher { @inline(__always) get { lentDispatcher.object } }
    public var spec: CommandSpec { CommandSpec(storage: lentSpec.object) }
    /// The engine borrowed for `body` (see `Lent.with`): the keyspace helpers below use it.
    @inline(__always) public func withEngine<R>(_ body: (Engine) throws -> R) rethrows -> R { try lentEngine.with(body) }

    /// The arguments borrowed for `body` (`argv[i]` read from an inout context is copied:
    /// a retain and a release each).
    @inline(__always) public func withArguments<R>(_ body: (UnsafeBufferPointer<Bytes>) throws -> R) rethrows -> R {
        try argv.withUnsafeBufferPointer(body)
    }

    /// An argument reader starting after the command (and subcommand) name.
    public var args: Arguments { Arguments(argv, from: argumentStart) }

    public var db: Int { client.db }
    public var now: Int64 { engine.commandTime }

    // MARK: keyspace helpers bound to the client's database

    public func lookup(_ key: Bytes) -> Entry? { withEngine { $0.lookup(client.db, key) } }

    /// Lookup that counts a hit or miss (read commands).
    public func lookupRead(_ key: Bytes) -> Entry? {
        let db = client.db, noTouch = client.noTouch
        return withEngine { engine in
            let e = engine.lookup(db, key, touch: !noTouch)
            if e != nil {
                engine.stats.keyspaceHits += 1
            } else {
                engine.stats.keyspaceMisses += 1
                engine.notify(.keyMiss, "keymiss", db: db, key: key)
            }
            return e
        }
    }

    public func string(_ key: Bytes) throws -> Bytes? {
        guard let e = lookupRead(key) else { return nil }
        guard case .string(let s) = e.value else { throw RedisError.wrongType }
        return s
    }

    public func set(_ key: Bytes, _ entry: Entry) {
        let db = client.db
        withEngine { engine in
            var e = entry
            e.lastAccess = engine.commandTime
            engine.databases[db].set(key, e)
            engine.keyChanged(db, key)
        }
    }

    @discardableResult
    public func delete(_ key: Bytes) -> Bool {
        let db = client.db
        return withEngine { engine in
            guard engine.lookup(db, key) != nil else { return false }
            engine.databases[db].remove(key)
            engine.keyChanged(db, key)
            return true
        }
    }

    /// Logs `argv` as an effect in the client's database.
    /// The effect is built only when effects are recorded (not with `appendonly no`).
    public func emit(_ argv: @autoclosure () -> [Bytes]) {
        let db = client.db
        withEngine { engine in
            guard engine.recordsEffects else { return }
            engine.pendingEffects.append(Effect(db: db, argv()))
        }
    }

    /// A reply of bulk strings (LRANGE…): encoded at once for a connection, with no value per
    /// element to build, retain and destroy (the bytes are the same in RESP2 and RESP3); an
    /// array of values for a caller that reads it.
    @inline(__always) public func bulkArray<C: Collection>(_ elements: C) -> RESPValue where C.Element == Bytes {
        repliesToConnection ? .encodedBulkArray(elements) : .array(elements.map { .bulk($0) })
    }

    /// Logs the command as it was given (it is deterministic).
    public func emitVerbatim() { emit(argv) }
}
