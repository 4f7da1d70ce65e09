import ACL
import Engine
import Foundation
import PubSub
import RESP

/// Wires ACL into the server: the first Dispatcher gate, AUTH/ACL commands, HELLO AUTH, RESET,
/// new connections, configuration (requirepass, aclfile, acllog-max-len, acl-pubsub-default),
/// pub/sub subscriptions of changed users, and SORT's full-key-access rule.
extension MnemoServer {
    static let aclAuxField = "mnemo-acl"

    static let aclDirectives: [ConfigDirective] = [
        ConfigDirective("requirepass", .string, default: ""),
        ConfigDirective("aclfile", .string, default: "", mutable: false),
        ConfigDirective("acllog-max-len", .int(0...Int64(Int.max)), default: "128"),
        ConfigDirective("acl-pubsub-default", .enumeration(["allchannels", "resetchannels"]), default: "resetchannels"),
    ]

    func installACL() -> AccessControl {
        let acl = AccessControl(engine: engine)
        engine.register(ACLCommands.specs(acl))
        // Every command passes here: no reference counting (ACL lives as long as the server).
        // (`unowned(unsafe)` would still retain and release it around each call; an unmanaged
        // reference lent for the call does not.)
        let aclRef = Unmanaged.passUnretained(acl)
        dispatcher.insertGate(first: true) { client, spec, argv in aclRef._withUnsafeGuaranteedRef { $0.gate(client, spec, argv) } }
        engine.aclFullKeyAccess = { [unowned acl] client, spec, argv in acl.hasFullKeyAccess(client, spec, argv) }
        authenticate = { [unowned acl] client, user, password in
            try acl.authenticate(client, user: user, password: password, object: "HELLO")
        }
        resetHooks.append { [unowned acl] c in acl.clientConnected(c) }
        acl.clientInfo = { [unowned self] c in ClientCommand.describe(c, self.engine, current: c) }
        acl.subscriptionsOf = { [unowned self] c in
            let r = self.pubsub.registry
            return r.subscriptions(of: c, .channel).map { ($0, false) } + r.subscriptions(of: c, .pattern).map { ($0, true) }
                + r.subscriptions(of: c, .shard).map { ($0, false) }
        }
        acl.readFile = { path in try? String(contentsOfFile: path, encoding: .utf8) }
        acl.writeFile = { [unowned self] path, text in
            let tmp = path + ".tmp-\(getpid())"
            do {
                try text.write(toFile: tmp, atomically: false, encoding: .utf8)
                if rename(tmp, path) != 0 { throw ConfigError("rename failed") }
                return true
            } catch {
                self.logger.warning("Opening temp ACL file for ACL SAVE: \(error)")
                return false
            }
        }
        acl.aclFile = config["aclfile"]
        acl.onUsersChanged = { [unowned self] names in self.aclUsersChanged(names) }
        // Without an aclfile, users are durable: SETUSER/DELUSER are logged as effects, and
        // snapshots carry every user (the log before a snapshot is deleted).
        snapshotAux = { [unowned acl] in
            guard acl.aclFile.isEmpty else { return [] }
            return [(MnemoServer.aclAuxField, Bytes(acl.list().joined(separator: "\n")))]
        }
        snapshotAuxLoaded = { [unowned self, unowned acl] aux in
            guard acl.aclFile.isEmpty, let text = aux[MnemoServer.aclAuxField] else { return }
            do { try acl.load(String(decoding: text, as: UTF8.self)) } catch {
                self.logger.warning("Snapshot ACL users could not be loaded: \(error)")
            }
            if !self.config["requirepass"].isEmpty { self.applyACLConfig(["requirepass"]) }
            self.aclUsersChanged([])
        }
        return acl
    }

    /// Start-up: the aclfile's users (it must load, as Redis refuses to start otherwise), then
    /// requirepass for the default user.
    func loadACLAtStart() throws {
        guard let acl else { return }
        applyACLConfig(["acl-pubsub-default", "acllog-max-len"])
        if !acl.aclFile.isEmpty {
            guard let text = acl.readFile?(acl.aclFile) else {
                throw ConfigError("Error loading ACLs, opening file '\(acl.aclFile)': No such file or directory")
            }
            do { try acl.load(text) } catch let e as RedisError {
                throw ConfigError("Aborting Redis startup because of ACL errors: \(e.message)")
            }
        }
        if !config["requirepass"].isEmpty { applyACLConfig(["requirepass"]) }
        aclUsersChanged([])
    }

    /// After users changed: new connections' decoder limits follow the default user; a replayed
    /// change of `default` does not undo the configured requirepass (the config wins at start-up).
    func aclUsersChanged(_ names: [String]) {
        guard let acl else { return }
        if engine.isReplaying && names.contains("default") && !config["requirepass"].isEmpty {
            applyACLConfig(["requirepass"])
        }
        let required = acl.authRequired
        aclAuthRequired.withLockedValue { $0 = required }
    }

    func applyACLConfig(_ names: [String]) {
        guard let acl else { return }
        for name in names {
            switch name {
            case "requirepass":
                // As Redis: requirepass replaces the default user's passwords (empty = nopass).
                let pass = config["requirepass"]
                try? acl.setUser("default", pass.isEmpty ? [Bytes("nopass")] : [Bytes("resetpass"), Bytes(">" + pass)])
                let required = acl.authRequired
                aclAuthRequired.withLockedValue { $0 = required }
            case "acllog-max-len":
                acl.log.maxLength = config.int("acllog-max-len")
                acl.log.trim()
            case "acl-pubsub-default":
                acl.pubsubDefaultAll = config["acl-pubsub-default"] == "allchannels"
            default: break
            }
        }
    }
}

extension MnemoServer {
    static let protectedModeMessage = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

    /// On the engine, for each new connection: runs as `default`; protected mode refuses
    /// non-loopback clients while the default user has no password.
    func aclClientConnected(_ c: Client, _ session: SessionHandler) {
        guard let acl else { return }
        acl.clientConnected(c)
        if config.bool("protected-mode") && acl.defaultUser.nopass && !c.isUnixSocket && !MnemoServer.isLoopback(c.address) {
            session.refuse(MnemoServer.protectedModeMessage)
        }
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address.hasPrefix("::1:") || address.hasPrefix("[::1]") || address.hasPrefix("::ffff:127.")
            || address.isEmpty
    }
}
