#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine

/// INFO's text, section by section, with real numbers.
struct InfoReport {
    let server: MnemoServer

    static let defaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                                  "modules", "errorstats", "cluster", "keyspace"]
    static let allSections = defaultSections + ["commandstats", "latencystats"]

    func render(_ requested: [String]) -> String {
        var wanted: [String]
        if requested.isEmpty || requested.contains("default") {
            wanted = InfoReport.defaultSections
        } else if requested.contains("all") || requested.contains("everything") {
            wanted = InfoReport.allSections
        } else {
            wanted = InfoReport.allSections.filter { requested.contains($0) }
        }
        if requested.contains("commandstats") && !wanted.contains("commandstats") { wanted.append("commandstats") }
        var out: [String] = []
        for s in wanted {
            guard let fields = section(s) else { continue }
            out.append("# \(s.prefix(1).uppercased() + s.dropFirst())\r\n" + fields.map { "\($0.0):\($0.1)\r\n" }.joined())
        }
        return out.joined(separator: "\r\n")
    }

    static func memoryBytes() -> (used: Int64, rss: Int64) {
        var rss: Int64 = 0
        if let f = fopen("/proc/self/statm", "r") {
            var size = 0, resident = 0
            withUnsafeMutablePointer(to: &size) { sp in
                withUnsafeMutablePointer(to: &resident) { rp in
                    _ = withVaList([sp, rp]) { vfscanf(f, "%ld %ld", $0) }
                }
            }
            fclose(f)
            rss = Int64(resident) * Int64(sysconf(Int32(_SC_PAGESIZE)))
        }
        return (Allocator.allocatedBytes() ?? rss, rss)
    }

    static func human(_ bytes: Int64) -> String {
        let d = Double(bytes)
        if d < 1024 { return "\(bytes)B" }
        if d < 1024 * 1024 { return String(format2(d / 1024)) + "K" }
        if d < 1024 * 1024 * 1024 { return String(format2(d / 1024 / 1024)) + "M" }
        return String(format2(d / 1024 / 1024 / 1024)) + "G"
    }

    static func format2(_ d: Double) -> String {
        let v = (d * 100).rounded() / 100
        let whole = Int64(v)
        let frac = Int64(((v - Double(whole)) * 100).rounded())
        return "\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }

    func section(_ name: String) -> [(String, String)]? {
        let engine = server.engine
        let now = Engine.wallClockMs()
        switch name {
        case "server":
            let uptime = (now - server.startTime) / 1000
            return [
                ("redis_version", MnemoServer.redisVersion), ("redis_git_sha1", "00000000"), ("redis_git_dirty", "0"),
                ("redis_build_id", "0"), ("redis_mode", "standalone"), ("mnemo_version", MnemoServer.version),
                ("os", "Linux"), ("arch_bits", "64"), ("monotonic_clock", "POSIX clock_gettime"),
                ("multiplexing_api", "epoll"), ("process_id", String(getpid())), ("process_supervised", "no"),
                ("run_id", server.runID), ("tcp_port", server.config["port"]),
                ("server_time_usec", String(now * 1000)), ("uptime_in_seconds", String(uptime)),
                ("uptime_in_days", String(uptime / 86400)), ("hz", String(engine.settings.hz)),
                ("configured_hz", String(engine.settings.hz)), ("lru_clock", String((now / 1000) & 0xFFFFFF)),
                ("executable", CommandLine.arguments.first ?? ""), ("config_file", server.configFile),
                ("io_threads_active", "0"),
            ]
        case "clients":
            return [
                ("connected_clients", String(engine.clients.count)), ("cluster_connections", "0"),
                ("maxclients", server.config["maxclients"]), ("client_recent_max_input_buffer", "0"),
                ("client_recent_max_output_buffer", "0"), ("blocked_clients", String(server.blockedClients)),
                ("tracking_clients", "0"), ("clients_in_timeout_table", "0"),
            ]
        case "memory":
            let (used, rss) = InfoReport.memoryBytes()
            server.peakMemory = max(server.peakMemory, used)
            let maxmem = Int64(server.config.int("maxmemory"))
            return [
                ("used_memory", String(used)), ("used_memory_human", InfoReport.human(used)),
                ("used_memory_rss", String(rss)), ("used_memory_rss_human", InfoReport.human(rss)),
                ("used_memory_peak", String(server.peakMemory)), ("used_memory_peak_human", InfoReport.human(server.peakMemory)),
                ("used_memory_lua", "31744"), ("used_memory_scripts", "0"),
                ("maxmemory", String(maxmem)), ("maxmemory_human", InfoReport.human(maxmem)),
                ("maxmemory_policy", server.config["maxmemory-policy"]),
                ("mem_fragmentation_ratio", InfoReport.format2(used > 0 ? Double(rss) / Double(used) : 1)),
                ("mem_allocator", Allocator.name), ("lazyfree_pending_objects", "0"),
            ]
        case "persistence":
            return server.persistenceInfo()
        case "stats":
            return [
                ("total_connections_received", String(server.statConnectionsReceived.withLockedValue { $0 })),
                ("total_commands_processed", String(engine.stats.commandsProcessed)),
                ("instantaneous_ops_per_sec", String(server.opsPerSecond)),
                ("rejected_connections", String(server.statRejectedConnections.withLockedValue { $0 })),
                ("expired_keys", String(engine.stats.expiredKeys)),
                ("expired_stale_perc", InfoReport.format2(engine.stats.expiredStalePercent)),
                ("expired_time_cap_reached_count", "0"),
                ("expire_cycle_cpu_milliseconds", String(engine.stats.expireCycleTimeUsed / 1000)),
                ("evicted_keys", "0"), ("keyspace_hits", String(engine.stats.keyspaceHits)),
                ("keyspace_misses", String(engine.stats.keyspaceMisses)),
                ("pubsub_channels", String(server.pubsubCounts().channels)),
                ("pubsub_patterns", String(server.pubsubCounts().patterns)),
                ("pubsubshard_channels", String(server.pubsub.registry.shardChannels.count)),
                ("total_error_replies", String(engine.stats.totalErrorReplies)),
                ("total_reads_processed", String(engine.stats.commandsProcessed)),
                // Mnemo's own: scripts that ran past their budget inline on an I/O loop and were
                // finished on the engine loop.
                ("mnemo_scripts_moved_to_engine_loop", String(server.scriptsMovedToEngineLoop)),
            ]
        case "replication":
            return [("role", "master"), ("connected_slaves", "0"), ("master_failover_state", "no-failover"),
                    ("master_replid", server.runID), ("master_repl_offset", "0")]
        case "cpu":
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            func secs(_ t: timeval) -> String { "\(t.tv_sec).\(String(format6(Int(t.tv_usec))))" }
            return [("used_cpu_sys", secs(usage.ru_stime)), ("used_cpu_user", secs(usage.ru_utime))]
        case "modules":
            return []
        case "errorstats":
            return engine.stats.errors.sorted { $0.key < $1.key }.map { ("errorstat_\($0.key)", "count=\($0.value)") }
        case "cluster":
            return [("cluster_enabled", "0")]
        case "keyspace":
            var out: [(String, String)] = []
            for (i, db) in engine.databases.enumerated() where db.count > 0 {
                out.append(("db\(i)", "keys=\(db.count),expires=\(db.volatileCount),avg_ttl=0"))
            }
            return out
        case "commandstats":
            let specs = engine.table.allSpecs.filter { $0.stats.calls > 0 || $0.stats.failedCalls > 0 || $0.stats.rejectedCalls > 0 }
            return specs.map { ($0.fullName, $0.stats) }.sorted { $0.0 < $1.0 }.map { name, s in
                let per = s.calls > 0 ? Double(s.microseconds) / Double(s.calls) : 0
                return ("cmdstat_\(name)", "calls=\(s.calls),usec=\(s.microseconds),usec_per_call=\(InfoReport.format2(per)),rejected_calls=\(s.rejectedCalls),failed_calls=\(s.failedCalls)")
            }
        case "latencystats":
            return []
        default:
            return nil
        }
    }
}

private func format6(_ v: Int) -> String {
    let s = String(v)
    return String(repeating: "0", count: max(0, 6 - s.count)) + s
}
