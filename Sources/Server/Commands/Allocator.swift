#if canImport(Glibc)
import Glibc
#endif

/// The process's malloc, asked through jemalloc's `mallctl` when jemalloc is the one in use
/// (mnemo-server links it, as Redis does); found at run time, so a build on the system malloc
/// still works and says so.
enum Allocator {
    private typealias MallCtl = @convention(c) (
        UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?, Int
    ) -> Int32
    private typealias StatsPrint = @convention(c) (
        (@convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void)?, UnsafeMutableRawPointer?,
        UnsafePointer<CChar>?
    ) -> Void

    private static func symbol<T>(_ name: String, as: T.Type) -> T? {
        guard let s = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(s, to: T.self)
    }
    private static let mallctl = symbol("mallctl", as: MallCtl.self)
    private static let statsPrint = symbol("malloc_stats_print", as: StatsPrint.self)

    private static func read<T>(_ name: String, _ initial: T) -> T? {
        guard let mallctl else { return nil }
        var value = initial
        var size = MemoryLayout<T>.size
        return mallctl(name, &value, &size, nil, 0) == 0 ? value : nil
    }

    /// INFO's `mem_allocator`: `jemalloc-5.3.0` (the release, as Redis shows it) or `libc`.
    static let name: String = {
        guard let v = read("version", UnsafePointer<CChar>?.none), let v else { return "libc" }
        return "jemalloc-" + (String(cString: v).split(separator: "-").first.map(String.init) ?? "")
    }()

    /// Bytes the application holds allocated (jemalloc's `stats.allocated`, what Redis reports
    /// as used_memory); nil on the system malloc.
    static func allocatedBytes() -> Int64? {
        guard let mallctl else { return nil }
        var epoch: UInt64 = 1
        _ = mallctl("epoch", nil, nil, &epoch, MemoryLayout<UInt64>.size)  // refresh the statistics
        return read("stats.allocated", Int(0)).map(Int64.init)
    }

    /// MEMORY PURGE: returns every arena's unused dirty pages to the system.
    static func purge() {
        _ = mallctl?("arena.4096.purge", nil, nil, nil, 0)  // 4096 = MALLCTL_ARENAS_ALL
    }

    /// MEMORY MALLOC-STATS: jemalloc's own report; nil on the system malloc.
    static func statsReport() -> String? {
        guard let statsPrint else { return nil }
        final class Sink { var text: [UInt8] = [] }
        let sink = Sink()
        withExtendedLifetime(sink) {
            statsPrint({ opaque, line in
                guard let opaque, let line else { return }
                let sink = Unmanaged<Sink>.fromOpaque(opaque).takeUnretainedValue()
                sink.text.append(contentsOf: UnsafeRawBufferPointer(start: line, count: strlen(line)))
            }, Unmanaged.passUnretained(sink).toOpaque(), nil)
        }
        return String(decoding: sink.text, as: UTF8.self)
    }
}
