import Engine
import RESP

/// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT …, FUNCTION …, FCALL, FCALL_RO (Redis 7.0 specs).
extension ScriptingEngine {
    public var specs: [CommandSpec] {
        let rw: KeySpec.Flags = [.RW, .access, .update]
        let ro: KeySpec.Flags = [.RO, .access]
        let runFlags: CommandFlags = [.noscript, .stale, .skipMonitor, .noMandatoryKeys]
        func runner(_ name: String, _ summary: String, since: String, readOnly: Bool, syntax: String,
                    _ body: @escaping (CommandContext) throws -> RESPValue) -> CommandSpec {
            CommandSpec(
                name, arity: -3, flags: (readOnly ? runFlags.union(.readonly) : runFlags).union(.suspendable), acl: [.scripting],
                keys: [.keynum(2, readOnly ? ro : rw)],
                docs: CommandDocs(summary, since: since, group: "scripting", complexity: "Depends on the script that is executed.",
                                  syntax: syntax),
                handler: { ctx in try body(ctx) })
        }
        return [
            runner("eval", "Execute a Lua script server side", since: "2.6.0", readOnly: false,
                   syntax: "script numkeys [key [key ...]] [arg [arg ...]]") { [unowned self] in try self.eval($0, bySHA: false, readOnly: false) },
            runner("evalsha", "Execute a Lua script server side", since: "2.6.0", readOnly: false,
                   syntax: "sha1 numkeys [key [key ...]] [arg [arg ...]]") { [unowned self] in try self.eval($0, bySHA: true, readOnly: false) },
            runner("eval_ro", "Execute a read-only Lua script server side", since: "7.0.0", readOnly: true,
                   syntax: "script numkeys [key [key ...]] [arg [arg ...]]") { [unowned self] in try self.eval($0, bySHA: false, readOnly: true) },
            runner("evalsha_ro", "Execute a read-only Lua script server side", since: "7.0.0", readOnly: true,
                   syntax: "sha1 numkeys [key [key ...]] [arg [arg ...]]") { [unowned self] in try self.eval($0, bySHA: true, readOnly: true) },
            runner("fcall", "Invoke a function", since: "7.0.0", readOnly: false,
                   syntax: "function numkeys [key [key ...]] [arg [arg ...]]") { [unowned self] in try self.fcall($0, readOnly: false) },
            runner("fcall_ro", "Invoke a read-only function", since: "7.0.0", readOnly: true,
                   syntax: "function numkeys [key [key ...]] [arg [arg ...]]") { [unowned self] in try self.fcall($0, readOnly: true) },
            CommandSpec(
                "script", arity: -2,
                docs: CommandDocs("A container for Lua scripts management commands", since: "2.6.0", group: "scripting",
                                  complexity: "Depends on subcommand."),
                subcommands: scriptSubcommands),
            CommandSpec(
                "function", arity: -2,
                docs: CommandDocs("A container for function commands", since: "7.0.0", group: "scripting",
                                  complexity: "Depends on subcommand."),
                subcommands: functionSubcommands),
        ]
    }

    private static func help(_ command: String, _ lines: [String]) -> RESPValue {
        .array(([ "\(command) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"] + lines).map { .simple($0) })
    }

