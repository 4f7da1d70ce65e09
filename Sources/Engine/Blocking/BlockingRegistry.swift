import RESP

/// What a blocked client waits for: its keys, its deadline, how to try again, and what to
/// reply on timeout.
public struct BlockedCommand {
    public let spec: CommandSpec
    public let argv: [Bytes]
    public let db: Int
    public let keys: [Bytes]
    /// Absolute wall-clock ms; nil waits forever.
    public let deadline: Int64?
    /// Tries to serve the client; nil means there is still nothing for it.
    public let attempt: (inout CommandContext) throws -> RESPValue?
    public let timeoutReply: RESPValue
    /// Distinguishes this blocking episode from later ones (stale timers ignore themselves).
    public let token: UInt64
    /// Set for a module's RedisModule_BlockClientOnKeys: how its wait differs from BLPOP's.
    public var module: ModuleWait?
}

/// How a blocked client's wait ended.
public enum BlockEnd {
    case served, timedOut, unblocked, disconnected
}

/// A client blocked by a module on keys, with Redis 7.0's semantics: woken only when a key
/// it waits on is signalled (created holding a list, sorted set or module value, or named by
/// SignalKeyAsReady) and exists; every such waiter is tried in turn even after one declines.
public struct ModuleWait {
    /// Replies on timeout (the module's timeout callback). Without one, CLIENT UNBLOCK refuses.
    public let onTimeout: ((Client) -> RESPValue)?
    /// The wait ended (free_privdata), and how.
    public let onEnd: (BlockEnd) -> Void
    public init(onTimeout: ((Client) -> RESPValue)?, onEnd: @escaping (BlockEnd) -> Void) {
        self.onTimeout = onTimeout
        self.onEnd = onEnd
    }
}

/// Clients blocked on keys, served first-come first-served per key once a key changes.
public final class BlockingRegistry {
    struct DBKey: Hashable {
        let db: Int
        let key: Bytes
    }

    private var waiters: [DBKey: [Int64]] = [:] { didSet { noWaiters = waiters.isEmpty } }
    /// `waiters.isEmpty`, which every write asks: a plain field is read with no reference counting.
    private var noWaiters = true
    private var ready: [DBKey] = []
    private var readySet = Set<DBKey>()
    /// Keys module clients wait on: how many wait, and whether the key existed at the last change.
    private var moduleKeys: [DBKey: (waiting: Int, present: Bool)] = [:]
    /// Ready keys that also wake module waiters.
    private var signalled = Set<DBKey>()
    /// Clients unblocked during a command: resumed once its record is committed (serveReady).
    private var unblockedDuringCommand: [(Client, RESPValue)] = []
    unowned(unsafe) var engine: Engine!
    private var nextToken: UInt64 = 1
    public private(set) var blockedCount = 0
    /// Called (on the engine) when a blocked client gets its reply: served, timed out or
    /// unblocked. The server resumes the client's suspended batch with it.
    public var onUnblocked: ((Client, RESPValue) -> Void)?
    /// Called when a client blocks with a deadline, so the server can arm a timer.
    public var onBlocked: ((Client, BlockedCommand) -> Void)?

    public init() {}

    public var hasReady: Bool { !ready.isEmpty || !unblockedDuringCommand.isEmpty }
    /// The key being served while a blocked command's attempt runs (GetBlockedClientReadyKey).
    public private(set) var servingKey: Bytes?

    func newToken() -> UInt64 {
        defer { nextToken += 1 }
        return nextToken
    }

    func block(_ client: Client, _ cmd: BlockedCommand) {
        client.blocked = cmd
        blockedCount += 1
        for k in Set(cmd.keys) {
            let dk = DBKey(db: cmd.db, key: k)
            waiters[dk, default: []].append(client.id)
            if cmd.module != nil {
                let present = engine.databases[cmd.db].raw(k) != nil
                moduleKeys[dk, default: (0, present)].waiting += 1
            }
        }
        onBlocked?(client, cmd)
    }

    /// Marks a key ready if anyone waits on it (called for every key change; cheap when idle).
    @inline(__always) func keyChanged(_ db: Int, _ key: Bytes) {
        if noWaiters { return }
        let k = DBKey(db: db, key: key)
        guard waiters[k] != nil else { return }
        if readySet.insert(k).inserted { ready.append(k) }
        if !moduleKeys.isEmpty, let m = moduleKeys[k] { moduleKeyChanged(k, m.present) }
    }

    /// Redis signals module waiters when a key is added holding a list, sorted set or module
    /// value (its dbAdd), not when an existing one changes.
    private func moduleKeyChanged(_ k: DBKey, _ wasPresent: Bool) {
        let value = engine.databases[k.db].raw(k.key)?.value
        moduleKeys[k]?.present = value != nil
        guard !wasPresent else { return }
        switch value {
        case .list?, .zset?, .module?: signalled.insert(k)
        default: break
        }
    }

    /// RedisModule_SignalKeyAsReady: wakes the key's waiters, module ones included.
    public func signalKeyAsReady(_ db: Int, _ key: Bytes) {
        let k = DBKey(db: db, key: key)
        guard waiters[k] != nil else { return }
        if readySet.insert(k).inserted { ready.append(k) }
        signalled.insert(k)
    }

    /// Takes the client off every key it waits on; returns what it waited for.
    private func detach(_ client: Client) -> BlockedCommand? {
        guard let cmd = client.blocked else { return nil }
        client.blocked = nil
        blockedCount -= 1
        for k in Set(cmd.keys) {
            let dk = DBKey(db: cmd.db, key: k)
            waiters[dk]?.removeAll { $0 == client.id }
            if waiters[dk]?.isEmpty == true { waiters[dk] = nil }
            if cmd.module != nil, let m = moduleKeys[dk] {
                moduleKeys[dk] = m.waiting > 1 ? (m.waiting - 1, m.present) : nil
            }
        }
        return cmd
    }

