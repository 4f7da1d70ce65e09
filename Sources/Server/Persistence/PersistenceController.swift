#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Dispatch
import Engine
import Foundation
import Persistence
import RESP

/// Wires the durable log and snapshots into the server: effects go to the log, replies wait for
/// durability, snapshots are taken off the engine thread, and start-up recovers state.
final class PersistenceController: PersistenceHooks, EffectSink, @unchecked Sendable {
    unowned let server: MnemoServer
    /// The server's engine, lent (the server holds it) to the per-write path without reference
    /// counting: `server.engine` through an `unowned` reference retains twice per use.
    private let engineRef: Unmanaged<Engine>
    var engine: Engine { engineRef.takeUnretainedValue() }
    var config: ServerConfig { server.config }
    private(set) var log: EffectLog? {
        didSet {
            engine.recordsEffects = log != nil
            engine.trackChangedKeys = log != nil
        }
    }
    /// The last sequence handed out, as the engine sees it.
    private(set) var lastSequence: UInt64 = 0
    /// Sequence included in the newest snapshot.
    private(set) var snapshotSequence: UInt64 = 0

    // Snapshot state (engine thread).
    var snapshotInProgress = false
    var snapshotScheduled = false
    var lastSaveTime = Engine.wallClockMs() / 1000
    var lastSaveOK = true
    var lastSnapshotDurationMs: Int64 = -1
    var snapshotStartedAt: Int64 = 0
    /// Engine time taken by the last background snapshot's start (capture, log rotation), µs.
    private(set) var lastCaptureMicros: Int64 = -1
    var dirtyAtSnapshot: Int64 = 0
    var rewritesCompleted = 0
    var snapshotsCompleted = 0

    // Loading state.
    var loading = false
    var loadingStart: Int64 = 0
    var loadingTotal = 0
    var loadingDone = 0

    init(server: MnemoServer) {
        self.server = server
        engineRef = .passUnretained(server.engine)
        defer { readPolicy() }
        server.engine.effectSink = self
        server.engine.recordsEffects = false  // until the log opens
        // Every command passes here: no reference counting (the controller lives as long as the server).
        // (An unmanaged reference lent for the call: `unowned(unsafe)` retains around each use.)
        let ref = Unmanaged.passUnretained(self)
        server.dispatcher.insertGate { _, spec, _ in ref._withUnsafeGuaranteedRef { $0.gate(spec) } }
        server.persistenceInfo = { [unowned self] in self.info() }
        server.engine.register(DumpRestoreCommands.specs + commandSpecs())
        server.debugHandlers["reload"] = { [unowned self] ctx in try self.debugReload() }
        server.debugHandlers["digest"] = { ctx in .bulk(KeyspaceDigest.hex(KeyspaceDigest.digest(ctx.engine.databases))) }
        server.debugHandlers["digest-value"] = { ctx in
            .array(ctx.argv.dropFirst(2).map { key in
                guard let e = ctx.engine.databases[ctx.db].raw(key) else { return .bulk(String(repeating: "0", count: 40)) }
                return .bulk(KeyspaceDigest.hex(KeyspaceDigest.valueDigest(e.value)))
            })
        }
        LogScanner.report = { [unowned server] msg in server.logger.notice("\(msg)") }
    }

    var dataDir: String { config["dir"] }
    var logDir: String { dataDir + "/" + config["appenddirname"] }
    var appendOnly: Bool { config.bool("appendonly") }
    /// `appendfsync`, read from the configuration when it changes (every command consults it).
    private(set) var policy: FsyncPolicy = .always
    private func readPolicy() { policy = FsyncPolicy(rawValue: config["appendfsync"]) ?? .always }

    static let directives: [ConfigDirective] = [
        ConfigDirective("snapshot-retention", .int(1...1000), default: "2"),
        ConfigDirective("snapshot-log-size", .memory, default: "67108864"),
        ConfigDirective("log-segment-size", .memory, default: "67108864"),
        ConfigDirective("rdbcompression", .bool, default: "yes"),
        ConfigDirective("rdbchecksum", .bool, default: "yes"),
        ConfigDirective("auto-aof-rewrite-percentage", .int(0...Int64(Int32.max)), default: "100"),
        ConfigDirective("auto-aof-rewrite-min-size", .memory, default: "67108864"),
        ConfigDirective("aof-use-rdb-preamble", .bool, default: "yes"),
        ConfigDirective("stop-writes-on-bgsave-error", .bool, default: "yes"),
    ]

