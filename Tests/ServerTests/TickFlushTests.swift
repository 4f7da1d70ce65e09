import NIOCore
import NIOPosix
import Testing

@testable import Server

/// `TickFlush` on a real event loop: replies flush at once while the loop is quiet, and at the
/// end of the tick, all together, once its last tick with replies had more than
/// `TickFlush.quietWrites` of them.
@Suite struct TickFlushTests {
    final class Writer: TickFlush.Writer {
        var flushes = 0
        func flushWritten() { flushes += 1 }
    }

    @Test func quietFlushesAtOnceBusyAtTheEndOfTheTick() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let flush = try loop.submit { TickFlush(loop: loop) }.wait()
        let writers = (0..<4).map { _ in Writer() }
        // Each `submit` below is one tick: the tick-end task the first reply schedules runs
        // behind it, before the next `submit`.
        // No history: quiet, so every reply of this tick flushes at once (and none is deferred).
        #expect(try loop.submit { writers.map { flush.wrote($0) } }.wait() == [true, true, true, true])
        #expect(try loop.submit { writers.map(\.flushes) }.wait() == [0, 0, 0, 0])
        // The last tick had four replies: busy. Nothing flushes during the tick…
        let during = try loop.submit { () -> [Bool] in
            let now = writers.prefix(3).map { flush.wrote($0) }
            return now + writers.prefix(3).map { $0.flushes > 0 }
        }.wait()
        #expect(during == [false, false, false, false, false, false])
        // …and each writer is flushed once when it ends.
        #expect(try loop.submit { writers.map(\.flushes) }.wait() == [1, 1, 1, 0])
        // That tick had three: still busy.
        #expect(try loop.submit { flush.wrote(writers[3]) }.wait() == false)
        // A tick with one reply makes the loop quiet again.
        #expect(try loop.submit { flush.wrote(writers[0]) }.wait() == true)
        #expect(try loop.submit { writers.map(\.flushes) }.wait() == [1, 1, 1, 1])
    }
}
