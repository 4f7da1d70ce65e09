import Engine
import NIOConcurrencyHelpers
import RESP

/// What the I/O threads may know about the script running on the engine: once it has run past
/// `busy-reply-threshold` they answer other clients `-BUSY` themselves and handle SCRIPT KILL,
/// FUNCTION KILL, FUNCTION STATS and SHUTDOWN NOSAVE without waiting for the engine.
public final class ScriptBusyState: @unchecked Sendable {
    struct Shared {
        var running = false
        var busy = false
        var isFunction = false
        var wrote = false
        var kill = false
        var shutdown = false
        var name = ""
        var command: [Bytes] = []
        var startMs: Int64 = 0
        var libraries = 0
        var functions = 0
    }

    private let shared = NIOLockedValueBox(Shared())
    // Engine-side state: the lock is taken to start and end a run, and by the hook only once
    // the script is busy (then the I/O threads need the name, command and start time).
    private var startTicks: UInt64 = 0
    private var thresholdNanos: Int64 = 0
    private var markedBusy = false
    private var wroteMarked = false
    private var name = ""
    private var command: [Bytes] = []
    private var isFunction = false
    /// Called on the engine when a script becomes busy (name, elapsed ms).
    var onBusy: ((String, Bool, Int64) -> Void)?

    public init() {}

    // MARK: engine side

    func begin(name: String, command: [Bytes], isFunction: Bool, thresholdMs: Int) {
        startTicks = CommandClock.ticks()
        thresholdNanos = Int64(thresholdMs) * 1_000_000
        markedBusy = false
        wroteMarked = false
        self.name = name
        self.command = command
        self.isFunction = isFunction
        shared.withLockedValue {
            $0.running = true
            $0.busy = false
            $0.kill = false
            $0.shutdown = false
            $0.wrote = false
            $0.isFunction = isFunction
        }
    }

    /// Ends the run; returns whether it was killed, and whether for SHUTDOWN NOSAVE.
    @discardableResult
    func end() -> (killed: Bool, shutdown: Bool) {
        command = []
        return shared.withLockedValue {
            let result = ($0.kill, $0.shutdown)
            $0.running = false
            $0.busy = false
            $0.kill = false
            $0.shutdown = false
            if markedBusy { $0.command = [] }
            return result
        }
    }

    func markWrote() {
        if wroteMarked { return }
        wroteMarked = true
        if markedBusy { shared.withLockedValue { $0.wrote = true } }
    }

    func setCounts(libraries: Int, functions: Int) {
        shared.withLockedValue {
            $0.libraries = libraries
            $0.functions = functions
        }
    }

    /// From the hook: a script running inline on an I/O loop has had its time there (half the
    /// busy threshold, at most `inlineBudgetNanos`): it moves to the engine loop, which leaves
    /// the I/O loop free to answer -BUSY once the threshold passes.
    func pastInlineBudget() -> Bool {
        CommandClock.nanos(since: startTicks) >= min(thresholdNanos / 2, ScriptBusyState.inlineBudgetNanos)
    }
    static let inlineBudgetNanos: Int64 = 5_000_000

    /// From the hook: marks the script busy once past the threshold; true if it must be killed.
    func check() -> Bool {
        if !markedBusy {
            let elapsed = CommandClock.nanos(since: startTicks)
            guard elapsed >= thresholdNanos else { return false }
            markedBusy = true
            let startMs = Engine.wallClockMs() - elapsed / 1_000_000
            shared.withLockedValue { s in
                s.busy = true
                s.name = name
                s.command = command
                s.startMs = startMs
                s.wrote = wroteMarked
            }
            onBusy?(name, isFunction, elapsed / 1_000_000)
        }
        return shared.withLockedValue { $0.kill }
    }

    // MARK: any thread

    public var isBusy: Bool { shared.withLockedValue { $0.busy } }

    /// The `-BUSY` error other commands get while the script runs.
    public var busyError: String {
        let isFunction = shared.withLockedValue { $0.isFunction }
        return ScriptBusyState.busyText(function: isFunction)
    }

    static func busyText(function: Bool) -> String {
        "BUSY Redis is busy running a script. You can only call \(function ? "FUNCTION" : "SCRIPT") KILL or SHUTDOWN NOSAVE."
    }

    /// SCRIPT KILL (`function` false) or FUNCTION KILL.
    public func kill(function: Bool) -> RESPValue {
        shared.withLockedValue { s -> RESPValue in
            guard s.running && s.busy else { return .error("NOTBUSY No scripts in execution right now.") }
            if s.isFunction != function { return .error(ScriptBusyState.busyText(function: s.isFunction)) }
            if s.wrote {
                return .error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
            }
            s.kill = true
            return .ok
        }
    }

    /// SHUTDOWN NOSAVE: the script stops whatever it wrote (its effects are dropped, never logged).
    public func killForShutdown() {
        shared.withLockedValue {
            if $0.running {
                $0.kill = true
                $0.shutdown = true
            }
        }
    }

    /// FUNCTION STATS.
    public func stats() -> RESPValue {
        let s = shared.withLockedValue { $0 }
        var running = RESPValue.null
        if s.running && s.isFunction {
            running = .map([
                (.bulk("name"), .bulk(s.name)),
                (.bulk("command"), .array(s.command.map { .bulk($0) })),
                (.bulk("duration_ms"), .integer(Engine.wallClockMs() - s.startMs)),
            ])
        }
        return .map([
            (.bulk("running_script"), running),
            (.bulk("engines"), .map([
                (.bulk("LUA"), .map([
                    (.bulk("libraries_count"), .integer(Int64(s.libraries))),
                    (.bulk("functions_count"), .integer(Int64(s.functions))),
                ])),
            ])),
        ])
    }
}
