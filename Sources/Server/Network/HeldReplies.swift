import DequeModule
import NIOConcurrencyHelpers
import NIOCore
import Persistence

/// Replies one I/O loop holds until the log is durable up to their barrier (`appendfsync
/// always`). The log's writer wakes the loop once per group commit, not once per reply: one
/// task releases every reply that became durable, so a commit of 50 clients' writes costs the
/// loop one wake-up and no per-reply closures or cross-thread allocations.
final class HeldReplies: @unchecked Sendable {
    let loop: EventLoop
    /// Loop-only: what waits, in the order it was held.
    private var items = Deque<Held>()
    private typealias Held = (barrier: UInt64, session: SessionHandler, ticket: UInt64, item: SessionHandler.Outgoing)
    /// Shared with the log's thread.
    private struct State {
        var committed: UInt64 = 0
        /// The loop holds something (the writer must wake it).
        var armed = false
        /// A release task is already queued on the loop.
        var scheduled = false
    }
    private let state = NIOLockedValueBox(State())

    init(loop: EventLoop) {
        self.loop = loop
        logWrite = CoalescedTask(loop: loop)
    }

    private let logWrite: CoalescedTask

    /// On the loop: writes the log once this tick's reads are all handled (NIO runs queued
    /// tasks after the tick's I/O), so every client served in the tick shares one fsync, as
    /// Redis writes and fsyncs once before its event loop sleeps (see `EffectLog.writeHere`).
    func wakeAtEndOfTick(_ log: EffectLog) {
        // Asked once per batch, run once per tick: only the first ask makes the closure.
        if logWrite.isQueued { return }
        logWrite.schedule { log.writeHere() }
    }

    /// On the log's thread: the log is durable up to `sequence`.
    func committed(_ sequence: UInt64) {
        let wake = state.withLockedValue { s -> Bool in
            if sequence > s.committed { s.committed = sequence }
            guard s.armed && !s.scheduled else { return false }
            s.scheduled = true
            return true
        }
        guard wake else { return }
        // Committed by this loop itself (writeHere at the end of its tick): release right away.
        if loop.inEventLoop { release() } else { loop.execute { self.release() } }
    }

    /// On the loop: sends `item` once everything up to `barrier` is durable.
    func hold(_ barrier: UInt64, _ session: SessionHandler, _ ticket: UInt64, _ item: SessionHandler.Outgoing) {
        items.append((barrier, session, ticket, item))
        // Armed before reading `committed`: either the writer sees the flag, or we see its commit.
        let committed = state.withLockedValue { s -> UInt64 in
            s.armed = true
            return s.committed
        }
        if barrier <= committed { release() }
    }

    private func release() {
        let committed = state.withLockedValue { s -> UInt64 in
            s.scheduled = false
            return s.committed
        }
        // Taken out whole and moved, not copied, one by one (copying an entry retains its
        // session and buffers: six retains per reply). Arriving replies may hold new ones:
        // they go to `items` afresh, after what is kept here.
        var taken = Deque<Held>()
        swap(&taken, &items)
        var kept = Deque<Held>()
        while let held = taken.popFirst() {
            if held.barrier <= committed {
                held.session.arrive(held.ticket, held.item)
            } else {
                kept.append(held)
            }
        }
        if !kept.isEmpty {
            kept.append(contentsOf: items)
            items = kept
        }
        let empty = items.isEmpty
        state.withLockedValue { $0.armed = !empty }
    }
}

/// Runs a task once behind the tasks already queued on a loop, however many times it is asked
/// for before it runs (one log write or wake-up for a whole tick's worth of batches).
final class CoalescedTask: @unchecked Sendable {
    private let loop: EventLoop
    /// Loop-only.
    private var queued = false
    /// The task is queued and has not run yet (a caller can skip making its closure).
    var isQueued: Bool { queued }

    init(loop: EventLoop) { self.loop = loop }

    /// On the loop.
    func schedule(_ body: @escaping () -> Void) {
        if queued { return }
        queued = true
        loop.execute {
            self.queued = false
            body()
        }
    }
}
