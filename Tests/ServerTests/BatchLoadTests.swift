import NIOCore
import NIOPosix
import Testing

@testable import Server

/// `BatchLoad` on a real event loop: a long batch runs inline only when the loop's last tick
/// with long batches had at most `BatchLoad.quietBatches` of them.
@Suite struct BatchLoadTests {
    @Test func quietOnlyAfterATickWithFewLongBatches() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let load = try loop.submit { BatchLoad(loop: loop) }.wait()
        // Each `submit` below is one tick: the tick-end task the first long batch schedules runs
        // behind it, before the next `submit`.
        // No history yet: busy.
        #expect(try loop.submit { load.longBatch() }.wait() == false)
        // The last tick had one long batch: quiet, for every batch of this tick.
        #expect(try loop.submit { (0..<3).map { _ in load.longBatch() } }.wait() == [true, true, true])
        // …but that tick had three: busy.
        #expect(try loop.submit { load.longBatch() }.wait() == false)
        // A tick with two is still quiet.
        _ = try loop.submit { load.longBatch() }.wait()
        _ = try loop.submit { (load.longBatch(), load.longBatch()) }.wait()
        #expect(try loop.submit { load.longBatch() }.wait() == true)
    }
}