    // MARK: gates

    private func gate(_ spec: CommandSpec) -> RESPValue? {
        if loading && !spec.flags.contains(.loading) {
            return .error("LOADING Redis is loading the dataset in memory")
        }
        if spec.flags.contains(.write), let log, log.isFailing, let failure = log.failure {
            return .error("MISCONF Errors writing to the AOF file: \(failure)")
        }
        return nil
    }

    // MARK: EffectSink

    /// Set while a batch runs under `deferringWake`: appends leave the log's writer asleep.
    private var deferWake = false
    private var wakePending = false

    func deferringWake<R>(_ body: () -> R) -> (R, EffectLog?) {
        deferWake = true
        let r = body()
        deferWake = false
        guard wakePending else { return (r, nil) }
        wakePending = false
        return (r, log)
    }

    func append(_ effects: [Effect]) -> UInt64 {
        guard let log else { return 0 }
        return engineRef._withUnsafeGuaranteedRef { engine in
            do {
                lastSequence = try log.append(effects, timestamp: engine.commandTime, after: lastSequence, wake: !deferWake)
                if deferWake { wakePending = true }
            } catch {
                server.logger.critical("Log append failed: \(error)")
            }
            // Remember which keys this record changed, so reads of other keys need not wait for it.
            let count = engine.changedKeys.count
            if count > 10_000 || count == 0 {
                globalPending = lastSequence
            } else {
                let sequence = lastSequence
                engine.changedKeys.withUnsafeBufferPointer { changed in
                    for c in changed { pendingKeys.mark(c.db, c.key, sequence) }
                }
            }
            // Emptied in place: its buffer is kept for the next command.
            engine.changedKeys.removeAll(keepingCapacity: true)
            return lastSequence
        }
    }

    /// Keys with a write whose record may not be durable yet, and that record's sequence.
    private var pendingKeys = KeySequences()
    /// A record whose changed keys were not tracked one by one: every read waits for it.
    private var globalPending: UInt64 = 0

    // MARK: PersistenceHooks

    func barrier() -> UInt64 {
        guard let log, policy == .always else { return 0 }
        // While the disk refuses writes, reads are not held (no new write is accepted).
        if log.isFailing { return 0 }
        return lastSequence
    }

    /// What a command's reply must wait for (MemoryDB-style per-key tracking): a write waits
    /// for its own record (and so every earlier one); a read of keys named by its key specs
    /// waits only for pending writes to those keys; connection commands wait for nothing;
    /// anything else that shows keyspace state waits for everything appended so far.
    func commandBarrier(_ dispatcher: Dispatcher, _ argv: [Bytes], db: Int, record: UInt64?) -> UInt64 {
        guard let log, policy == .always, !log.isFailing else { return 0 }
        if let record { return record }
        let committed = log.committed
        if lastSequence <= committed { return 0 }
        guard let spec = dispatcher.lastResolved else { return 0 }  // unknown command / bad arity: shows nothing
        if spec.aclCategories.contains(.connection) && !spec.flags.contains(.write) { return 0 }
        let incomplete = spec.keySpecs.contains { $0.flags.contains(.incomplete) }
        if spec.keySpecs.isEmpty || incomplete { return lastSequence }
        var b = globalPending > committed ? globalPending : 0
        for key in spec.keys(argv) {
            if let s = pendingKeys.sequence(db, key), s > committed, s > b { b = s }
        }
        return b
    }

    func whenDurable(_ sequence: UInt64, _ body: @escaping () -> Void) {
        guard let log else { return body() }
        log.whenCommitted(sequence, body)
    }

    func configChanged(_ names: [String]) throws {
        if names.contains("appendfsync") {
            readPolicy()
            (log as? SegmentedLog)?.policy = policy
        }
        if names.contains("appendonly") {
            if appendOnly && log == nil {
                try openLog(after: lastSequence)
                startSnapshot(rewrite: true)
            } else if !appendOnly, let l = log {
                l.close()
                log = nil
            }
        }
    }

