#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import Modules
import NIOCore
import RESP

/// Wires the module host into the server: the MODULE command, `loadmodule` directives
/// (loaded before recovery, so logged module commands and snapshot module values replay),
/// module timers on the engine loop, and module logging.
extension MnemoServer {
    static let moduleDirectives: [ConfigDirective] = [
        ConfigDirective("enable-module-command", .enumeration(["yes", "no", "local"]), default: "no", mutable: false),
    ]

    func installModules() -> ModuleHost {
        let host = ModuleHost(engine: engine, dispatcher: dispatcher)
        host.log = { [unowned self] level, message in
            switch level {
            case "debug": self.logger.debug("\(message)")
            case "verbose": self.logger.info("\(message)")
            case "notice": self.logger.notice("\(message)")
            default: self.logger.warning("\(message)")
            }
        }
        host.schedule = { [unowned self] ms, body in
            let task = self.onEngine(in: .milliseconds(ms)) {
                self.engine.beginExecution()
                body()
                self.engine.commitEffects()
                // Keys the timer signalled, clients it unblocked (UnblockClient).
                if self.engine.blocking.hasReady { self.engine.blocking.serveReady(self.engine, self.dispatcher) }
            }
            return { task.cancel() }
        }
        engine.register([moduleCommandSpec(host)])
        return host
    }

    /// The `loadmodule` directives, in order; a module that fails to load stops start-up (as Redis).
    func loadConfiguredModules() throws {
        guard let host = moduleHost else { return }
        for entry in config.moduleLoads {
            do {
                try host.load(path: entry[0], args: entry.dropFirst().map { Bytes($0.utf8) })
            } catch {
                throw ConfigError("\(error)")
            }
        }
    }

    private func moduleCommandSpec(_ host: ModuleHost) -> CommandSpec {
        let docs = { (summary: String, syntax: String) in
            CommandDocs(summary, since: "4.0.0", group: "server", complexity: "O(1)", syntax: syntax)
        }
        let flags: CommandFlags = [.admin, .noscript]
        func allowed(_ ctx: CommandContext) throws {
            let setting = config["enable-module-command"]
            let local = ctx.client.isUnixSocket || ctx.client.address.hasPrefix("127.") || ctx.client.address.hasPrefix("[::1]")
                || ctx.client.address.hasPrefix("::1")
            if setting == "yes" || (setting == "local" && local) { return }
            throw RedisError("MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
        }
        func load(_ ctx: CommandContext, path: Bytes, args: [Bytes]) throws -> RESPValue {
            do {
                try host.load(path: String(decoding: path, as: UTF8.self), args: args, client: ctx.client)
            } catch {
                logger.warning("\(error)")
                throw RedisError("Error loading the extension. Please check the server logs.")
            }
            return .simple("OK")
        }
        return CommandSpec(
            "module", arity: -2, docs: docs("A container for module commands", ""),
            subcommands: [
                CommandSpec("help", arity: 2, flags: [.loading, .stale], docs: docs("Show helpful text about the different subcommands", "")) { _ in
                    .array([
                        "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                        "LIST", "    Return a list of loaded modules.",
                        "LOAD <path> [<arg> ...]", "    Load a module library from <path>, passing to it any optional arguments.",
                        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
                        "    Load a module library from <path>, while passing it module configurations and optional arguments.",
                        "UNLOAD <name>", "    Unload a module.",
                        "HELP", "    Print this help.",
                    ].map { RESPValue.simple($0) })
                },
                // Listing is allowed whatever enable-module-command says (Redis protects only LOAD/LOADEX/UNLOAD).
                CommandSpec("list", arity: 2, flags: flags, docs: docs("List all modules loaded by the server", "")) { _ in
                    return .array(host.modules.values.sorted { $0.name < $1.name }.map { m in
                        .map([
                            (.bulk(Bytes("name".utf8)), .bulk(Bytes(m.name.utf8))),
                            (.bulk(Bytes("ver".utf8)), .integer(Int64(m.version))),
                            (.bulk(Bytes("path".utf8)), .bulk(Bytes(m.path.utf8))),
                            (.bulk(Bytes("args".utf8)), .array(m.args.map { .bulk($0) })),
                        ])
                    })
                },
                CommandSpec("load", arity: -3, flags: flags, docs: docs("Load a module", "path [arg [arg ...]]")) { ctx in
                    try allowed(ctx)
                    return try load(ctx, path: ctx.argv[2], args: Array(ctx.argv.dropFirst(3)))
                },
                CommandSpec("loadex", arity: -3, flags: flags,
                            docs: docs("Load a module with extended parameters", "path [CONFIG name value [CONFIG name value ...]] [ARGS args [args ...]]")) { ctx in
                    try allowed(ctx)
                    // One optional clause after the path: CONFIG (refused) or ARGS (the rest).
                    var args: [Bytes] = []
                    if ctx.argv.count > 3 {
                        let word = ctx.argv[3].lower
                        if word == "config" {
                            // Module configurations (RegisterStringConfig …) are not provided.
                            self.logger.warning("MODULE LOADEX: module configurations are not supported by Mnemo")
                            throw RedisError("Error loading the extension. Please check the server logs.")
                        } else if word == "args" {
                            args = Array(ctx.argv[4...])
                        } else {
                            throw RedisError.syntax
                        }
                    }
                    return try load(ctx, path: ctx.argv[2], args: args)
                },
                CommandSpec("unload", arity: 3, flags: flags, docs: docs("Unload a module", "name")) { ctx in
                    try allowed(ctx)
                    do {
                        try host.unload(name: String(decoding: ctx.argv[2], as: UTF8.self))
                    } catch let e as ModuleHost.LoadError {
                        throw RedisError(e.message)
                    }
                    return .simple("OK")
                },
            ])
    }
}
