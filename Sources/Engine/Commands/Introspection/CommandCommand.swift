import RESP

/// COMMAND and its subcommands: everything they say comes from the command table.
public enum CommandCommand {
    public static let specs: [CommandSpec] = [
        CommandSpec(
            "command", arity: -1, flags: [.loading, .stale], acl: [.connection],
            docs: CommandDocs("Returns detailed information about all commands.", since: "2.8.13", group: "server",
                              complexity: "O(N) where N is the total number of Redis commands"),
            subcommands: [
                sub("count", 2, "Returns a count of commands.") { ctx in .integer(Int64(ctx.engine.table.commands.count)) },
                sub("info", -2, "Returns information about one, multiple or all commands.", syntax: "[command-name [command-name ...]]") { ctx in
                    let names = ctx.argv.dropFirst(2)
                    if names.isEmpty { return .array(sorted(ctx.engine.table).map(info)) }
                    return .array(names.map { n in ctx.engine.table.lookup(n).map(info) ?? .nullArray })
                },
                sub("docs", -2, "Returns documentary information about one, multiple or all commands.", syntax: "[command-name [command-name ...]]") { ctx in
                    let names = ctx.argv.dropFirst(2)
                    let specs = names.isEmpty ? sorted(ctx.engine.table) : names.compactMap { ctx.engine.table.lookup($0) }
                    return .map(specs.map { (.bulk($0.name), docs($0)) })
                },
                sub("list", -2, "Returns a list of command names.", syntax: "[FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]") { ctx in
                    try list(&ctx)
                },
                sub("getkeys", -4, "Extracts the key names from an arbitrary command.", syntax: "command [arg [arg ...]]") { ctx in
                    .array(try keysOf(&ctx).map { .bulk($0.0) })
                },
                sub("getkeysandflags", -4, "Extracts the key names and access flags for an arbitrary command.", syntax: "command [arg [arg ...]]") { ctx in
                    .array(try keysOf(&ctx).map { .array([.bulk($0.0), .array($0.1.flags.names.filter { !["variable_flags", "incomplete"].contains($0) }.map { .simple($0) })]) })
                },
                sub("help", 2, "Returns helpful text about the different subcommands.") { _ in
                    .array([
                        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                        "(no subcommand)", "    Return details about all Redis commands.",
                        "COUNT", "    Return the total number of commands in this Redis server.",
                        "LIST", "    Return a list of all commands in this Redis server.",
                        "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
                        "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
                        "GETKEYS <full-command>", "    Return the keys from a full Redis command.",
                        "GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
                        "HELP", "    Print this help.",
                    ].map { RESPValue.simple($0) })
                },
            ],
            handler: { ctx in .array(sorted(ctx.engine.table).map(info)) }),
    ]

