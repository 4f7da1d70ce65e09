import Engine
import RESP

/// AUTH and the ACL command family, declared once in the command table.
public enum ACLCommands {
    /// ACL SETUSER's arguments with `(...)` selectors split over several arguments joined back.
    static func mergeSelectors(_ args: [Bytes]) -> Result<[Bytes], RedisError> {
        var out: [Bytes] = []
        var open: Bytes?
        for a in args {
            if var o = open {
                o.append(UInt8(ascii: " "))
                o += a
                if a.last == UInt8(ascii: ")") {
                    out.append(o)
                    open = nil
                } else {
                    open = o
                }
            } else if a.first == UInt8(ascii: "("), a.last != UInt8(ascii: ")") || a.count == 1 {
                open = a
            } else {
                out.append(a)
            }
        }
        if let o = open {
            return .failure(RedisError("Unmatched parenthesis in acl selector starting at '\(String(decoding: o, as: UTF8.self))'."))
        }
        return .success(out)
    }

    static func sub(_ name: String, _ arity: Int, _ flags: CommandFlags, _ summary: String, syntax: String = "",
                    _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags.union([.noscript, .loading, .stale, .sentinel]),
                    docs: CommandDocs(summary, since: "6.0.0", group: "server", complexity: "O(1)", syntax: syntax),
                    handler: handler)
    }

    public static func specs(_ acl: AccessControl) -> [CommandSpec] {
        [
            CommandSpec(
                "auth", arity: -2, flags: [.noscript, .loading, .stale, .fast, .noAuth, .sentinel, .allowBusy],
                acl: [.connection],
                docs: CommandDocs("Authenticates the connection.", since: "1.0.0", group: "connection",
                                  complexity: "O(N) where N is the number of passwords defined for the user",
                                  syntax: "[username] password"),
                handler: { ctx in
                    guard ctx.argv.count <= 3 else { throw RedisError.syntax }
                    if ctx.argv.count == 2 && acl.defaultUser.nopass {
                        throw RedisError("AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
                    }
                    let user = ctx.argv.count == 3 ? ctx.argv[1] : Bytes("default")
                    try acl.authenticate(ctx.client, user: user, password: ctx.argv.last!, object: ctx.argv[0].text)
                    return .ok
                }),
            CommandSpec(
                "acl", arity: -2,
                docs: CommandDocs("A container for Access List Control commands.", since: "6.0.0", group: "server",
                                  complexity: "Depends on subcommand."),
                subcommands: subcommands(acl)),
        ]
    }

    static func subcommands(_ acl: AccessControl) -> [CommandSpec] {
        [
            sub("setuser", -3, [.admin], "Creates and modifies an ACL user and its rules.",
                syntax: "username [rule [rule ...]]") { ctx in
                let name = ctx.argv[2]
                if name.contains(UInt8(ascii: " ")) || name.contains(0) {
                    throw RedisError("Usernames can't contain spaces or null characters")
                }
                let uname = String(decoding: name, as: UTF8.self)
                try acl.setUser(uname, Array(ctx.argv.dropFirst(3)))
                if acl.aclFile.isEmpty {
                    ctx.emit([Bytes("ACL"), Bytes("SETUSER"), name] + acl.users[uname]!.canonicalRules(acl.universe))
                }
                acl.onUsersChanged?([uname])
                return .ok
            },
            sub("deluser", -3, [.admin], "Deletes ACL users, and terminates their connections.",
                syntax: "username [username ...]") { ctx in
                let names = ctx.argv.dropFirst(2).map { String(decoding: $0, as: UTF8.self) }
                let existing = names.filter { acl.users[$0] != nil }
                let n = try acl.deleteUsers(names)
                if n > 0 && acl.aclFile.isEmpty {
                    ctx.emit([Bytes("ACL"), Bytes("DELUSER")] + existing.map { Bytes($0) })
                }
                acl.onUsersChanged?(existing)
                return .integer(Int64(n))
            },
            sub("getuser", 3, [.admin], "Lists the ACL rules of a user.", syntax: "username") { ctx in
                guard let u = acl.users[ctx.argv[2].text] else { return .null }
                let uni = acl.universe
                func selectorMap(_ s: ACLSelector) -> RESPValue {
                    .map([
                        (.bulk("commands"), .bulk(s.describeCommands(uni))),
                        (.bulk("keys"), .bulk(s.describeKeys())),
                        (.bulk("channels"), .bulk(s.describeChannels())),
                    ])
                }
                return .map([
                    (.bulk("flags"), .array(u.flagNames.map { .bulk($0) })),
                    (.bulk("passwords"), .array(u.passwords.map { .bulk($0) })),
                    (.bulk("commands"), .bulk(u.root.describeCommands(uni))),
                    (.bulk("keys"), .bulk(u.root.describeKeys())),
                    (.bulk("channels"), .bulk(u.root.describeChannels())),
                    (.bulk("selectors"), .array(u.selectors.map(selectorMap))),
                ])
            },
            sub("list", 2, [.admin], "Dumps the effective rules in ACL file format.") { _ in
                .array(acl.list().map { .bulk($0) })
            },
            sub("users", 2, [.admin], "Lists all ACL users.") { _ in
                .array(acl.users.keys.sorted().map { .bulk($0) })
            },
            sub("whoami", 2, [], "Returns the authenticated username of the current connection.") { ctx in
                .bulk(acl.user(of: ctx.client)?.name ?? ctx.client.user)
            },
            sub("cat", -2, [], "Lists the ACL categories, or the commands inside a category.",
                syntax: "[category]") { ctx in
                if ctx.argv.count > 3 {
                    throw RedisError("unknown subcommand or wrong number of arguments for '\(ctx.argv[1].text)'. Try ACL HELP.")
                }
                if ctx.argv.count == 2 { return .array(ACLCategories.all.map { .bulk($0.1) }) }
                guard let cat = ACLCategories.named(ctx.argv[2].text) else {
                    throw RedisError("Unknown category '\(ctx.argv[2].text)'")
                }
                var names: [RESPValue] = []
                for cmd in acl.universe.top where cmd.module == nil {
                    if cmd.aclCategories.contains(cat) { names.append(.bulk(cmd.fullName)) }
                    for s in cmd.subcommands where s.aclCategories.contains(cat) { names.append(.bulk(s.fullName)) }
                }
                return .array(names)
            },
            sub("log", -2, [.admin], "Lists recent security events generated due to ACL rules.",
                syntax: "[count | RESET]") { ctx in
                var count = 10
                if ctx.argv.count > 3 { throw RedisError.syntax }
                if ctx.argv.count == 3 {
                    if ctx.argv[2].equalsIgnoringCase("RESET") {
                        acl.log.reset()
                        return .ok
                    }
                    guard let n = Numbers.parseInt(ctx.argv[2]) else { throw RedisError("value is not an integer or out of range") }
                    count = max(0, Int(n))
                }
                return acl.log.reply(count: count, now: Engine.wallClockMs())
            },
            sub("dryrun", -4, [.admin],
                "Simulates the execution of a command by a user, without executing the command.",
                syntax: "username command [arg [arg ...]]") { ctx in
                guard let u = acl.users[ctx.argv[2].text] else {
                    throw RedisError("User '\(ctx.argv[2].text)' not found")
                }
                let argv = Array(ctx.argv.dropFirst(3))
                let spec: CommandSpec
                switch ctx.dispatcher.resolve(argv) {
                case .success(let s): spec = s
                case .failure(let e):
                    if e.message.hasPrefix("wrong number of arguments") { throw e }
                    throw RedisError("Command '\(argv[0].text)' not found")
                }
                guard let (reason, pos) = acl.check(u, spec, argv) else { return .ok }
                switch reason {
                case .command: return .bulk("This user has no permissions to run the '\(spec.fullName)' command")
                case .key: return .bulk("This user has no permissions to access the '\(argv[pos].text)' key")
                default: return .bulk("This user has no permissions to access the '\(argv[pos].text)' channel")
                }
            },
            sub("genpass", -2, [], "Generates a pseudorandom, secure password that can be used to identify ACL users.",
                syntax: "[bits]") { ctx in
                var bits = 256
                if ctx.argv.count > 3 { throw RedisError.syntax }
                if ctx.argv.count == 3 {
                    guard let n = Numbers.parseInt(ctx.argv[2]), n > 0, n <= 4096 else {
                        throw RedisError("ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
                    }
                    bits = Int(n)
                }
                let chars = (bits + 3) / 4
                var rng = SystemRandomNumberGenerator()
                let bytes = (0..<((chars + 1) / 2)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                return .bulk(String(SHA256.hexString(bytes).prefix(chars)))
            },
            sub("load", 2, [.admin], "Reloads the rules from the configured ACL file.") { _ in
                guard !acl.aclFile.isEmpty else { throw RedisError(ACLCommands.noFile) }
                guard let text = acl.readFile?(acl.aclFile) else {
                    throw RedisError("Error loading ACLs, opening file '\(acl.aclFile)': No such file or directory")
                }
                try acl.load(text)
                acl.onUsersChanged?(Array(acl.users.keys))
                return .ok
            },
            sub("save", 2, [.admin], "Saves the effective ACL rules in the configured ACL file.") { _ in
                guard !acl.aclFile.isEmpty else { throw RedisError(ACLCommands.noFile) }
                let text = acl.list().map { $0 + "\n" }.joined()
                guard acl.writeFile?(acl.aclFile, text) == true else {
                    throw RedisError("There was an error trying to save the ACLs. Please check the server logs for more information")
                }
                return .ok
            },
            CommandSpec(
                "help", arity: 2, flags: [.loading, .stale, .sentinel],
                docs: CommandDocs("Returns helpful text about the different subcommands.", since: "6.0.0", group: "server"),
                handler: { _ in
                    .array(help.map { .simple($0) })
                }),
        ]
    }

    static let noFile = "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

    static let help = [
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ]
}
