import Engine
import RESP

/// SLOWLOG and the latency monitor: what the Dispatcher reports of each executed command,
/// filtered by `slowlog-log-slower-than` / `slowlog-max-len` and `latency-monitor-threshold`.
final class CommandMonitor {
    struct SlowEntry {
        var id: Int64
        var time: Int64  // unix seconds
        var micros: Int64
        var argv: [Bytes]
        var address: String
        var name: Bytes
    }

    struct LatencyEvent {
        var samples: [(time: Int64, ms: Int64)] = []
        var max: Int64 = 0
    }

    // Cached settings (applied from the configuration when it changes).
    var slowerThan: Int64 = 10000
    var slowlogMaxLength = 128
    var latencyThresholdMs: Int64 = 0

    private(set) var slowlog: [SlowEntry] = []  // newest last
    private var nextID: Int64 = 0
    private(set) var latency: [String: LatencyEvent] = [:]

    static let maxArgs = 32
    static let maxArgBytes = 128
    static let latencySamples = 160

    func configure(_ config: ServerConfig) {
        slowerThan = Int64(config["slowlog-log-slower-than"]) ?? 10000
        slowlogMaxLength = config.int("slowlog-max-len")
        latencyThresholdMs = Int64(config["latency-monitor-threshold"]) ?? 0
        trimSlowlog()
    }

    /// The shortest run (microseconds) either the slowlog or the latency monitor records.
    var reportThreshold: Int64 {
        var t = Int64.max
        if slowerThan >= 0 { t = slowerThan }
        if latencyThresholdMs > 0 { t = min(t, latencyThresholdMs * 1000) }
        return t
    }

    func commandExecuted(_ spec: CommandSpec, _ argv: [Bytes], _ client: Client, micros: Int64) {
        if latencyThresholdMs > 0 && micros / 1000 >= latencyThresholdMs {
            addLatencySample(spec.flags.contains(.fast) ? "fast-command" : "command", ms: micros / 1000)
        }
        if slowerThan < 0 || micros < slowerThan || spec.flags.contains(.skipSlowlog) { return }
        slowlog.append(SlowEntry(
            id: nextID, time: Engine.wallClockMs() / 1000, micros: micros, argv: CommandMonitor.loggedArguments(spec, argv),
            address: client.address, name: client.name ?? []))
        nextID += 1
        trimSlowlog()
    }

    private func trimSlowlog() {
        if slowlog.count > slowlogMaxLength { slowlog.removeFirst(slowlog.count - slowlogMaxLength) }
    }

    func resetSlowlog() { slowlog.removeAll() }

    /// The arguments as SLOWLOG shows them: secrets redacted, at most 32 arguments of 128 bytes.
    static func loggedArguments(_ spec: CommandSpec, _ argv: [Bytes]) -> [Bytes] {
        var args = argv
        let redacted = Bytes("(redacted)")
        switch spec.fullName {
        case "auth":
            for i in 1..<args.count { args[i] = redacted }
        case "hello":
            if let at = args.firstIndex(where: { $0.equalsIgnoringCase("AUTH") }) {
                for i in (at + 1)..<min(at + 3, args.count) { args[i] = redacted }
            }
        case "acl|setuser":
            for i in 2..<max(2, args.count) { args[i] = redacted }
        case "config|set":
            var i = 2
            while i + 1 < args.count {
                if ["requirepass", "masterauth"].contains(args[i].lower) { args[i + 1] = redacted }
                i += 2
            }
        default:
            break
        }
        var out: [Bytes] = []
        let shown = args.count > maxArgs ? maxArgs - 1 : args.count
        for a in args.prefix(shown) {
            if a.count > maxArgBytes {
                out.append(Array(a.prefix(maxArgBytes)) + Bytes("... (\(a.count - maxArgBytes) more bytes)"))
            } else {
                out.append(a)
            }
        }
        if shown < args.count { out.append(Bytes("... (\(args.count - shown) more arguments)")) }
        return out
    }

    func addLatencySample(_ event: String, ms: Int64) {
        let now = Engine.wallClockMs() / 1000
        var e = latency[event] ?? LatencyEvent()
        e.max = max(e.max, ms)
        // Samples of the same second are merged, keeping the highest (as Redis does).
        if let last = e.samples.last, last.time == now {
            e.samples[e.samples.count - 1].ms = max(last.ms, ms)
        } else {
            e.samples.append((now, ms))
            if e.samples.count > CommandMonitor.latencySamples { e.samples.removeFirst() }
        }
        latency[event] = e
    }

