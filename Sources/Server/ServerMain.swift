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
        signal(SIGPIPE, SIG_IGN)
        // A file-size limit (or a full disk) must surface as a write error, not kill us.
        signal(SIGXFSZ, SIG_IGN)
        do {
            let server = try MnemoServer(config: config)
            server.configFile = file
            server.logger.logLevel = level
            server.logger.notice("Mnemo \(MnemoServer.version) (Redis \(MnemoServer.redisVersion) compatible) starting, pid=\(getpid())")
            try server.start()
            let signals = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
                signal(sig, SIG_IGN)
                let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                src.setEventHandler {
                    server.logger.notice("Received \(sig == SIGTERM ? "SIGTERM" : "SIGINT") scheduling shutdown...")
                    server.shutdown(save: nil)
                }
                src.resume()
                return src
            }
            // The signal sources must outlive the wait (an optimized build would free them early).
            try withExtendedLifetime(signals) { try server.waitUntilShutdown() }
            return 0
        } catch {
            fputs("\(error)\n", stderr)
            return 1
        }
    }

    /// Other start-up modes (e.g. `--check-log`) registered by the persistence layer.
    nonisolated(unsafe) public static var extraModes: (([String]) -> Int32?)?
}
