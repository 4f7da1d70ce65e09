import Engine
import NIOCore
import Persistence
import RESP
import Scripting

/// Wires Lua scripting and Functions into the server: the command table, settings, logging,
/// the FUNCTION DUMP/RESTORE payload codec, snapshots, and what the I/O threads answer while
/// a script is busy.
extension MnemoServer {
    /// The settings a script run reads, copied when they change (not parsed per script).
    func applyScriptingConfig(_ scripting: ScriptingEngine? = nil) {
        guard let scripting = scripting ?? self.scripting else { return }
        scripting.busyThresholdMs = config.int("busy-reply-threshold")
        scripting.heapLimit = config.int("lua-heap-limit")
    }

    func installScripting() -> ScriptingEngine {
        let scripting = ScriptingEngine()
        scripting.logger = { [unowned self] level, message in
            switch level {
            case 0: self.logger.debug("\(message)")
            case 1: self.logger.info("\(message)")
            case 2: self.logger.notice("\(message)")
            default: self.logger.warning("\(message)")
            }
        }
        scripting.encodePayload = MnemoServer.encodeFunctionPayload
        scripting.decodePayload = MnemoServer.decodeFunctionPayload
        // Engine-side (inside the script's hook): batches queued behind the script get -BUSY now,
        // including those of connections opened since the script began (not in `sessions` yet).
        scripting.onBusy = { [unowned self] in
            for session in self.openSessions.withLockedValue({ Array($0.values) }) { session.reclaimWhileScriptBusy() }
        }
        applyScriptingConfig(scripting)
        engine.register(scripting.specs)
        functionsForSnapshot = { [unowned scripting] in scripting.libraryCodes }
        return scripting
    }

    /// Libraries found in the snapshot at start-up: loaded before the log replays after it.
    func loadSnapshotFunctions(_ codes: [Bytes]) {
        guard let scripting, !codes.isEmpty else { return }
        for error in scripting.loadLibraries(codes) {
            logger.warning("Cannot load a function library from the snapshot: \(error)")
        }
    }

    /// FUNCTION DUMP's payload: FUNCTION2 records, then RDB version and CRC64, as Redis 7.0.
    static func encodeFunctionPayload(_ codes: [Bytes]) -> Bytes {
        var w = RDBWriter()
        for code in codes {
            w.byte(RDB.Opcode.function2.rawValue)
            w.string(code)
        }
        w.le(RDB.version)
        w.le(CRC64.checksum(w.bytes))
        return w.bytes
    }

    static func decodeFunctionPayload(_ payload: Bytes) throws -> [Bytes] {
        let bad = RedisError("DUMP payload version or checksum are wrong")
        guard payload.count >= 10 else { throw bad }
        let body = Array(payload[..<(payload.count - 8)])
        var crc = RDBReader(Array(payload[(payload.count - 8)...]))
        guard let expected = try? crc.le(UInt64.self), expected == CRC64.checksum(body) else { throw bad }
        var versionReader = RDBReader(Array(body[(body.count - 2)...]))
        guard let version = try? versionReader.le(UInt16.self), version <= RDB.version else { throw bad }
        var r = RDBReader(Array(body[..<(body.count - 2)]))
        var codes: [Bytes] = []
        while !r.atEnd {
            guard let op = try? r.byte(), op == RDB.Opcode.function2.rawValue else {
                throw RedisError("given type is not a function")
            }
            guard let code = try? r.string() else { throw RedisError("payload is not a valid function payload") }
            codes.append(code)
        }
        return codes
    }

    /// While a script is busy the I/O thread answers a connection's batch itself: SCRIPT KILL,
    /// FUNCTION KILL, FUNCTION STATS and SHUTDOWN NOSAVE are served, the rest get -BUSY.
    /// Returns nil when no script is busy (the batch goes to the engine as usual).
    func repliesWhileScriptBusy(_ batch: [Request], session: SessionHandler, allocator: ByteBufferAllocator) -> (output: ByteBuffer, close: Bool)? {
        guard let busy = scripting?.busy, busy.isBusy else {
            session.protocolWhileBusy = nil
            return nil
        }
        // Read off the engine: a client's protocol only changes on the engine, which is busy.
        // (A connection accepted during the script has no engine-side client yet.)
        let client: Client? = session.client
        var resp = session.protocolWhileBusy ?? client?.resp ?? .resp2
        defer { session.protocolWhileBusy = resp }
        var out = allocator.buffer(capacity: 128)
        var close = false
        for request in batch {
            let reply: RESPValue
            switch request {
            case .protocolError(let text):
                reply = .error(text)
                close = true
            case .command(let argv):
                let name = argv.first?.lower ?? ""
                let sub = argv.count > 1 ? argv[1].lower : ""
                if name == "script" && sub == "kill" && argv.count == 2 {
                    reply = busy.kill(function: false)
                } else if name == "function" && sub == "kill" && argv.count == 2 {
                    reply = busy.kill(function: true)
                } else if name == "function" && sub == "stats" && argv.count == 2 && busy.busyError.contains("FUNCTION KILL") {
                    reply = busy.stats()
                } else if name == "hello" && argv.count <= 2, let version = argv.count == 2 ? Numbers.parseInt(argv[1]) : Int64(resp.rawValue),
                          version == 2 || version == 3 {
                    // HELLO may run during a busy script (Redis flags it allow-busy; clients send it on
                    // connect). The protocol switch reaches the engine's client once the script is done.
                    resp = version == 3 ? .resp3 : .resp2
                    let newResp = resp
                    onEngine { session.client?.resp = newResp }
                    reply = .map([
                        (.bulk("server"), .bulk("redis")), (.bulk("version"), .bulk(MnemoServer.redisVersion)),
                        (.bulk("proto"), .integer(version)), (.bulk("id"), .integer(client?.id ?? 0)),
                        (.bulk("mode"), .bulk("standalone")), (.bulk("role"), .bulk("master")), (.bulk("modules"), .array([])),
                    ])
                } else if name == "shutdown" && argv.dropFirst().contains(where: { $0.lower == "nosave" }) {
                    busy.killForShutdown()
                    shutdown(save: false)
                    close = true
                    continue
                } else {
                    reply = .error(busy.busyError)
                }
            }
            RESPEncoder.encode(reply, version: resp, into: &out)
            if close { break }
        }
        return (out, close)
    }
}