    private var scriptSubcommands: [CommandSpec] {
        [
            CommandSpec(
                "help", arity: 2, flags: [.loading, .stale], acl: [.scripting],
                docs: CommandDocs("Show helpful text about the different subcommands", since: "5.0.0", group: "scripting"),
                handler: { _ in
                    ScriptingEngine.help("SCRIPT", [
                        "DEBUG (YES|SYNC|NO)", "    Set the debug mode for subsequent scripts executed.",
                        "EXISTS <sha1> [<sha1> ...]",
                        "    Return information about the existence of the scripts in the script cache.",
                        "FLUSH [ASYNC|SYNC]", "    Flush the Lua scripts cache. Very dangerous on replicas.",
                        "    When called without the optional mode argument, the behavior is determined by the",
                        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                        "    * ASYNC: Asynchronously flush the scripts cache.",
                        "    * SYNC: Synchronously flush the scripts cache.",
                        "KILL", "    Kill the currently executing Lua script.",
                        "LOAD <script>", "    Load a script into the scripts cache without executing it.",
                        "HELP", "    Prints this help.",
                    ])
                }),
            CommandSpec(
                "exists", arity: -3, flags: [.noscript], acl: [.scripting],
                docs: CommandDocs("Check existence of scripts in the script cache.", since: "2.6.0", group: "scripting",
                                  complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
                                  syntax: "sha1 [sha1 ...]"),
                handler: { [unowned self] ctx in
                    .array(ctx.argv.dropFirst(2).map { .integer(self.scripts[$0.lower] != nil ? 1 : 0) })
                }),
            CommandSpec(
                "flush", arity: -2, flags: [.noscript], acl: [.scripting],
                docs: CommandDocs("Remove all the scripts from the script cache.", since: "2.6.0", group: "scripting",
                                  complexity: "O(N) with N being the number of scripts in cache", syntax: "[ASYNC | SYNC]"),
                handler: { [unowned self] ctx in
                    if ctx.argv.count > 3 || (ctx.argv.count == 3 && !ctx.argv[2].equalsIgnoringCase("ASYNC") && !ctx.argv[2].equalsIgnoringCase("SYNC")) {
                        throw RedisError("SCRIPT FLUSH only support SYNC|ASYNC option")
                    }
                    self.flushScripts()
                    return .ok
                }),
            CommandSpec(
                "debug", arity: 3, flags: [.noscript], acl: [.scripting],
                docs: CommandDocs("Set the debug mode for executed scripts.", since: "3.2.0", group: "scripting",
                                  syntax: "YES | SYNC | NO"),
                handler: { ctx in
                    if ctx.argv[2].equalsIgnoringCase("NO") { return .ok }
                    if ctx.argv[2].equalsIgnoringCase("YES") || ctx.argv[2].equalsIgnoringCase("SYNC") {
                        throw RedisError("The Lua debugger (LDB) is not supported by this server")
                    }
                    throw RedisError("Use SCRIPT DEBUG YES/SYNC/NO")
                }),
            CommandSpec(
                "kill", arity: 2, flags: [.noscript, .allowBusy], acl: [.scripting],
                docs: CommandDocs("Kill the script currently in execution.", since: "2.6.0", group: "scripting"),
                handler: { [unowned self] _ in self.busy.kill(function: false) }),
            CommandSpec(
                "load", arity: 3, flags: [.noscript, .stale], acl: [.scripting],
                docs: CommandDocs("Load the specified Lua script into the script cache.", since: "2.6.0", group: "scripting",
                                  complexity: "O(N) with N being the length in bytes of the script body.", syntax: "script"),
                handler: { [unowned self] ctx in
                    let sha = SHA1.hex(ctx.argv[2])
                    try self.createScript(ctx.argv[2], sha: sha)
                    return .bulk(sha)
                }),
        ]
    }