    /// Resets the given events (all when empty); returns how many were reset.
    func resetLatency(_ events: [String]) -> Int {
        if events.isEmpty {
            defer { latency.removeAll() }
            return latency.count
        }
        var n = 0
        for e in Set(events) where latency.removeValue(forKey: e) != nil { n += 1 }
        return n
    }
}

extension MnemoServer {
    /// Connects the command monitor to the Dispatcher's timing of each command.
    func installMonitoring() {
        configureMonitor()
        engine.onCommandTimed = { [unowned self] spec, argv, client, micros in
            if self.engine.isReplaying { return }
            self.monitor.commandExecuted(spec, argv, client, micros: micros)
        }
    }

    func configureMonitor() {
        monitor.configure(config)
        engine.commandTimingThreshold = monitor.reportThreshold
    }

    static let monitoringDirectives: [ConfigDirective] = [
        ConfigDirective("latency-monitor-threshold", .int(0...Int64.max), default: "0"),
        // Accepted and shown for compatibility; Mnemo's encodings keep Redis's default thresholds.
        ConfigDirective("hash-max-listpack-entries", .int(0...Int64.max), default: "128", mutable: false),
        ConfigDirective("hash-max-listpack-value", .int(0...Int64.max), default: "64", mutable: false),
        ConfigDirective("list-max-listpack-size", .int(Int64(Int32.min)...Int64(Int32.max)), default: "-2", mutable: false),
        ConfigDirective("list-compress-depth", .int(0...Int64(Int32.max)), default: "0", mutable: false),
        ConfigDirective("set-max-intset-entries", .int(0...Int64.max), default: "512", mutable: false),
        ConfigDirective("zset-max-listpack-entries", .int(0...Int64.max), default: "128", mutable: false),
        ConfigDirective("zset-max-listpack-value", .int(0...Int64.max), default: "64", mutable: false),
        ConfigDirective("stream-node-max-entries", .int(0...Int64.max), default: "100", mutable: false),
        ConfigDirective("stream-node-max-bytes", .memory, default: "4096", mutable: false),
    ]
}

