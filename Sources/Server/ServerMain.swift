#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Dispatch
import Logging
import Persistence

/// The executable's entry point: configure, start, run until SHUTDOWN or a signal.
public enum ServerMain {
    public static func run(_ arguments: [String]) -> Int32 {
        if arguments.first == "-v" || arguments.first == "--version" {
            print("Mnemo server v=\(MnemoServer.version) (Redis \(MnemoServer.redisVersion) compatible)")
            return 0
        }
        if arguments.first == "--check-log" {
            let rest = arguments.dropFirst()
            let fix = rest.contains("--fix")
            guard let dir = rest.first(where: { $0 != "--fix" }) else {
                fputs("Usage: mnemo-server --check-log [--fix] <dir>\n", stderr)
                return 1
            }
            return LogScanner.check(directory: dir, fix: fix)
        }
        if let extra = extraModes, let code = extra(arguments) { return code }
        let config: ServerConfig
        let file: String
        do {
            (config, file) = try ServerLauncher.configure(arguments)
        } catch {
            fputs("\n\(error)\n", stderr)
            return 1
        }
        let logfile = config["logfile"]
        let level = MnemoServer.logLevel(config["loglevel"])
        LoggingSystem.bootstrap { _ in
            var h = RedisStyleLogHandler(path: logfile)
            h.logLevel = level
            return h
        }
        ignoreFatalSignals()
        // SIGTERM/SIGINT are blocked in every thread (threads inherit the mask, so this comes
        // before any is created) and taken by one waiting thread with sigwait: no handler that
        // a library could replace, and no signal delivered to a thread that cannot act on it.
        var shutdownSignals = sigset_t()
        sigemptyset(&shutdownSignals)
        sigaddset(&shutdownSignals, SIGTERM)
        sigaddset(&shutdownSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &shutdownSignals, nil)
        do {
            let server = try MnemoServer(config: config)
            server.configFile = file
            server.logger.logLevel = level
            server.logger.notice("Mnemo \(MnemoServer.version) (Redis \(MnemoServer.redisVersion) compatible) starting, pid=\(getpid())")
            try server.start()
            // Libraries loaded during start-up may have reset these: ignore them again.
            ignoreFatalSignals()
            let waiter = SignalWaiter(signals: shutdownSignals) { sig in
                server.logger.notice("Received \(sig == SIGTERM ? "SIGTERM" : "SIGINT") scheduling shutdown...")
                server.shutdown(save: nil)
            }
            waiter.start()
            try server.waitUntilShutdown()
            return 0
        } catch {
            fputs("\(error)\n", stderr)
            return 1
        }
    }

    /// A broken pipe and a file-size limit (or a full disk) must surface as write errors.
    static func ignoreFatalSignals() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
    }

    /// Other start-up modes (e.g. `--check-log`) registered by the persistence layer.
    nonisolated(unsafe) public static var extraModes: (([String]) -> Int32?)?
}

/// A thread that waits for blocked signals with sigwait and hands each to `handler`.
final class SignalWaiter: @unchecked Sendable {
    private var signals: sigset_t
    private let handler: (Int32) -> Void

    init(signals: sigset_t, handler: @escaping (Int32) -> Void) {
        self.signals = signals
        self.handler = handler
    }

    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let waiter = Unmanaged<SignalWaiter>.fromOpaque(raw!).takeRetainedValue()
            while true {
                var sig: Int32 = 0
                if sigwait(&waiter.signals, &sig) == 0 { waiter.handler(sig) }
            }
        }, context)
        pthread_detach(thread)
    }
}
