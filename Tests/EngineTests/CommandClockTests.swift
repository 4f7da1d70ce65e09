#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Testing

@testable import Engine

@Suite("Command clock", .timeLimit(.minutes(1)))
struct CommandClockTests {
    @Test func durationsAndWallClockAgreeWithTheSystemClocks() {
        let start = CommandClock.ticks()
        let m0 = CommandClock.monotonicNanos()
        usleep(30_000)
        let measured = CommandClock.nanos(since: start)
        let actual = CommandClock.monotonicNanos() - m0
        #expect(abs(measured - actual) < actual / 20, "measured \(measured) ns, clock_gettime \(actual) ns")
        var clock = CommandClock()
        for _ in 0..<3 {
            #expect(abs(clock.wallClockMs() - Engine.wallClockMs()) <= 2)
            usleep(60_000)  // across the 100 ms re-anchoring
        }
        #expect(CommandClock.nanos(since: CommandClock.ticks() &+ 1_000_000) == 0)
    }
}
