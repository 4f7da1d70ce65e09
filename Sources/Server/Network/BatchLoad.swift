import NIOCore

/// How many long batches (more than `SessionHandler.inlineBatchLimit` commands) one I/O loop's
/// connections submitted in its last tick that had any. Handing a long batch to the engine
/// loop pays off when the I/O loop has other connections' input to decode meanwhile (two
/// cores busy); when one or two connections keep it busy, there is nothing to overlap with
/// and the hand-off is only two thread wake-ups per batch, so such batches run inline.
final class BatchLoad {
    /// At most this many long batches per tick count as a quiet loop.
    static let quietBatches = 2
    /// Loop-only.
    private var current = 0
    private var previous = Int.max
    private let tickEnd: CoalescedTask

    init(loop: EventLoop) { tickEnd = CoalescedTask(loop: loop) }

    /// On the loop: counts a long batch; true if the loop was quiet in its last busy tick.
    func longBatch() -> Bool {
        if current == 0 {
            tickEnd.schedule {
                self.previous = self.current
                self.current = 0
            }
        }
        current += 1
        return previous <= Self.quietBatches
    }
}
