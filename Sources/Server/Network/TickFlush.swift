import NIOCore

/// When one I/O loop flushes the replies it writes. In a busy tick, every reply is flushed
/// together once the tick's I/O is done (NIO runs queued tasks after it), as Redis writes its
/// clients' replies before its event loop sleeps: written back to back, the replies to one
/// client process with many connections (redis-benchmark, a connection pool) wake it once,
/// where replies flushed one by one through the tick wake it once each. A wake-up of a
/// sleeping process costs the writer more than the write (an inter-processor interrupt), so
/// this takes a pipelined GET from 1.3 to 1.1 µs of server CPU. In a quiet tick (at most
/// `quietWrites` replies in the loop's last tick with any) a reply is flushed at once: there
/// is nothing to put it with, and its client is waiting.
final class TickFlush {
    /// A connection with replies written and not yet flushed.
    protocol Writer: AnyObject {
        /// On the loop: flushes what was written.
        func flushWritten()
    }

    static let quietWrites = 2
    private let deferral: TickDeferral<any Writer>

    init(loop: EventLoop) {
        deferral = TickDeferral(loop: loop, quiet: Self.quietWrites) { writers in
            for w in writers { w.flushWritten() }
        }
    }

    /// On the loop: `writer` wrote a reply. True if it is to flush it now; otherwise its
    /// `flushWritten` is called at the end of the tick.
    func wrote(_ writer: any Writer) -> Bool { deferral.add(writer) }
}

/// What `TickFlush` and `TickSubmit` share: in a busy tick (more than `quiet` items in the
/// loop's last tick with any) an item waits for the end of the tick, when all of them are
/// handed to `atTickEnd` together (NIO runs queued tasks after the tick's I/O); in a quiet
/// tick each item is handled at once by its caller.
final class TickDeferral<Item> {
    private let quiet: Int
    private let tickEnd: CoalescedTask
    private let atTickEnd: ([Item]) -> Void
    /// Loop-only.
    private var current = 0
    private var previous = 0
    private var due: [Item] = []

    init(loop: EventLoop, quiet: Int, atTickEnd: @escaping ([Item]) -> Void) {
        self.quiet = quiet
        self.atTickEnd = atTickEnd
        tickEnd = CoalescedTask(loop: loop)
    }

    /// On the loop: true if the caller is to handle `item` now; otherwise it is kept for the
    /// end of the tick.
    func add(_ item: Item) -> Bool {
        if current == 0 { tickEnd.schedule { self.endTick() } }
        current += 1
        if previous <= quiet { return true }
        due.append(item)
        return false
    }

    private func endTick() {
        previous = current
        current = 0
        if due.isEmpty { return }
        var items: [Item] = []
        swap(&items, &due)
        atTickEnd(items)
        items.removeAll(keepingCapacity: true)
        if due.isEmpty { due = items }  // the array's capacity serves the next tick
    }
}