    /// Removes the client from every key it waits on, without a reply (its connection closed).
    public func remove(_ client: Client) {
        detach(client)?.module?.onEnd(.disconnected)
    }

    /// Ends the client's wait with `reply` (CLIENT UNBLOCK, a module's UnblockClient). The
    /// client resumes after the current command, once that command's record is committed.
    public func unblock(_ client: Client, with reply: RESPValue) {
        guard let cmd = detach(client) else { return }
        cmd.module?.onEnd(.unblocked)
        unblockedDuringCommand.append((client, reply))
    }

    /// Whether CLIENT UNBLOCK may end the wait (a module client needs a timeout callback).
    public func mayTimeout(_ client: Client) -> Bool {
        guard let cmd = client.blocked else { return false }
        return cmd.module.map { $0.onTimeout != nil } ?? true
    }

    /// Ends the wait as on timeout (CLIENT UNBLOCK … TIMEOUT): a module's timeout callback runs.
    public func unblockAsTimeout(_ client: Client) {
        guard let cmd = client.blocked else { return }
        unblock(client, with: cmd.module?.onTimeout?(client) ?? cmd.timeoutReply)
    }

    /// The client's deadline passed (a timer on the engine): replies as on timeout, the
    /// module's timeout callback's effects committed as their own record.
    public func timeout(_ client: Client, token: UInt64) {
        guard let cmd = client.blocked, cmd.token == token else { return }
        var reply = cmd.timeoutReply
        if let onTimeout = cmd.module?.onTimeout {
            engine.beginExecution()
            reply = onTimeout(client)
        }
        _ = detach(client)
        cmd.module?.onEnd(.timedOut)
        engine.commitEffects()
        onUnblocked?(client, reply)
    }

    /// Serves clients blocked on keys that changed, in FIFO order per key. Each served
    /// command's effects are committed as their own record.
    public func serveReady(_ engine: Engine, _ dispatcher: Dispatcher) {
        // Served clients resume (and run their next pipelined commands) only once every ready
        // key has been handled, as Redis does: otherwise a served client's next blocking pop
        // could take what belongs to the waiters queued behind it.
        var served = unblockedDuringCommand
        unblockedDuringCommand.removeAll()
        defer { for (client, reply) in served { onUnblocked?(client, reply) } }
        while !ready.isEmpty {
            let k = ready.removeFirst()
            readySet.remove(k)
            let wakesModules = signalled.remove(k) != nil && engine.databases[k.db].raw(k.key) != nil
            guard let queue = waiters[k] else { continue }
            // Once a built-in waiter finds nothing, the ones behind it would not either; module
            // waiters decide for themselves.
            var exhausted = false
            for id in queue {
                guard let client = engine.clients[id], let cmd = client.blocked else { continue }
                if cmd.module != nil ? !wakesModules : exhausted { continue }
                engine.beginExecution()
                var ctx = CommandContext(engine: engine, client: client, argv: cmd.argv, spec: cmd.spec, dispatcher: dispatcher)
                let savedDB = client.db
                client.db = cmd.db
                var reply: RESPValue?
                servingKey = k.key
                do {
                    reply = try cmd.attempt(&ctx)
                } catch let e as RedisError {
                    reply = .error(e.text)
                } catch {
                    reply = .error("ERR \(error)")
                }
                servingKey = nil
                client.db = savedDB
                guard let reply, client.blocked?.token == cmd.token else {
                    engine.commitEffects()  // a declining module callback may still have written
                    if cmd.module == nil { exhausted = true }
                    continue
                }
                _ = detach(client)
                cmd.module?.onEnd(.served)
                engine.commitEffects()
                served.append((client, reply))
            }
        }
        served += unblockedDuringCommand
        unblockedDuringCommand.removeAll()
    }
}

extension CommandContext {
    /// Whether this command may block (not inside MULTI/EXEC or a script).
    public var canBlock: Bool { client.nonBlockingDepth == 0 }

    /// Blocks the client until `attempt` can serve it or the timeout passes. Inside MULTI or a
    /// script it does not block: it replies as on timeout at once, as Redis does.
    public func block(keys: [Bytes], timeoutMs: Int64, timeoutReply: RESPValue, module: ModuleWait? = nil,
                      attempt: @escaping (inout CommandContext) throws -> RESPValue?) -> RESPValue {
        guard canBlock else { return timeoutReply }
        let registry = engine.blocking
        let cmd = BlockedCommand(
            spec: spec, argv: argv, db: client.db, keys: keys,
            deadline: timeoutMs > 0 ? now + timeoutMs : nil, attempt: attempt, timeoutReply: timeoutReply,
            token: registry.newToken(), module: module)
        registry.block(client, cmd)
        return timeoutReply  // not sent: the server suspends the client's batch
    }
}

extension Arguments {
    /// A blocking timeout in seconds (fractional allowed) → milliseconds; 0 = forever.
    public static func timeoutMs(_ arg: Bytes) throws -> Int64 {
        guard let secs = Numbers.parseDouble(arg), secs.isFinite else { throw RedisError.timeoutNotFloat }
        guard secs >= 0 else { throw RedisError("timeout is negative") }
        let ms = secs * 1000
        guard ms < Double(Int64.max / 2) else { throw RedisError("timeout is out of range") }
        return Int64(ms.rounded(.up))
    }
}
