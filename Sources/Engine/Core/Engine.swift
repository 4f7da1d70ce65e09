#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import RESP

/// Settings the engine itself reads (the Server's config store keeps them in sync).
public struct EngineSettings: Sendable {
    public var databases = 16
    public var protoMaxBulkLength = 512 * 1024 * 1024
    /// `hz`: active expire cycles per second.
    public var hz = 10
    /// `active-expire-effort` 1…10.
    public var activeExpireEffort = 1
    public init() {}
}

/// Per-command counters (INFO commandstats).
public struct CommandStats: Sendable {
    public init() {}
    public var calls: Int64 = 0
    public var microseconds: Int64 = 0
    public var rejectedCalls: Int64 = 0
    public var failedCalls: Int64 = 0
}

public struct EngineStats: Sendable {
    public var commandsProcessed: Int64 = 0
    public var keyspaceHits: Int64 = 0
    public var keyspaceMisses: Int64 = 0
    public var expiredKeys: Int64 = 0
    public var expiredStalePercent = 0.0
    public var expireCycleTimeUsed: Int64 = 0
    public var totalErrorReplies: Int64 = 0
    public var errors: [String: Int64] = [:]
    public init() {}
}

/// Owns the keyspace. Every method runs on the engine's single serial executor.
public final class Engine {
    public var databases: [Database]
    public var settings: EngineSettings
    public var stats = EngineStats()
    public private(set) var table: CommandTable {
        didSet { tableGeneration &+= 1 }
    }
    /// Changes whenever the table does (module commands come and go): `CommandNameCache`s
    /// compare it to know their entry is still valid.
    public private(set) var tableGeneration = 0
    public var clients: [Int64: Client] = [:]
    /// Clients blocked on keys (BLPOP and friends).
    public let blocking = BlockingRegistry()
    /// Keys watched by clients (WATCH).
    public let watches = WatchRegistry()
    /// Strong on purpose: a weak reference would be loaded (slowly) on every write command.
    public var effectSink: EffectSink?
    /// Whether commands record their effects at all. The server clears it while it keeps no
    /// log (`appendonly no`), so writes do not build records only to drop them.
    public var recordsEffects = true
    /// Effects of the record being built (one top-level command, EXEC or script).
    public var pendingEffects: [Effect] = []
    /// Set while an I/O loop runs a batch inline: a script running there past its budget may
    /// suspend, to be finished on the engine loop (see `commandSuspended`).
    public var scriptsMayYield = false
    /// The command just executed is a script that suspended (see `scriptsMayYield`): it has not
    /// ended, its effects so far stay pending, and the engine passes to the engine loop, which
    /// finishes it before anything else runs.
    public var commandSuspended = false
    /// Fixed time for the command being executed, so it is deterministic (ms since epoch).
    public private(set) var commandTime: Int64 = 0
    /// Reads the time for `commandTime` (see CommandClock).
    private var clock = CommandClock()
    /// Set while loading the log: effects are applied, not logged again.
    public var isReplaying = false
    /// Set by ACL: whether the client's user may run the command on any key it reads (Redis's
    /// `ACLUserCheckCmdWithUnrestrictedKeyAccess`; SORT's BY/GET patterns need it). nil = yes.
    public var aclFullKeyAccess: ((Client, CommandSpec, [Bytes]) -> Bool)?
    public let rng = EngineRandom()
    /// Changes since the last snapshot (`save` rules, INFO rdb_changes_since_last_save).
    public var dirty: Int64 = 0
    private var nextClientID: Int64 = 1

    public init(settings: EngineSettings = EngineSettings(), table: CommandTable = CommandTable(BuiltinCommands.all)) {
        self.settings = settings
        self.databases = Array(repeating: Database(), count: settings.databases)
        self.table = table
        watches.engine = self
        blocking.engine = self
    }

    public func register(_ specs: [CommandSpec]) {
        table.add(specs)
    }

    /// Removes a command (MODULE UNLOAD takes back a module's commands).
    public func unregister(_ name: String) { table.remove(name) }

    /// Replaces a registered command's spec (a module adding subcommands or command info).
    public func replace(_ spec: CommandSpec) {
        table.remove(spec.name)
        table.add(spec)
    }

    public func newClient(address: String = "", localAddress: String = "") -> Client {
        let c = Client(id: nextClientID, address: address, localAddress: localAddress, now: Engine.wallClockMs())
        nextClientID += 1
        clients[c.id] = c
        return c
    }

    public func removeClient(_ c: Client) {
        blocking.remove(c)
        watches.unwatchAll(c)
        clients[c.id] = nil
    }

    public static func wallClockMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public static func monotonicMicros() -> Int64 {
        CommandClock.monotonicNanos() / 1000
    }

    /// Freezes the clock for one top-level execution (a command, an EXEC, a script).
    public func beginExecution() {
        commandTime = clock.wallClockMs()
        if !changedKeys.isEmpty { changedKeys.removeAll(keepingCapacity: true) }
    }

    /// When set, keys changed since the execution began are collected in `changedKeys` (the
    /// durability layer uses them to hold only reads of keys with writes not yet durable).
    public var trackChangedKeys = false
    public var changedKeys: [(db: Int, key: Bytes)] = []

    // MARK: keyspace access

    /// Whether an entry expiring at `expireAt` (0 = never) is dead at this command's time
    /// (never while replaying the log: the log says when keys went).
    @inline(__always) public func isDue(_ expireAt: Int64) -> Bool {
        expireAt != 0 && expireAt <= commandTime && !isReplaying
    }

