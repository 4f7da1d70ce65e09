/// `client-output-buffer-limit`: per client class, a hard limit and a soft limit held for
/// soft-seconds (bytes queued for the client but not yet written to its socket; 0 = none).
public struct OutputBufferLimits: Sendable, Equatable {
    public struct Limit: Sendable, Equatable {
        public var hard: Int64
        public var soft: Int64
        public var softSeconds: Int64
        public init(hard: Int64, soft: Int64, softSeconds: Int64) {
            self.hard = hard
            self.soft = soft
            self.softSeconds = softSeconds
        }
        public var isUnlimited: Bool { hard == 0 && soft == 0 }
    }

    public var normal = Limit(hard: 0, soft: 0, softSeconds: 0)
    public var replica = Limit(hard: 256 << 20, soft: 64 << 20, softSeconds: 60)
    public var pubsub = Limit(hard: 32 << 20, soft: 8 << 20, softSeconds: 60)

    public init() {}

    public static let defaultText = OutputBufferLimits().text

    /// CONFIG GET's form: `normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60`.
    public var text: String {
        func f(_ l: Limit) -> String { "\(l.hard) \(l.soft) \(l.softSeconds)" }
        return "normal \(f(normal)) slave \(f(replica)) pubsub \(f(pubsub))"
    }

    /// Applies `class hard soft seconds` groups over `self` (classes not named keep their limits),
    /// with Redis's validation and error texts.
    public func applying(_ words: [String]) throws -> OutputBufferLimits {
        guard words.count % 4 == 0 else { throw LimitError("Wrong number of arguments in buffer limit configuration.") }
        var out = self
        var i = 0
        while i < words.count {
            let cls = words[i].lowercased()
            guard ["normal", "slave", "replica", "pubsub"].contains(cls) else {
                throw LimitError("Invalid client class specified in buffer limit configuration.")
            }
            guard let hard = OutputBufferLimits.memory(words[i + 1]), let soft = OutputBufferLimits.memory(words[i + 2]),
                  let secs = Int64(words[i + 3]), secs >= 0
            else {
                throw LimitError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
            }
            let limit = Limit(hard: hard, soft: soft, softSeconds: secs)
            switch cls {
            case "normal": out.normal = limit
            case "pubsub": out.pubsub = limit
            default: out.replica = limit
            }
            i += 4
        }
        return out
    }

    /// Parses the CONFIG GET form back (every class present).
    public init?(text: String) {
        guard let l = try? OutputBufferLimits().applying(text.split(separator: " ").map(String.init)) else { return nil }
        self = l
    }

    /// Redis's `memtoull`: digits with an optional b, k, kb, m, mb, g, gb unit (k = 1000, kb = 1024).
    static func memory(_ s: String) -> Int64? {
        let l = s.lowercased()
        let units: [(String, Int64)] = [("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 1_000_000_000),
                                        ("m", 1_000_000), ("k", 1000), ("b", 1)]
        var digits = Substring(l)
        var mult: Int64 = 1
        for (suffix, m) in units where l.hasSuffix(suffix) {
            digits = l.dropLast(suffix.count)
            mult = m
            break
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), let n = Int64(digits) else { return nil }
        let (v, o) = n.multipliedReportingOverflow(by: mult)
        return o ? nil : v
    }

    public struct LimitError: Error {
        public let message: String
        init(_ message: String) { self.message = message }
    }
}

/// Tracks one client's output against a limit (Redis's `checkClientOutputBufferLimits`).
public struct OutputBufferTracker: Sendable {
    /// When the soft limit was first exceeded (ms), 0 if under it.
    public var softLimitReachedAt: Int64 = 0
    public init() {}

    /// True if a client with `queued` bytes pending must be disconnected now.
    public mutating func exceeds(_ limit: OutputBufferLimits.Limit, queued: Int64, nowMs: Int64) -> Bool {
        if limit.hard > 0 && queued >= limit.hard { return true }
        if limit.soft > 0 && queued >= limit.soft {
            if softLimitReachedAt == 0 {
                softLimitReachedAt = nowMs
                return false
            }
            return nowMs - softLimitReachedAt > limit.softSeconds * 1000
        }
        softLimitReachedAt = 0
        return false
    }
}
