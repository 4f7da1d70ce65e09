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
}

/// Clients blocked on keys, served first-come first-served per key once a key changes.
public final class BlockingRegistry {
    struct DBKey: Hashable {
        let db: Int
        let key: Bytes
    }

    private var waiters: [DBKey: [Int64]] = [:]
    private var ready: [DBKey] = []
    private var readySet = Set<DBKey>()
    private var nextToken: UInt64 = 1
    public private(set) var blockedCount = 0
    /// Called (on the engine) when a blocked client gets its reply: served, timed out or
    /// unblocked. The server resumes the client's suspended batch with it.
    public var onUnblocked: ((Client, RESPValue) -> Void)?
    /// Called when a client blocks with a deadline, so the server can arm a timer.
    public var onBlocked: ((Client, BlockedCommand) -> Void)?

    public init() {}

    public var hasReady: Bool { !ready.isEmpty }

    func newToken() -> UInt64 {
        defer { nextToken += 1 }
        return nextToken
    }

    func block(_ client: Client, _ cmd: BlockedCommand) {
        client.blocked = cmd
        blockedCount += 1
        for k in Set(cmd.keys) { waiters[DBKey(db: cmd.db, key: k), default: []].append(client.id) }
        onBlocked?(client, cmd)
    }

    /// Marks a key ready if anyone waits on it (called for every key change; cheap when idle).
    @inline(__always) func keyChanged(_ db: Int, _ key: Bytes) {
        if waiters.isEmpty { return }
        let k = DBKey(db: db, key: key)
        if waiters[k] != nil && readySet.insert(k).inserted { ready.append(k) }
    }

    /// Removes the client from every key it waits on (no reply).
    public func remove(_ client: Client) {
        guard let cmd = client.blocked else { return }
        client.blocked = nil
        blockedCount -= 1
        for k in Set(cmd.keys) {
            let dk = DBKey(db: cmd.db, key: k)
            waiters[dk]?.removeAll { $0 == client.id }
            if waiters[dk]?.isEmpty == true { waiters[dk] = nil }
        }
    }

    /// Ends the client's wait with `reply` (timeout, CLIENT UNBLOCK).
    public func unblock(_ client: Client, with reply: RESPValue) {
        guard client.blocked != nil else { return }
        remove(client)
        onUnblocked?(client, reply)
    }

    public func timeout(_ client: Client, token: UInt64) {
        guard let cmd = client.blocked, cmd.token == token else { return }
        unblock(client, with: cmd.timeoutReply)
    }

    /// Serves clients blocked on keys that changed, in FIFO order per key. Each served
    /// command's effects are committed as their own record.
    public func serveReady(_ engine: Engine, _ dispatcher: Dispatcher) {
        // Served clients resume (and run their next pipelined commands) only once every ready
        // key has been handled, as Redis does: otherwise a served client's next blocking pop
        // could take what belongs to the waiters queued behind it.
        var served: [(Client, RESPValue)] = []
        defer { for (client, reply) in served { onUnblocked?(client, reply) } }
        while !ready.isEmpty {
            let k = ready.removeFirst()
            readySet.remove(k)
            guard let queue = waiters[k] else { continue }
            for id in queue {
                guard let client = engine.clients[id], let cmd = client.blocked else { continue }
                engine.beginExecution()
                var ctx = CommandContext(engine: engine, client: client, argv: cmd.argv, spec: cmd.spec, dispatcher: dispatcher)
                let savedDB = client.db
                client.db = cmd.db
                var reply: RESPValue?
                do {
                    reply = try cmd.attempt(&ctx)
                } catch let e as RedisError {
                    reply = .error(e.text)
                } catch {
                    reply = .error("ERR \(error)")
                }
                client.db = savedDB
                guard let reply else { break }  // the key has nothing left for the next waiters either
                remove(client)
                engine.commitEffects()
                served.append((client, reply))
            }
        }
    }
}

extension CommandContext {
    /// Whether this command may block (not inside MULTI/EXEC or a script).
    public var canBlock: Bool { client.nonBlockingDepth == 0 }

    /// Blocks the client until `attempt` can serve it or the timeout passes. Inside MULTI or a
    /// script it does not block: it replies as on timeout at once, as Redis does.
    public func block(keys: [Bytes], timeoutMs: Int64, timeoutReply: RESPValue,
                      attempt: @escaping (inout CommandContext) throws -> RESPValue?) -> RESPValue {
        guard canBlock else { return timeoutReply }
        let registry = engine.blocking
        let cmd = BlockedCommand(
            spec: spec, argv: argv, db: client.db, keys: keys,
            deadline: timeoutMs > 0 ? now + timeoutMs : nil, attempt: attempt, timeoutReply: timeoutReply,
            token: registry.newToken())
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
