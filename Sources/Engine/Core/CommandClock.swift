#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import CSupport

/// The clock every command reads twice (its duration: INFO commandstats, SLOWLOG, the latency
/// monitor) plus once for its frozen wall-clock time (expiry). clock_gettime costs ~25 ns a
/// call here, ~15% of a PING's whole server-side cost, so the engine reads the CPU's invariant
/// counter instead, calibrated against CLOCK_MONOTONIC, and re-reads the real wall clock every
/// 100 ms (a step of the system clock shows within that). Without an invariant counter it is
/// plain clock_gettime.
public struct CommandClock {
    /// Nanoseconds per counter tick, or nil when the counter is not a usable clock.
    static let nanosPerTick: Double? = calibrate()

    private var anchorTicks: UInt64 = 0
    private var anchorWallNanos: Int64 = 0
    private var reanchorAfter: UInt64 = 0

    public init() {}

    /// A point in time for `nanos(since:)`.
    @inline(__always) public static func ticks() -> UInt64 {
        nanosPerTick != nil ? mnemo_cycles() : UInt64(monotonicNanos())
    }

    /// Nanoseconds from `start` (a `ticks()` value) to now.
    @inline(__always) public static func nanos(since start: UInt64) -> Int64 {
        let now = ticks()
        guard now > start else { return 0 }
        guard let scale = nanosPerTick else { return Int64(now - start) }
        return Int64(Double(now - start) * scale)
    }

    /// Wall-clock milliseconds (CLOCK_REALTIME), extrapolated from the last real reading.
    public mutating func wallClockMs() -> Int64 {
        guard let scale = Self.nanosPerTick else { return Engine.wallClockMs() }
        let now = mnemo_cycles()
        if now >= reanchorAfter || now < anchorTicks {
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            anchorTicks = mnemo_cycles()
            anchorWallNanos = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
            reanchorAfter = anchorTicks &+ UInt64(100_000_000 / scale)
            return anchorWallNanos / 1_000_000
        }
        return (anchorWallNanos + Int64(Double(now - anchorTicks) * scale)) / 1_000_000
    }

    static func monotonicNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Ticks per nanosecond measured over 2 ms, when the counter runs at a constant rate
    /// (x86-64: the CPU says `constant_tsc` and `nonstop_tsc`; arm64's counter always does).
    private static func calibrate() -> Double? {
        #if arch(x86_64)
        guard let f = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 8192)
        var invariant = false
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(cString: line)
            if text.hasPrefix("flags") {
                invariant = text.contains(" constant_tsc") && text.contains(" nonstop_tsc")
                break
            }
        }
        guard invariant else { return nil }
        #elseif !arch(arm64)
        return 1
        #endif
        let n0 = monotonicNanos()
        let t0 = mnemo_cycles()
        var n1 = n0
        while n1 - n0 < 2_000_000 { n1 = monotonicNanos() }
        let t1 = mnemo_cycles()
        guard t1 > t0 else { return nil }
        return Double(n1 - n0) / Double(t1 - t0)
    }
}