    static func sub(_ name: String, _ arity: Int, _ summary: String, syntax: String = "", _ h: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: [.loading, .stale], acl: [.connection],
                    docs: CommandDocs(summary, since: "2.8.13", group: "server", complexity: "O(N)", syntax: syntax), handler: h)
    }

    static func sorted(_ table: CommandTable) -> [CommandSpec] { table.commands.values.sorted { $0.name < $1.name } }

    public static func info(_ spec: CommandSpec) -> RESPValue {
        let (first, last, step) = spec.legacyKeyRange
        return .array([
            .bulk(spec.fullName), .integer(Int64(spec.arity)),
            .set((spec.flags.names + (hasMovableKeys(spec) ? ["movablekeys"] : [])).map { .simple($0) }),
            .integer(Int64(first)), .integer(Int64(last)), .integer(Int64(step)),
            .set(spec.aclCategories.names.map { .simple("@" + $0) }),
            .set([]),
            .array(spec.keySpecs.map(keySpec)),
            .array(spec.subcommands.sorted { $0.name < $1.name }.map(info)),
        ])
    }

    /// Redis derives `movablekeys` for a command whose keys are not all at fixed positions.
    static func hasMovableKeys(_ spec: CommandSpec) -> Bool {
        spec.keySpecs.contains { k in
            guard case .index = k.begin, case .range = k.find else { return true }
            return false
        }
    }

    static func keySpec(_ k: KeySpec) -> RESPValue {
        let begin: RESPValue
        switch k.begin {
        case .index(let i):
            begin = .map([(.bulk("type"), .bulk("index")), (.bulk("spec"), .map([(.bulk("index"), .integer(Int64(i)))]))])
        case .keyword(let w, let from):
            begin = .map([(.bulk("type"), .bulk("keyword")),
                          (.bulk("spec"), .map([(.bulk("keyword"), .bulk(w)), (.bulk("startfrom"), .integer(Int64(from)))]))])
        case .unknown:
            begin = .map([(.bulk("type"), .bulk("unknown")), (.bulk("spec"), .map([]))])
        }
        let find: RESPValue
        switch k.find {
        case .range(let last, let step, let limit):
            find = .map([(.bulk("type"), .bulk("range")),
                         (.bulk("spec"), .map([(.bulk("lastkey"), .integer(Int64(last))), (.bulk("keystep"), .integer(Int64(step))),
                                               (.bulk("limit"), .integer(Int64(limit)))]))])
        case .keynum(let idx, let first, let step):
            find = .map([(.bulk("type"), .bulk("keynum")),
                         (.bulk("spec"), .map([(.bulk("keynumidx"), .integer(Int64(idx))), (.bulk("firstkey"), .integer(Int64(first))),
                                               (.bulk("keystep"), .integer(Int64(step)))]))])
        case .unknown:
            find = .map([(.bulk("type"), .bulk("unknown")), (.bulk("spec"), .map([]))])
        }
        var pairs: [(RESPValue, RESPValue)] = []
        if let notes = k.notes { pairs.append((.bulk("notes"), .bulk(notes))) }
        pairs += [(.bulk("flags"), .set(k.flags.names.map { .simple($0) })),
                  (.bulk("begin_search"), begin), (.bulk("find_keys"), find)]
        return .map(pairs)
    }

    public static func docs(_ spec: CommandSpec) -> RESPValue {
        var pairs: [(RESPValue, RESPValue)] = [
            (.bulk("summary"), .bulk(spec.docs.summary)),
            (.bulk("since"), .bulk(spec.docs.since)),
            (.bulk("group"), .bulk(spec.docs.group)),
            (.bulk("complexity"), .bulk(spec.docs.complexity)),
        ]
        if let m = spec.module { pairs.append((.bulk("module"), .bulk(m))) }
        if !spec.docs.syntax.isEmpty {
            pairs.append((.bulk("arguments"), .array(ArgumentSyntax.parse(spec.docs.syntax).docs())))
        }
        if !spec.subcommands.isEmpty {
            pairs.append((.bulk("subcommands"), .map(spec.subcommands.sorted { $0.name < $1.name }.map { (.bulk($0.fullName), docs($0)) })))
        }
        return .map(pairs)
    }

    static func list(_ ctx: inout CommandContext) throws -> RESPValue {
        var specs = sorted(ctx.engine.table)
        var args = ctx.args
        if !args.isEmpty {
            guard args.flag("FILTERBY"), args.remaining == 2 else { throw RedisError.syntax }
            let kind = try args.next()
            let value = try args.next()
            if kind.equalsIgnoringCase("MODULE") {
                return .array(specs.filter { $0.module == value.text }.flatMap { [$0] + $0.subcommands }.map { .bulk($0.fullName) })
            } else if kind.equalsIgnoringCase("ACLCAT") {
                guard let cat = ACLCategories.named(value.text) else { return .array([]) }
                let all = specs.flatMap { [$0] + $0.subcommands }
                return .array(all.filter { $0.aclCategories.contains(cat) }.map { .bulk($0.fullName) })
            } else if kind.equalsIgnoringCase("PATTERN") {
                let all = specs.flatMap { [$0] + $0.subcommands }
                return .array(all.filter { Glob.match(value, Bytes($0.fullName), nocase: true) }.map { .bulk($0.fullName) })
            } else {
                throw RedisError.syntax
            }
        }
        // As Redis: subcommands are listed too (`config|get`).
        return .array(specs.flatMap { [$0] + $0.subcommands }.map { .bulk($0.fullName) })
    }

    static func keysOf(_ ctx: inout CommandContext) throws -> [(Bytes, KeySpec)] {
        let target = Array(ctx.argv.dropFirst(2))
        guard let top = ctx.engine.table.lookup(target[0]) else { throw RedisError("Invalid command specified") }
        let spec: CommandSpec
        switch ctx.dispatcher.resolve(target) {
        case .success(let s): spec = s
        case .failure:
            if !top.subcommands.isEmpty, target.count >= 2, !top.subcommands.contains(where: { $0.name == target[1].lower }) {
                throw RedisError("Invalid subcommand specified")
            }
            throw RedisError("Invalid number of arguments specified for command")
        }
        let keys = spec.keyPositions(target).map { (target[$0.0], $0.1) }
        if keys.isEmpty { throw RedisError("The command has no key arguments") }
        return keys
    }
}