    func cron() {
        guard !loading else { return }
        if !snapshotInProgress {
            let now = Engine.wallClockMs() / 1000
            let dirty = engine.dirty - dirtyAtSnapshot
            let rules = config["save"].split(separator: " ").compactMap { Int64($0) }
            var i = 0
            var due = false
            while i + 1 < rules.count {
                if dirty >= rules[i + 1] && now - lastSaveTime >= rules[i] && rules[i + 1] > 0 { due = true }
                i += 2
            }
            if let log, log.sizeSinceDiscard >= Int64(config.int("snapshot-log-size")) { due = true }
            if due || snapshotScheduled {
                snapshotScheduled = false
                startSnapshot(rewrite: false)
            }
        }
    }

    func shutdown(save: Bool?) {
        // With a log every acknowledged write is already durable; SAVE forces a snapshot too.
        let shouldSave = save ?? (log == nil && !config["save"].isEmpty)
        if shouldSave && !loading {
            _ = try? saveSynchronously()
        }
        log?.close()
    }

    // MARK: recovery

    func openLog(after last: UInt64) throws {
        let l = try SegmentedLog(directory: logDir, last: last, policy: policy, segmentLimit: Int64(config.int("log-segment-size")))
        server.logCommitted(last)
        l.onCommit = { [unowned server] in server.logCommitted($0) }
        log = l
        lastSequence = last
    }

    /// Loads the newest snapshot and replays the log after it. Runs on the engine loop, in
    /// chunks, so clients are answered with -LOADING meanwhile.
    func recover() throws {
        try SegmentedLog.makeDirectory(dataDir)
        loading = true
        loadingStart = Engine.wallClockMs()
        var fm = FileManager.default
        _ = fm
        fm = FileManager.default
        let hasLogDir = fm.fileExists(atPath: logDir)
        var loaded: RDBFile.Loaded?
        if hasLogDir {
            for snap in snapshots().reversed() {
                do {
                    loaded = try loadRDB(snap.path)
                    server.logger.notice("Loaded snapshot \(snap.path) (sequence \(loaded!.sequence))")
                    break
                } catch {
                    server.logger.warning("Snapshot \(snap.path) is unusable (\(error)); trying an older one")
                }
            }
        } else {
            let rdbPath = dataDir + "/" + config["dbfilename"]
            if fm.fileExists(atPath: rdbPath) {
                loaded = try loadRDB(rdbPath)
                server.logger.notice("Imported RDB file \(rdbPath)")
            }
        }
        if let loaded {
            engine.databases = loaded.databases
            snapshotSequence = loaded.sequence
            server.loadedFunctions = loaded.functions
            server.snapshotAuxLoaded(loaded.aux)
        }
        var last = snapshotSequence
        var records: [LogRecord] = []
        if hasLogDir {
            let summary: LogScanner.Summary
            do {
                summary = try LogScanner.scan(directory: logDir, after: snapshotSequence) { records.append($0) }
            } catch let p as LogScanner.Problem {
                throw ConfigError("\(p.description)\nThe log is damaged before its end. Inspect it with `mnemo-server --check-log \(logDir)` and repair with `--check-log --fix` (records after the bad one are lost).")
            }
            if let first = records.first, first.sequence != snapshotSequence + 1 {
                throw ConfigError("Log records start at sequence \(first.sequence) but the snapshot includes only up to \(snapshotSequence): records are missing.")
            }
            LogScanner.truncateTornTail(summary)
            last = max(last, summary.lastSequence)
        }
        loadingTotal = records.count
        replayInChunks(records[...], client: engine.newClient(address: "log-replay")) { [unowned self] error in
            do {
                if let error { throw error }
                if self.appendOnly {
                    try self.openLog(after: last)
                }
                self.lastSequence = last
                if !hasLogDir && loaded != nil {
                    // An imported RDB becomes the first snapshot, so the log builds on it.
                    try SegmentedLog.makeDirectory(self.logDir)
                    _ = try self.saveSynchronously()
                }
            } catch {
                self.server.logger.critical("Fatal error loading the data: \(error)")
                fputs("Fatal error loading the data: \(error)\n", stderr)
                exit(1)
            }
            self.loading = false
            let ms = Engine.wallClockMs() - self.loadingStart
            self.server.logger.notice("DB loaded from disk: \(self.engine.databases.reduce(0) { $0 + $1.count }) keys, \(records.count) log records replayed in \(Double(ms) / 1000) seconds")
        }
    }

