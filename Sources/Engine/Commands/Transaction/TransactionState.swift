import RESP

/// A client's open MULTI: the commands queued so far and whether queueing failed.
public struct MultiState {
    public var queued: [(spec: CommandSpec, argv: [Bytes])] = []
    /// A command was rejected while queueing: EXEC will answer EXECABORT.
    public var failed = false
}

/// A watched key and whether it was already logically expired when watched.
struct WatchedKey: Hashable {
    let db: Int
    let key: Bytes
}

/// Keys watched by clients; a change to one makes the watchers' next EXEC fail.
public final class WatchRegistry {
    private var watchers: [WatchedKey: Set<Int64>] = [:] { didSet { isEmpty = watchers.isEmpty } }
    unowned(unsafe) var engine: Engine?

    /// `watchers.isEmpty`, which every write asks: a plain field is read with no reference counting.
    public private(set) var isEmpty = true

    func watch(_ client: Client, db: Int, key: Bytes, expiredNow: Bool) {
        let k = WatchedKey(db: db, key: key)
        if client.watched.contains(where: { $0.db == db && $0.key == key }) { return }
        client.watched.append((db, key, expiredNow))
        watchers[k, default: []].insert(client.id)
    }

    public func unwatchAll(_ client: Client) {
        for w in client.watched {
            let k = WatchedKey(db: w.db, key: w.key)
            watchers[k]?.remove(client.id)
            if watchers[k]?.isEmpty == true { watchers[k] = nil }
        }
        client.watched.removeAll()
        client.watchDirty = false
    }

    @inline(__always) func keyChanged(_ db: Int, _ key: Bytes) {
        if isEmpty { return }
        guard let ids = watchers[WatchedKey(db: db, key: key)], let engine else { return }
        for id in ids { engine.clients[id]?.watchDirty = true }
    }
}
