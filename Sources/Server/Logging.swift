#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers

/// Log lines in Redis's format (`pid:M dd Mon yyyy hh:mm:ss.mmm * message`), to stdout or `logfile`.
public struct RedisStyleLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .notice
    private let sink: LogSink

    public init(path: String) {
        sink = LogSink.shared(path)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let mark: String
        switch event.level {
        case .trace, .debug: mark = "."
        case .info: mark = "-"
        case .notice: mark = "*"
        default: mark = "#"
        }
        var t = time(nil)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, 64, "%d %b %Y %H:%M:%S", &tmv)
        let date = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let ms = Int(ts.tv_nsec / 1_000_000)
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        sink.write("\(getpid()):M \(date).\(msText) \(mark) \(event.message)\n")
    }
}

final class LogSink: @unchecked Sendable {
    private let lock = NIOLock()
    private let file: UnsafeMutablePointer<FILE>?
    private static let registry = NIOLockedValueBox<[String: LogSink]>([:])

    static func shared(_ path: String) -> LogSink {
        registry.withLockedValue { r in
            if let s = r[path] { return s }
            let s = LogSink(path: path)
            r[path] = s
            return s
        }
    }

    private init(path: String) {
        file = path.isEmpty ? nil : fopen(path, "a")
    }

    func write(_ line: String) {
        lock.withLock {
            if let file {
                fputs(line, file)
                fflush(file)
            } else {
                fputs(line, stdout)
                fflush(stdout)
            }
        }
    }
}
