import RESP

/// OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP.
extension KeyCommands {
    static let objectSpec = CommandSpec(
        "object", arity: -2,
        docs: CommandDocs("A container for object introspection commands", since: "2.2.3", group: "generic", complexity: "Depends on subcommand."),
        subcommands: [
            objectSubcommand("encoding", "Inspect the internal encoding of a Redis object", since: "2.2.3") { e, _ in
                .bulk(e.value.encoding)
            },
            objectSubcommand("freq", "Get the logarithmic access frequency counter of a Redis object", since: "4.0.0") { _, _ in
                // Access frequency is tracked only under an LFU maxmemory policy, which Mnemo does not have.
                throw RedisError(
                    "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
                )
            },
            objectSubcommand("idletime", "Get the time since a Redis object was last accessed", since: "2.2.3") { e, now in
                .integer(max(0, now - e.lastAccess) / 1000)
            },
            objectSubcommand("refcount", "Get the number of references to the value of the key", since: "2.2.3") { e, _ in
                // Redis shares the objects of the integers 0…9999 (refcount INT_MAX); others have one owner.
                if case .string(let s) = e.value, let v = Numbers.parseInt(s), v >= 0 && v < 10000 {
                    return .integer(Int64(Int32.max))
                }
                return .integer(1)
            },
            CommandSpec(
                "help", arity: 2, flags: [.loading, .stale], acl: [.keyspace],
                docs: CommandDocs("Show helpful text about the different subcommands", since: "6.2.0", group: "generic"),
                handler: { _ in
                    .array(objectHelp.map { .simple($0) })
                }),
        ])

    static let objectHelp = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ]

    static func objectSubcommand(
        _ name: String, _ summary: String, since: String, _ body: @escaping (Entry, Int64) throws -> RESPValue
    ) -> CommandSpec {
        CommandSpec(
            name, arity: 3, flags: [.readonly], acl: [.keyspace],
            keys: [.single(2, [.RO])],
            docs: CommandDocs(summary, since: since, group: "generic", syntax: "key"),
            handler: { ctx in
                guard let e = ctx.lookupNoTouch(ctx.argv[2]) else { return .null }
                return try body(e, ctx.now)
            })
    }
}
