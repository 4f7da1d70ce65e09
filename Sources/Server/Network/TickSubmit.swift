import Engine
import NIOCore

/// In a busy tick, connections' requests run together at the tick's end instead of as each
/// connection is read: the keys of all of them are prefetched first, so their hash-table
/// lookups overlap instead of each stalling on memory in turn. Replies lose nothing by it: a
/// busy loop flushes its replies at the end of the tick (`TickFlush`) and durable replies
/// wait for the tick's log write anyway. A quiet loop (a few connections in its last tick)
/// runs each connection's requests at once, for the lowest latency.
final class TickSubmit {
    /// A loop whose last tick ran at most this many connections' requests runs them at once.
    static let quietSubmits = 2

    private let engine: Engine
    private let engineMutex: EngineMutex
    private var deferral: TickDeferral<SessionHandler>!
    /// Loop-only: the prefetch's scratch array.
    private var hashes: [UInt64] = []

    init(loop: EventLoop, engine: Engine, engineMutex: EngineMutex) {
        self.engine = engine
        self.engineMutex = engineMutex
        // Unowned: the deferral lives as long as this object, which owns it.
        deferral = TickDeferral(loop: loop, quiet: Self.quietSubmits) { [unowned self] sessions in
            if sessions.count > 1 { self.prefetch(sessions) }
            for s in sessions { s.submitDue() }
        }
    }

    /// On the loop: `session` read requests. True if it is to run them now; otherwise its
    /// `submitDue` is called at the end of the tick.
    func read(_ session: SessionHandler) -> Bool { deferral.add(session) }

    /// Prefetches the first keys of every connection's requests (in their databases), if the
    /// engine is free; if it is not, the requests go to the engine loop anyway.
    private func prefetch(_ sessions: [SessionHandler]) {
        guard engineMutex.tryLock() else { return }
        var db = -1
        for s in sessions {
            guard let d = s.prefetchDatabase else { continue }
            if d != db {
                if db >= 0 { engine.prefetch(db: db, hashes) }
                hashes.removeAll(keepingCapacity: true)
                db = d
            }
            s.appendKeyHashes(to: &hashes)
        }
        if db >= 0 { engine.prefetch(db: db, hashes) }
        hashes.removeAll(keepingCapacity: true)
        engineMutex.unlock()
    }
}