/// SLOWLOG, LATENCY, MEMORY, ROLE, REPLICAOF / SLAVEOF, and READONLY / READWRITE / ASKING.
enum MonitoringCommands {
    static func sub(_ name: String, _ arity: Int, _ flags: CommandFlags, _ summary: String, since: String, group: String = "server",
                    complexity: String = "O(1)", syntax: String = "", keys: [KeySpec] = [],
                    _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, keys: keys,
                    docs: CommandDocs(summary, since: since, group: group, complexity: complexity, syntax: syntax), handler: handler)
    }

    static func specs(_ server: MnemoServer) -> [CommandSpec] {
        let monitor = server.monitor
        let admin: CommandFlags = [.admin, .loading, .stale]
        let latencyFlags: CommandFlags = [.admin, .noscript, .loading, .stale]
        return [
            CommandSpec(
                "slowlog", arity: -2,
                docs: CommandDocs("A container for slow log commands", since: "2.2.12", group: "server", complexity: "Depends on subcommand."),
                subcommands: [
                    sub("get", -2, admin, "Get the slow log's entries", since: "2.2.12", complexity: "O(N) where N is the number of entries returned",
                        syntax: "[count]") { ctx in
                        var count = 10
                        if ctx.argv.count > 3 { throw RedisError.wrongArity("slowlog|get") }
                        if ctx.argv.count == 3 {
                            guard let n = Numbers.parseInt(ctx.argv[2]), n >= -1 else {
                                throw RedisError("count should be greater than or equal to -1")
                            }
                            count = n == -1 ? Int.max : Int(n)
                        }
                        return .array(monitor.slowlog.reversed().prefix(count).map { e in
                            .array([.integer(e.id), .integer(e.time), .integer(e.micros), .array(e.argv.map { .bulk($0) }),
                                    .bulk(Bytes(e.address)), .bulk(e.name)])
                        })
                    },
                    sub("len", 2, admin, "Get the slow log's length", since: "2.2.12") { _ in .integer(Int64(monitor.slowlog.count)) },
                    sub("reset", 2, admin, "Clear all entries from the slow log", since: "2.2.12",
                        complexity: "O(N) where N is the number of entries in the slowlog") { _ in
                        monitor.resetSlowlog()
                        return .ok
                    },
                    sub("help", 2, [.loading, .stale], "Show helpful text about the different subcommands", since: "6.2.0") { _ in
                        ServerCommands.helpReply("SLOWLOG", [
                            "GET [<count>]",
                            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                            "    Entries are made of:",
                            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                            "    client name",
                            "LEN", "    Return the length of the slowlog.",
                            "RESET", "    Reset the slowlog.",
                        ])
                    },
                ]),
            CommandSpec(
                "latency", arity: -2,
                docs: CommandDocs("A container for latency diagnostics commands", since: "2.8.13", group: "server", complexity: "Depends on subcommand."),
                subcommands: [
                    sub("latest", 2, latencyFlags, "Return the latest latency samples for all events.", since: "2.8.13",
                        complexity: "O(1)") { _ in
                        .array(monitor.latency.sorted { $0.key < $1.key }.compactMap { name, e in
                            guard let last = e.samples.last else { return nil }
                            return .array([.bulk(Bytes(name)), .integer(last.time), .integer(last.ms), .integer(e.max)])
                        })
                    },
                    sub("history", 3, latencyFlags, "Return timestamp-latency samples for the event.", since: "2.8.13",
                        syntax: "event") { ctx in
                        let e = monitor.latency[ctx.argv[2].text]
                        return .array((e?.samples ?? []).map { .array([.integer($0.time), .integer($0.ms)]) })
                    },
                    sub("reset", -2, latencyFlags, "Reset latency data for one or more events.", since: "2.8.13",
                        syntax: "[event [event ...]]") { ctx in
                        .integer(Int64(monitor.resetLatency(ctx.argv.dropFirst(2).map(\.text))))
                    },
                    sub("graph", 3, latencyFlags, "Return a latency graph for the event.", since: "2.8.13", syntax: "event") { ctx in
                        let name = ctx.argv[2].text
                        guard let e = monitor.latency[name], !e.samples.isEmpty else {
                            throw RedisError("No samples available for event '\(name)'")
                        }
                        return .verbatim(format: "txt", text: Bytes(latencyGraph(name, e)))
                    },
                    sub("doctor", 2, latencyFlags, "Return a human readable latency analysis report.", since: "2.8.13") { _ in
                        .verbatim(format: "txt", text: Bytes(latencyDoctor(monitor)))
                    },
                    sub("help", 2, [.loading, .stale], "Show helpful text about the different subcommands.", since: "2.8.13") { _ in
                        ServerCommands.helpReply("LATENCY", [
                            "DOCTOR", "    Return a human readable latency analysis report.",
                            "GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
                            "HISTORY <event>", "    Return time-latency samples for the <event> class.",
                            "LATEST", "    Return the latest latency samples for all events.",
                            "RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
                            "    (default: reset all data for all event classes)",
                        ])
                    },
                ]),
            CommandSpec(
                "memory", arity: -2,
                docs: CommandDocs("A container for memory diagnostics commands", since: "4.0.0", group: "server", complexity: "Depends on subcommand."),
                subcommands: [
                    sub("usage", -3, [.readonly], "Estimate the memory usage of a key", since: "4.0.0",
                        complexity: "O(N) where N is the number of samples.", syntax: "key [SAMPLES count]",
                        keys: [.single(2, [.RO])]) { ctx in
                        var samples = 5
                        var args = Arguments(ctx.argv, from: 3)
                        while !args.isEmpty {
                            guard args.flag("SAMPLES"), !args.isEmpty else { throw RedisError.syntax }
                            let n = try args.int()
                            if n < 0 { throw RedisError.syntax }
                            samples = n == 0 ? Int.max : Int(n)
                        }
                        guard let e = ctx.lookup(ctx.argv[2]) else { return .null }
                        return .integer(Int64(memoryUsage(key: ctx.argv[2], e, samples: samples)))
                    },
                    sub("stats", 2, [], "Show memory usage details", since: "4.0.0") { ctx in memoryStats(server, ctx) },
                    sub("doctor", 2, [], "Outputs memory problems report", since: "4.0.0") { _ in
                        .verbatim(format: "txt", text: Bytes(
                            "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."))
                    },
                    sub("malloc-stats", 2, [], "Show allocator internal stats", since: "4.0.0",
                        complexity: "Depends on how much memory is allocated, could be slow") { _ in
                        if let report = Allocator.statsReport() { return .verbatim(format: "txt", text: Bytes(report)) }
                        return .verbatim(format: "txt", text: Bytes("Stats not supported for the current allocator"))
                    },
                    sub("purge", 2, [], "Ask the allocator to release memory", since: "4.0.0",
                        complexity: "Depends on how much memory is allocated, could be slow") { _ in
                        Allocator.purge()
                        return .ok
                    },
                    sub("help", 2, [.loading, .stale], "Show helpful text about the different subcommands", since: "4.0.0") { _ in
                        ServerCommands.helpReply("MEMORY", [
                            "DOCTOR", "    Return memory problems reports.",
                            "MALLOC-STATS", "    Return internal statistics report from the memory allocator.",
                            "PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
                            "STATS", "    Return information about the memory usage of the server.",
                            "USAGE <key> [SAMPLES <count>]",
                            "    Return memory in bytes used by <key> and its value. Nested values are",
                            "    sampled up to <count> times (default: 5, 0 means sample all).",
                        ])
                    },
                ]),
            CommandSpec(
                "role", arity: 1, flags: [.noscript, .loading, .stale, .fast], acl: [.admin, .dangerous],
                docs: CommandDocs("Return the role of the instance in the context of replication", since: "2.8.12", group: "server"),
                handler: { _ in .array([.bulk(Bytes("master")), .integer(0), .array([])]) }),
            replicaof("replicaof", since: "5.0.0"),
            replicaof("slaveof", since: "1.0.0"),
            CommandSpec(
                "cluster", arity: -2,
                docs: CommandDocs("A container for cluster commands", since: "3.0.0", group: "cluster", complexity: "Depends on subcommand."),
                subcommands: [
                    clusterSub("addslots", -3, [.admin, .stale], "Assign new hash slots to receiving node", since: "3.0.0", complexity: "O(N) where N is the total number of hash slot arguments"),
                    clusterSub("addslotsrange", -4, [.admin, .stale], "Assign new hash slots to receiving node", since: "7.0.0", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments."),
                    clusterSub("bumpepoch", 2, [.admin, .stale], "Advance the cluster config epoch", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("count-failure-reports", 3, [.admin, .stale], "Return the number of failure reports active for a given node", since: "3.0.0", complexity: "O(N) where N is the number of failure reports"),
                    clusterSub("countkeysinslot", 3, [.stale], "Return the number of local keys in the specified hash slot", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("delslots", -3, [.admin, .stale], "Set hash slots as unbound in receiving node", since: "3.0.0", complexity: "O(N) where N is the total number of hash slot arguments"),
                    clusterSub("delslotsrange", -4, [.admin, .stale], "Set hash slots as unbound in receiving node", since: "7.0.0", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments."),
                    clusterSub("failover", -2, [.admin, .stale], "Forces a replica to perform a manual failover of its master.", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("flushslots", 2, [.admin, .stale], "Delete a node's own slots information", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("forget", 3, [.admin, .stale], "Remove a node from the nodes table", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("getkeysinslot", 4, [.stale], "Return local key names in the specified hash slot", since: "3.0.0", complexity: "O(log(N)) where N is the number of requested keys"),
                    clusterSub("help", 2, [.loading, .stale], "Show helpful text about the different subcommands", since: "5.0.0", complexity: "O(1)"),
                    clusterSub("info", 2, [.stale], "Provides info about Redis Cluster node state", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("keyslot", 3, [.stale], "Returns the hash slot of the specified key", since: "3.0.0", complexity: "O(N) where N is the number of bytes in the key"),
                    clusterSub("links", 2, [.stale], "Returns a list of all TCP links to and from peer nodes in cluster", since: "7.0.0", complexity: "O(N) where N is the total number of Cluster nodes"),
                    clusterSub("meet", -4, [.admin, .stale], "Force a node cluster to handshake with another node", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("myid", 2, [.stale], "Return the node id", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("nodes", 2, [.stale], "Get Cluster config for the node", since: "3.0.0", complexity: "O(N) where N is the total number of Cluster nodes"),
                    clusterSub("replicas", 3, [.admin, .stale], "List replica nodes of the specified master node", since: "5.0.0", complexity: "O(1)"),
                    clusterSub("replicate", 3, [.admin, .stale], "Reconfigure a node as a replica of the specified master node", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("reset", -2, [.admin, .noscript, .stale], "Reset a Redis Cluster node", since: "3.0.0", complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect."),
                    clusterSub("saveconfig", 2, [.admin, .stale], "Forces the node to save cluster state on disk", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("set-config-epoch", 3, [.admin, .stale], "Set the configuration epoch in a new node", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("setslot", -4, [.admin, .stale], "Bind a hash slot to a specific node", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("shards", 2, [.stale], "Get array of cluster slots to node mappings", since: "7.0.0", complexity: "O(N) where N is the total number of cluster nodes"),
                    clusterSub("slaves", 3, [.admin, .stale], "List replica nodes of the specified master node", since: "3.0.0", complexity: "O(1)"),
                    clusterSub("slots", 2, [.stale], "Get array of Cluster slot to node mappings", since: "3.0.0", complexity: "O(N) where N is the total number of Cluster nodes"),
                ]),
            clusterOnly("readonly", [.loading, .stale, .fast], "Enables read queries for a connection to a cluster replica node"),
            clusterOnly("readwrite", [.loading, .stale, .fast], "Disables read queries for a connection to a cluster replica node"),
            clusterOnly("asking", [.fast], "Sent by cluster clients after an -ASK redirect"),
        ]
    }

    /// Cluster connection commands: a server without cluster mode answers them as Redis does.
    static func clusterOnly(_ name: String, _ flags: CommandFlags, _ summary: String) -> CommandSpec {
        CommandSpec(
            name, arity: 1, flags: flags, acl: [.connection],
            docs: CommandDocs(summary, since: "3.0.0", group: "cluster"),
            handler: { _ in throw RedisError("This instance has cluster support disabled") })
    }

    /// A CLUSTER subcommand: declared as Redis 7.0 declares it (ACL rules such as `+cluster`
    /// and COMMAND list it), answered as a server without cluster mode answers.
    static func clusterSub(_ name: String, _ arity: Int, _ flags: CommandFlags, _ summary: String, since: String,
                           complexity: String) -> CommandSpec {
        sub(name, arity, flags, summary, since: since, group: "cluster", complexity: complexity) { _ in
            throw RedisError("This instance has cluster support disabled")
        }
    }

    /// Mnemo has no replication yet: REPLICAOF NO ONE (already a primary) succeeds, anything else is refused.
    static func replicaof(_ name: String, since: String) -> CommandSpec {
        CommandSpec(
            name, arity: 3, flags: [.admin, .noscript, .stale],
            docs: CommandDocs("Make the server a replica of another instance, or promote it as master.", since: since,
                              group: "replication", syntax: "host port"),
            handler: { ctx in
                if ctx.argv[1].equalsIgnoringCase("NO") && ctx.argv[2].equalsIgnoringCase("ONE") { return .ok }
                guard let port = Numbers.parseInt(ctx.argv[2]), (0...65535).contains(port) else {
                    throw RedisError("Invalid master port")
                }
                throw RedisError("Mnemo does not support replication yet: \(name.uppercased()) accepts only NO ONE")
            })
    }

    /// An estimate in bytes of a key and its value (Redis's MEMORY USAGE sums its allocations;
    /// Mnemo counts payload bytes plus per-entry overheads, averaging `samples` elements).
    static func memoryUsage(key: Bytes, _ e: Entry, samples: Int) -> Int {
        let entryOverhead = 48 + key.count + (e.expireAt != 0 ? 24 : 0)
        func sampled(_ count: Int, _ sizes: [Int], perElement: Int) -> Int {
            guard !sizes.isEmpty else { return 0 }
            let average = Double(sizes.reduce(0, +)) / Double(sizes.count)
            return Int((average + Double(perElement)) * Double(count))
        }
        switch e.value {
        case .string(let s):
            return entryOverhead + 16 + s.count
        case .hash(let h):
            var sizes: [Int] = []
            _ = h.scan(cursor: 0, count: min(samples, h.count)) { f, v in if sizes.count < samples { sizes.append(f.count + v.count) } }
            return entryOverhead + 64 + sampled(h.count, sizes, perElement: h.encoding == "listpack" ? 4 : 72)
        case .list(let l):
            let sizes = l.items.prefix(min(samples, l.count)).map(\.count)
            return entryOverhead + 64 + sampled(l.count, sizes, perElement: 12)
        case .set(let s):
            if s.encoding == "intset" { return entryOverhead + 16 + 8 * s.count }
            var sizes: [Int] = []
            _ = s.scan(cursor: 0, count: min(samples, s.count)) { m in if sizes.count < samples { sizes.append(m.count) } }
            return entryOverhead + 64 + sampled(s.count, sizes, perElement: 40)
        case .zset(let z):
            let sizes = z.elements(fromRank: 0, limit: min(samples, z.count), reverse: false).map(\.member.count)
            return entryOverhead + 64 + sampled(z.count, sizes, perElement: z.encoding == "listpack" ? 12 : 80)
        case .module(let m):
            return entryOverhead + m.type.memoryUsage(m)
        }
    }

    static func memoryStats(_ server: MnemoServer, _ ctx: CommandContext) -> RESPValue {
        let (used, rss) = InfoReport.memoryBytes()
        server.peakMemory = max(server.peakMemory, used)
        let engine = ctx.engine
        var keys = 0
        var pairs: [(String, RESPValue)] = [
            ("peak.allocated", .integer(server.peakMemory)), ("total.allocated", .integer(used)),
            ("startup.allocated", .integer(0)), ("replication.backlog", .integer(0)), ("clients.slaves", .integer(0)),
            ("clients.normal", .integer(0)), ("cluster.links", .integer(0)), ("aof.buffer", .integer(0)),
            ("lua.caches", .integer(0)), ("functions.caches", .integer(0)),
        ]
        for (i, db) in engine.databases.enumerated() where db.count > 0 {
            keys += db.count
            pairs.append(("db.\(i)", .map([
                (.bulk(Bytes("overhead.hashtable.main")), .integer(Int64(db.count * 24))),
                (.bulk(Bytes("overhead.hashtable.expires")), .integer(0)),
                (.bulk(Bytes("overhead.hashtable.slot-to-keys")), .integer(0)),
            ])))
        }
        let ratio = used > 0 ? Double(rss) / Double(used) : 1
        pairs += [
            ("overhead.total", .integer(0)), ("keys.count", .integer(Int64(keys))),
            ("keys.bytes-per-key", .integer(keys > 0 ? used / Int64(keys) : 0)), ("dataset.bytes", .integer(used)),
            ("dataset.percentage", .double(100)),
            ("peak.percentage", .double(server.peakMemory > 0 ? Double(used) * 100 / Double(server.peakMemory) : 100)),
            ("allocator.allocated", .integer(used)), ("allocator.active", .integer(used)), ("allocator.resident", .integer(rss)),
            ("allocator-fragmentation.ratio", .double(1)), ("allocator-fragmentation.bytes", .integer(0)),
            ("allocator.rss-ratio", .double(ratio)), ("allocator.rss-bytes", .integer(rss - used)),
            ("rss-overhead.ratio", .double(1)), ("rss-overhead.bytes", .integer(0)),
            ("fragmentation", .double(ratio)), ("fragmentation.bytes", .integer(rss - used)),
        ]
        return .map(pairs.map { (.bulk(Bytes($0.0)), $0.1) })
    }

    static func latencyDoctor(_ monitor: CommandMonitor) -> String {
        if monitor.latencyThresholdMs == 0 && monitor.latency.isEmpty {
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
        }
        if monitor.latency.isEmpty {
            return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep for a while.\n"
        }
        var s = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"
        for (i, (name, e)) in monitor.latency.sorted(by: { $0.key < $1.key }).enumerated() {
            let avg = e.samples.map(\.ms).reduce(0, +) / Int64(max(1, e.samples.count))
            s += "\(i + 1). \(name): \(e.samples.count) latency spikes (average \(avg)ms, worst \(e.max)ms).\n"
        }
        return s + "\nI have a few advices for you:\n\n- Check the commands logged by SLOWLOG GET and reduce the work each of them does.\n"
    }

    /// A plain-text chart of an event's samples, one column per sample (oldest left).
    static func latencyGraph(_ name: String, _ e: LatencyEvent) -> String {
        let now = Engine.wallClockMs() / 1000
        let top = max(1, e.max)
        var out = "\(name) - high \(e.samples.map(\.ms).max() ?? 0) ms, low \(e.samples.map(\.ms).min() ?? 0) ms (all time high \(e.max) ms)\n"
        out += String(repeating: "-", count: 80) + "\n"
        for row in stride(from: 4, through: 1, by: -1) {
            out += String(e.samples.map { $0.ms * 4 >= top * Int64(row) ? "#" : " " }) + "\n"
        }
        out += String(repeating: "-", count: 80) + "\n"
        out += e.samples.map { "\(now - $0.time)s" }.joined(separator: " ") + "\n"
        return out
    }
}

typealias LatencyEvent = CommandMonitor.LatencyEvent