    /// The live entry for `key` and the slot it lies in (for a change with no second probe),
    /// removing the key (and logging a DEL) if it has expired.
    public func probe(_ db: Int, _ key: Bytes, hash: UInt64) -> (Entry, Int32)? {
        guard let (e, slot) = databases[db].rawWithSlot(key, hash: hash) else { return nil }
        if isDue(e.expireAt) {
            expire(db, key)
            return nil
        }
        return (e, slot)
    }

    /// Stores `entry` at `key` where `probe` just looked (`found`: the old entry's expiry and
    /// slot, nil if the key was missing), with no second probe, and signals the change.
    public func store(_ db: Int, _ key: Bytes, hash: UInt64, _ entry: Entry, found: (expireAt: Int64, slot: Int32)?) {
        if let f = found {
            databases[db].replace(key, hash: hash, slot: f.slot, oldExpireAt: f.expireAt, with: entry)
        } else {
            databases[db].set(key, entry, hash: hash)
        }
        keyChanged(db, key)
    }

    /// The live entry for `key`. With `touch` (reads), its access clock (1 s resolution, as
    /// Redis's LRU clock) moves to now in the same probe.
    public func lookup(_ db: Int, _ key: Bytes, touch: Bool = false) -> Entry? {
        let h = Database.hash(key)
        guard let (e, slot) = probe(db, key, hash: h) else { return nil }
        if touch && commandTime - e.lastAccess >= 1000 { databases[db].touch(hash: h, slot: slot, now: commandTime) }
        return e
    }

    /// Starts loading the entries of keys a pipelined batch is about to use (see
    /// `Database.prefetch`). `keys` may include non-keys: a wasted hint costs little.
    public func prefetch(db: Int, _ keys: (inout [UInt64]) -> Void) {
        prefetchHashes.removeAll(keepingCapacity: true)
        keys(&prefetchHashes)
        prefetch(db: db, prefetchHashes)
    }
    private var prefetchHashes: [UInt64] = []

    /// `prefetch` with the hashes computed already (on the I/O loop that decoded the batch).
    public func prefetch(db: Int, _ hashes: [UInt64]) {
        if hashes.count < 2 { return }
        hashes.withUnsafeBufferPointer { databases[db].prefetch($0) }
    }

    /// Removes an expired key, logs it as DEL, counts it.
    public func expire(_ db: Int, _ key: Bytes) {
        databases[db].remove(key)
        stats.expiredKeys += 1
        if recordsEffects { pendingEffects.append(Effect(db: db, [EffectWord.del, key])) }
        keyChanged(db, key)
        notify(.expired, "expired", db: db, key: key)
    }

    /// Keyspace notifications hook (class, event name, db, key).
    public var onKeyspaceEvent: ((KeyspaceEventClass, String, Int, Bytes) -> Void)?
    /// The classes `onKeyspaceEvent` is told of; others cost nothing. All by default: the pub/sub
    /// family narrows it to what `notify-keyspace-events` publishes.
    public var keyspaceEventClasses = KeyspaceEventClass(rawValue: 0x7FF)

    /// Told of every executed command and its duration in µs (SLOWLOG, latency monitor).
    public var onCommandTimed: ((CommandSpec, [Bytes], Client, Int64) -> Void)?
    /// Commands that ran for less than this many microseconds are not reported to `onCommandTimed`.
    public var commandTimingThreshold: Int64 = 0

    @inline(__always) public func keyChanged(_ db: Int, _ key: Bytes) {
        dirty += 1
        if trackChangedKeys { changedKeys.append((db, key)) }
        blocking.keyChanged(db, key)
        watches.keyChanged(db, key)
    }

    /// Drops every expired key found by sampling, within a time budget (Redis's active expire
    /// cycle: sample 20 keys with a TTL per database; repeat while more than 10% were expired).
    public func activeExpireCycle(budgetMicros: Int64) {
        let start = Engine.monotonicMicros()
        let perLoop = 20 + 5 * (settings.activeExpireEffort - 1)
        let acceptableStale = 10 - (settings.activeExpireEffort - 1)
        beginExecution()
        var sampled = 0
        var expiredTotal = 0
        var rng = self.rng
        for db in 0..<databases.count {
            while databases[db].volatileCount > 0 {
                var expired = 0
                let n = min(perLoop, databases[db].volatileCount)
                for _ in 0..<n {
                    guard let (key, at) = databases[db].randomVolatile(using: &rng) else { break }
                    if at <= commandTime {
                        expire(db, key)
                        expired += 1
                    }
                }
                sampled += n
                expiredTotal += expired
                if expired * 100 / max(n, 1) <= acceptableStale { break }
                if Engine.monotonicMicros() - start > budgetMicros { break }
            }
            if Engine.monotonicMicros() - start > budgetMicros { break }
        }
        if sampled > 0 {
            let ratio = Double(expiredTotal) / Double(sampled)
            stats.expiredStalePercent = stats.expiredStalePercent * 0.95 + ratio * 100 * 0.05
        }
        stats.expireCycleTimeUsed += Engine.monotonicMicros() - start
    }

    /// Takes the effects of the finished top-level execution and hands them to the log.
    /// Returns the record's sequence number, or nil if nothing was written.
    @discardableResult
    public func commitEffects() -> UInt64? {
        guard !pendingEffects.isEmpty else { return nil }
        guard !isReplaying, let sink = effectSink else {
            pendingEffects.removeAll(keepingCapacity: true)
            return nil
        }
        // The sink encodes the effects and keeps nothing: the array is unique again after the
        // call, so emptying it keeps its buffer for the next command (no allocation per write).
        let sequence = sink.append(pendingEffects)
        pendingEffects.removeAll(keepingCapacity: true)
        return sequence
    }
}