    var isLoading: Bool { loading }

    private func loadRDB(_ path: String) throws -> RDBFile.Loaded {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw RDBError("Cannot read \(path)") }
        return try RDBFile.parse(Array(bytes), databases: engine.databases.count, now: Engine.wallClockMs())
    }

    /// Applies records a chunk per engine task, so clients get -LOADING (and INFO) meanwhile.
    private func replayInChunks(_ records: ArraySlice<LogRecord>, client: Client, done: @escaping (Error?) -> Void) {
        let chunk = records.prefix(2000)
        engine.isReplaying = true
        do {
            for r in chunk {
                engine.beginExecution()
                for effect in try r.effects() {
                    client.db = effect.db
                    let reply = server.dispatcher.replay(effect.argv, client: client)
                    if case .error(let e) = reply {
                        server.logger.warning("Replaying record \(r.sequence): \(effect.argv.first?.text ?? "") → \(e)")
                    }
                }
                engine.commitEffects()
                loadingDone += 1
            }
        } catch {
            engine.isReplaying = false
            engine.removeClient(client)
            return done(error)
        }
        engine.isReplaying = false
        let rest = records.dropFirst(chunk.count)
        if rest.isEmpty {
            engine.removeClient(client)
            return done(nil)
        }
        let now = Engine.wallClockMs()
        if now - lastProgressReport >= 1000 {
            let rate = Double(loadingDone) / Double(max(1, now - loadingStart)) * 1000
            server.logger.notice("Loading... \(loadingDone)/\(loadingTotal) records (\(Int(rate)) records/s)")
            lastProgressReport = now
        }
        server.onEngine { self.replayInChunks(rest, client: client, done: done) }
    }
    private var lastProgressReport: Int64 = 0

    // MARK: snapshots

    struct SnapshotFile {
        let sequence: UInt64
        let path: String
    }

    func snapshots() -> [SnapshotFile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: logDir)) ?? []
        return names.compactMap { n -> SnapshotFile? in
            guard n.hasPrefix("snapshot-"), n.hasSuffix(".rdb"), let s = UInt64(n.dropFirst(9).dropLast(4)) else { return nil }
            return SnapshotFile(sequence: s, path: logDir + "/" + n)
        }.sorted { $0.sequence < $1.sequence }
    }

    static func snapshotName(_ seq: UInt64) -> String {
        let s = String(seq)
        return "snapshot-" + String(repeating: "0", count: max(0, 20 - s.count)) + s + ".rdb"
    }

    /// SAVE: serialize on the engine thread (blocking, as Redis's SAVE does).
    func saveSynchronously() throws -> UInt64 {
        let seq = lastSequence
        try SegmentedLog.makeDirectory(logDir)
        try RDBFile.save(engine.databases, to: logDir + "/" + PersistenceController.snapshotName(seq), sequence: seq,
                         now: Engine.wallClockMs(), usedMemory: InfoReport.memoryBytes().used,
                         extraAux: server.snapshotAux(), functions: server.functionsForSnapshot(),
                         compress: config.bool("rdbcompression"))
        snapshotCompleted(seq, dirty: engine.dirty, ok: true)
        return seq
    }

    /// BGSAVE / BGREWRITEAOF: capture the keyspace in O(shards) (copy-on-write), serialize it on
    /// another thread. Returns false if one is already running.
    @discardableResult
    func startSnapshot(rewrite: Bool) -> Bool {
        guard !snapshotInProgress else { return false }
        snapshotInProgress = true
        snapshotStartedAt = Engine.wallClockMs()
        let captureStart = DispatchTime.now().uptimeNanoseconds
        // The engine's whole share of a background snapshot (Redis's fork): INFO reports it.
        defer { lastCaptureMicros = Int64((DispatchTime.now().uptimeNanoseconds - captureStart) / 1000) }
        let captured = engine.databases
        let seq = lastSequence
        let dirty = engine.dirty
        let functions = server.functionsForSnapshot()
        let aux = server.snapshotAux()
        (log as? SegmentedLog)?.rotate()
        let path = logDir + "/" + PersistenceController.snapshotName(seq)
        let dir = logDir
        let compress = config.bool("rdbcompression")
        DispatchQueue.global().async {
            // The snapshot yields the CPU to the engine: serving clients comes first.
            var param = sched_param()
            pthread_setschedparam(pthread_self(), 5, &param)  // SCHED_IDLE (Linux)
            defer { pthread_setschedparam(pthread_self(), Int32(SCHED_OTHER), &param) }
            var ok = true
            do {
                try SegmentedLog.makeDirectory(dir)
                try RDBFile.save(captured, to: path, sequence: seq, now: Engine.wallClockMs(),
                                 usedMemory: InfoReport.memoryBytes().used, extraAux: aux, functions: functions,
                                 compress: compress)
            } catch {
                ok = false
                self.server.logger.warning("Background saving error: \(error)")
            }
            self.server.onEngine {
                self.snapshotInProgress = false
                self.snapshotCompleted(seq, dirty: dirty, ok: ok)
                if ok && rewrite { self.rewritesCompleted += 1 }
                self.server.logger.notice("Background saving \(ok ? "terminated with success" : "failed") (sequence \(seq))")
            }
        }
        return true
    }

    private func snapshotCompleted(_ seq: UInt64, dirty: Int64, ok: Bool) {
        lastSaveOK = ok
        lastSnapshotDurationMs = Engine.wallClockMs() - snapshotStartedAt
        guard ok else { return }
        snapshotsCompleted += 1
        lastSaveTime = Engine.wallClockMs() / 1000
        dirtyAtSnapshot = dirty
        snapshotSequence = max(snapshotSequence, seq)
        let all = snapshots()
        let keep = max(1, config.int("snapshot-retention"))
        let kept = Array(all.suffix(keep))
        // dbfilename in dir always names the newest snapshot (for export / redis-check-rdb).
        if let newest = kept.last {
            let link = dataDir + "/" + config["dbfilename"]
            let tmp = link + ".tmp-link"
            unlink(tmp)
            if Glibc.link(newest.path, tmp) == 0 { rename(tmp, link) }
        }
        // Retention: keep the newest N snapshots; log segments covered by the oldest kept go.
        // Unlinking big files takes tens of ms on some file systems: not on the engine thread.
        let doomed = all.dropLast(keep).map(\.path)
        let oldestKept = kept.first?.sequence
        let log = self.log
        DispatchQueue.global().async {
            for path in doomed { unlink(path) }
            if let oldestKept { log?.discard(through: oldestKept) }
        }
    }

    func debugReload() throws -> RESPValue {
        _ = try saveSynchronously()
        guard let newest = snapshots().last else { throw RedisError("Error trying to load the RDB dump") }
        let loaded = try loadRDB(newest.path)
        engine.databases = loaded.databases
        return .ok
    }

    // MARK: commands

    func commandSpecs() -> [CommandSpec] {
        [
            CommandSpec(
                "save", arity: 1, flags: [.admin, .noscript, .noMulti],
                docs: CommandDocs("Synchronously saves the database(s) to disk.", since: "1.0.0", group: "server",
                                  complexity: "O(N) where N is the total number of keys in all databases"),
                handler: { [unowned self] _ in
                    if self.snapshotInProgress { throw RedisError("Background save already in progress") }
                    do { _ = try self.saveSynchronously() } catch { throw RedisError("\(error)") }
                    return .ok
                }),
            CommandSpec(
                "bgsave", arity: -1, flags: [.admin, .noscript, .noMulti],
                docs: CommandDocs("Asynchronously saves the database(s) to disk.", since: "1.0.0", group: "server",
                                  complexity: "O(N) where N is the total number of keys in all databases", syntax: "[SCHEDULE]"),
                handler: { [unowned self] ctx in
                    var schedule = false
                    if ctx.argv.count == 2 {
                        guard ctx.argv[1].equalsIgnoringCase("SCHEDULE") else { throw RedisError.syntax }
                        schedule = true
                    } else if ctx.argv.count > 2 {
                        throw RedisError.syntax
                    }
                    if self.snapshotInProgress {
                        if schedule {
                            self.snapshotScheduled = true
                            return .simple("Background saving scheduled")
                        }
                        throw RedisError("Background save already in progress")
                    }
                    self.startSnapshot(rewrite: false)
                    return .simple("Background saving started")
                }),
            CommandSpec(
                "bgrewriteaof", arity: 1, flags: [.admin, .noscript, .noMulti],
                docs: CommandDocs("Asynchronously rewrites the append-only file to disk.", since: "1.0.0", group: "server"),
                handler: { [unowned self] _ in
                    if self.snapshotInProgress {
                        self.snapshotScheduled = true
                        return .simple("Background append only file rewriting scheduled")
                    }
                    self.startSnapshot(rewrite: true)
                    return .simple("Background append only file rewriting started")
                }),
            CommandSpec(
                "lastsave", arity: 1, flags: [.loading, .stale, .fast], acl: [.admin, .dangerous],
                docs: CommandDocs("Returns the Unix timestamp of the last successful save to disk.", since: "1.0.0", group: "server"),
                handler: { [unowned self] _ in .integer(self.lastSaveTime) }),
        ]
    }

    func info() -> [(String, String)] {
        let now = Engine.wallClockMs()
        let logSize = log?.sizeSinceDiscard ?? 0
        var out: [(String, String)] = [
            ("loading", loading ? "1" : "0"),
            ("async_loading", "0"),
            ("current_cow_peak", "0"), ("current_cow_size", "0"), ("current_cow_size_age", "0"),
            ("current_fork_perc", "0.00"), ("current_save_keys_processed", "0"), ("current_save_keys_total", "0"),
            ("rdb_changes_since_last_save", String(engine.dirty - dirtyAtSnapshot)),
            ("rdb_bgsave_in_progress", snapshotInProgress ? "1" : "0"),
            ("rdb_last_save_time", String(lastSaveTime)),
            ("rdb_last_bgsave_status", lastSaveOK ? "ok" : "err"),
            ("rdb_last_bgsave_time_sec", String(lastSnapshotDurationMs < 0 ? -1 : lastSnapshotDurationMs / 1000)),
            ("rdb_current_bgsave_time_sec", snapshotInProgress ? String((now - snapshotStartedAt) / 1000) : "-1"),
            ("rdb_saves", String(snapshotsCompleted)),
            ("rdb_last_cow_size", "0"),
            ("aof_enabled", log != nil ? "1" : "0"),
            ("aof_rewrite_in_progress", snapshotInProgress ? "1" : "0"),
            ("aof_rewrite_scheduled", snapshotScheduled ? "1" : "0"),
            ("aof_last_rewrite_time_sec", "-1"),
            ("aof_current_rewrite_time_sec", "-1"),
            ("aof_last_bgrewrite_status", "ok"),
            ("aof_rewrites", String(rewritesCompleted)),
            ("aof_last_write_status", log?.failure == nil ? "ok" : "err"),
            ("aof_last_cow_size", "0"),
            ("module_fork_in_progress", "0"),
            ("module_fork_last_cow_size", "0"),
            ("mnemo_log_last_sequence", String(lastSequence)),
            ("mnemo_log_committed_sequence", String(log?.committed ?? 0)),
            ("mnemo_snapshot_sequence", String(snapshotSequence)),
            ("mnemo_snapshot_capture_usec", String(lastCaptureMicros)),
        ]
        if log != nil {
            out.append(("aof_current_size", String(logSize)))
            out.append(("aof_base_size", "0"))
            out.append(("aof_pending_rewrite", "0"))
            out.append(("aof_buffer_length", "0"))
            out.append(("aof_pending_bio_fsync", "0"))
            out.append(("aof_delayed_fsync", "0"))
            if let f = (log as? SegmentedLog)?.fsyncCount { out.append(("mnemo_log_fsyncs", String(f))) }
        }
        if loading {
            let elapsed = max(1, now - loadingStart)
            let perc = loadingTotal > 0 ? Double(loadingDone) * 100 / Double(loadingTotal) : 0
            out.append(("loading_start_time", String(loadingStart / 1000)))
            out.append(("loading_total_bytes", String(loadingTotal)))
            out.append(("loading_loaded_bytes", String(loadingDone)))
            out.append(("loading_loaded_perc", InfoReport.format2(perc)))
            out.append(("loading_eta_seconds", String(loadingDone > 0 ? (loadingTotal - loadingDone) * Int(elapsed) / loadingDone / 1000 : 1)))
        }
        return out
    }
}