    private var functionSubcommands: [CommandSpec] {
        [
            CommandSpec(
                "help", arity: 2, flags: [.loading, .stale], acl: [.scripting],
                docs: CommandDocs("Show helpful text about the different subcommands", since: "7.0.0", group: "scripting"),
                handler: { _ in ScriptingEngine.help("FUNCTION", ScriptingEngine.functionHelp) }),
            CommandSpec(
                "load", arity: -3, flags: [.write, .denyoom, .noscript], acl: [.scripting],
                docs: CommandDocs("Create a function with the given arguments (name, code, description)", since: "7.0.0",
                                  group: "scripting", complexity: "O(1) (considering compilation time is redundant)",
                                  syntax: "[REPLACE] function-code"),
                handler: { [unowned self] ctx in
                    var replace = false
                    var i = 2
                    while i < ctx.argv.count - 1 {
                        guard ctx.argv[i].equalsIgnoringCase("REPLACE") else {
                            throw RedisError(Conversion.statusText("Unknown option given: \(ctx.argv[i].text)"))
                        }
                        replace = true
                        i += 1
                    }
                    if i >= ctx.argv.count { throw RedisError("Function code is missing") }
                    let name = try self.loadLibrary(ctx.argv[i], replace: replace)
                    ctx.emitVerbatim()  // replay loads the same code
                    return .bulk(name)
                }),
            CommandSpec(
                "delete", arity: 3, flags: [.write, .noscript], acl: [.scripting],
                docs: CommandDocs("Delete a function by name", since: "7.0.0", group: "scripting", syntax: "library-name"),
                handler: { [unowned self] ctx in
                    guard self.deleteLibrary(ctx.argv[2].text) else { throw RedisError("Library not found") }
                    ctx.emitVerbatim()
                    return .ok
                }),
            CommandSpec(
                "flush", arity: -2, flags: [.write, .noscript], acl: [.scripting],
                docs: CommandDocs("Deleting all functions", since: "7.0.0", group: "scripting",
                                  complexity: "O(N) where N is the number of functions deleted", syntax: "[ASYNC | SYNC]"),
                handler: { [unowned self] ctx in
                    if ctx.argv.count > 3 || (ctx.argv.count == 3 && !ctx.argv[2].equalsIgnoringCase("ASYNC") && !ctx.argv[2].equalsIgnoringCase("SYNC")) {
                        throw RedisError("FUNCTION FLUSH only supports SYNC|ASYNC option")
                    }
                    self.flushLibraries()
                    ctx.emitVerbatim()
                    return .ok
                }),
            CommandSpec(
                "list", arity: -2, flags: [.noscript], acl: [.scripting],
                docs: CommandDocs("List information about all the functions", since: "7.0.0", group: "scripting",
                                  complexity: "O(N) where N is the number of functions",
                                  syntax: "[LIBRARYNAME library-name-pattern] [WITHCODE]"),
                handler: { [unowned self] ctx in try self.list(ctx.argv) }),
            CommandSpec(
                "dump", arity: 2, flags: [.noscript], acl: [.scripting],
                docs: CommandDocs("Dump all functions into a serialized binary payload", since: "7.0.0", group: "scripting",
                                  complexity: "O(N) where N is the number of functions"),
                handler: { [unowned self] _ in .bulk(self.encodePayload(self.libraryCodes)) }),
            CommandSpec(
                "restore", arity: -3, flags: [.write, .denyoom, .noscript], acl: [.scripting],
                docs: CommandDocs("Restore all the functions on the given payload", since: "7.0.0", group: "scripting",
                                  complexity: "O(N) where N is the number of functions on the payload",
                                  syntax: "serialized-value [FLUSH | APPEND | REPLACE]"),
                handler: { [unowned self] ctx in
                    var policy = RestorePolicy.append
                    if ctx.argv.count > 4 { throw RedisError.syntax }
                    if ctx.argv.count == 4 {
                        if ctx.argv[3].equalsIgnoringCase("FLUSH") { policy = .flush }
                        else if ctx.argv[3].equalsIgnoringCase("APPEND") { policy = .append }
                        else if ctx.argv[3].equalsIgnoringCase("REPLACE") { policy = .replace }
                        else { throw RedisError("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.") }
                    }
                    try self.restore(ctx.argv[2], policy: policy)
                    ctx.emitVerbatim()
                    return .ok
                }),
            CommandSpec(
                "stats", arity: 2, flags: [.noscript, .allowBusy], acl: [.scripting],
                docs: CommandDocs("Return information about the function currently running (name, description, duration)",
                                  since: "7.0.0", group: "scripting"),
                handler: { [unowned self] _ in self.busy.stats() }),
            CommandSpec(
                "kill", arity: 2, flags: [.noscript, .allowBusy], acl: [.scripting],
                docs: CommandDocs("Kill the function currently in execution.", since: "7.0.0", group: "scripting"),
                handler: { [unowned self] _ in self.busy.kill(function: true) }),
        ]
    }

    static let functionHelp = [
        "LOAD [REPLACE] <FUNCTION CODE>", "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>", "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]", "    Return general information on all the libraries:",
        "    * Library name", "    * The engine used to run the Library", "    * Library description",
        "    * Functions list", "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS", "    Return information about the current function running:", "    * Function name",
        "    * Command used to run the function", "    * Duration in MS that the function is running",
        "    If no function is running, return nil", "    In addition, returns a list of available engines.",
        "KILL", "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]", "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.", "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP", "    Prints this help.",
    ]

    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
    func list(_ argv: [Bytes]) throws -> RESPValue {
        var withCode = false
        var pattern: Bytes?
        var i = 2
        while i < argv.count {
            let arg = argv[i]
            i += 1
            if !withCode && arg.equalsIgnoringCase("WITHCODE") {
                withCode = true
                continue
            }
            if pattern == nil && arg.equalsIgnoringCase("LIBRARYNAME") {
                guard i < argv.count else { throw RedisError("library name argument was not given") }
                pattern = argv[i]
                i += 1
                continue
            }
            throw RedisError(Conversion.statusText("Unknown argument \(arg.text)"))
        }
        var out: [RESPValue] = []
        for name in libraries.keys.sorted() {
            if let pattern, !Glob.match(pattern, Bytes(name), nocase: true) { continue }
            let lib = libraries[name]!
            let functions: [RESPValue] = lib.functions.map { f in
                .map([
                    (.bulk("name"), .bulk(f.name)),
                    (.bulk("description"), f.description.map { .bulk($0) } ?? .null),
                    (.bulk("flags"), .set(f.flags.names.map { .simple($0) })),
                ])
            }
            var fields: [(RESPValue, RESPValue)] = [
                (.bulk("library_name"), .bulk(lib.name)),
                (.bulk("engine"), .bulk("LUA")),
                (.bulk("functions"), .array(functions)),
            ]
            if withCode { fields.append((.bulk("library_code"), .bulk(lib.code))) }
            out.append(.map(fields))
        }
        return .array(out)
    }
}
