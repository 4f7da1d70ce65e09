import Engine
import RESP

/// Users, their permission checks, ACL LOG, and the hooks the server wires (client info,
/// durability of user changes, pub/sub subscriptions). Lives on the engine loop.
public final class AccessControl {
    public let engine: Engine
    public private(set) var users: [String: ACLUser] = [:]
    public let defaultUser: ACLUser
    public var log = ACLLog()
    /// `acl-pubsub-default`: new users and `reset` start with allchannels when true.
    public var pubsubDefaultAll = false
    /// `aclfile`: when set, users live in that file (ACL LOAD/SAVE) and SETUSER is not logged.
    public var aclFile = ""
    /// CLIENT LIST's line for a client (ACL LOG's client-info).
    public var clientInfo: (Client) -> String = { "id=\($0.id)" }
    /// A client's subscriptions (name, is a pattern), so changed users lose forbidden channels.
    public var subscriptionsOf: ((Client) -> [(Bytes, Bool)])?
    /// Called when a user's rules change (after SETUSER/DELUSER/LOAD), with the affected users.
    public var onUsersChanged: (([String]) -> Void)?
    /// File access for the aclfile (wired by the server).
    public var readFile: ((String) -> String?)?
    public var writeFile: ((String, String) -> Bool)?
    private var cachedUniverse: ACLCommandUniverse?

    public init(engine: Engine) {
        self.engine = engine
        defaultUser = ACLUser(name: "default")
        AccessControl.makeDefault(defaultUser)
        users["default"] = defaultUser
    }

    static func makeDefault(_ u: ACLUser) {
        u.enabled = true
        u.nopass = true
        u.passwords = []
        u.root = ACLSelector()
        u.root.setAll(true)
        u.root.allKeys = true
        u.root.keys = [ACLKeyPattern(pattern: [UInt8(ascii: "*")], read: true, write: true)]
        u.root.allChannels = true
        u.selectors = []
        u.refresh()
    }

    var universe: ACLCommandUniverse {
        let t = engine.table
        if let u = cachedUniverse, u.size == t.nextID, u.byName.count == t.commands.count { return u }
        let u = ACLCommandUniverse(t)
        cachedUniverse = u
        return u
    }

    public func user(_ name: String) -> ACLUser? { users[name] }

    /// The user a client runs as (clients that never authenticated run as `default`).
    @inline(__always) public func user(of client: Client) -> ACLUser? {
        if let u = client.aclUser { return unsafeDowncast(u, to: ACLUser.self) }
        if client.user == "default" { return defaultUser }
        return users[client.user]  // a copy of a client (scripts) that carries only the name
    }

    /// Whether a client that has not authenticated must do so first.
    public var authRequired: Bool { !(defaultUser.nopass && defaultUser.enabled) }

    /// A new connection: runs as `default`, authenticated if default needs no password.
    public func clientConnected(_ c: Client) {
        c.aclUser = nil
        c.user = "default"
        c.authenticated = !authRequired
    }

    // MARK: rules

    /// Creates or changes a user: rules are applied to a copy, committed only if all are valid.
    public func setUser(_ name: String, _ rules: [Bytes]) throws {
        let u = universe
        let existing = users[name]
        let work: ACLUser
        if let existing { work = existing.clone() } else {
            work = ACLUser(name: name)
            work.root.allChannels = pubsubDefaultAll
        }
        for r in try ACLCommands.mergeSelectors(rules).get() {
            do { try work.apply(r, u, pubsubDefaultAll: pubsubDefaultAll) } catch let e as ACLRuleError {
                throw RedisError("Error in ACL SETUSER modifier '\(String(decoding: r, as: UTF8.self))': \(e.reason)")
            }
        }
        if let existing {
            existing.copyRules(from: work)
        } else {
            work.refresh()
            users[name] = work
        }
        userChanged(users[name]!)
    }

    /// Removes users; their connections are closed. Returns how many existed.
    public func deleteUsers(_ names: [String]) throws -> Int {
        if names.contains("default") { throw RedisError("The 'default' user cannot be removed") }
        var n = 0
        for name in names {
            guard let u = users.removeValue(forKey: name) else { continue }
            n += 1
            for c in engine.clients.values where c.aclUser === u || (c.aclUser == nil && c.user == name) {
                c.aclUser = nil
                c.user = "default"
                c.authenticated = false
                c.closeRequested = true
                c.connection?.closeAfterReplies()
            }
        }
        return n
    }

    /// Redis 7.0: clients of a changed user subscribed to channels it may no longer use are closed.
    func userChanged(_ u: ACLUser) {
        guard let subs = subscriptionsOf, !u.root.allChannels else { return }
        for c in engine.clients.values where user(of: c) === u {
            let allowed = subs(c).allSatisfy { name, isPattern in
                ([u.root] + u.selectors).contains { $0.channelAllowed(name, isPattern: isPattern) }
            }
            if !allowed {
                c.closeRequested = true
                c.connection?.closeAfterReplies()
            }
        }
    }

    /// Replaces every user (ACL LOAD / start-up from an aclfile). `lines` are `user <name> rules…`.
    public func load(_ text: String) throws {
        var fresh: [String: ACLUser] = [:]
        let u = universe
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ").map { Bytes(String($0)) }
            guard words.count >= 2, words[0].lower == "user" else {
                throw RedisError("/\(aclFile):\(n + 1): should start with user keyword")
            }
            let name = String(decoding: words[1], as: UTF8.self)
            if fresh[name] != nil {
                throw RedisError("/\(aclFile):\(n + 1): Duplicate user '\(name)' found")
            }
            let user = ACLUser(name: name)
            user.root.allChannels = pubsubDefaultAll
            for r in try ACLCommands.mergeSelectors(Array(words.dropFirst(2))).get() {
                do { try user.apply(r, u, pubsubDefaultAll: pubsubDefaultAll) } catch let e as ACLRuleError {
                    throw RedisError("/\(aclFile):\(n + 1): \(e.reason). ")
                }
            }
            user.refresh()
            fresh[name] = user
        }
        // The default user object stays (clients hold it); it takes the file's rules or defaults.
        if let d = fresh["default"] { defaultUser.copyRules(from: d) } else { AccessControl.makeDefault(defaultUser) }
        fresh["default"] = defaultUser
        let old = users
        users = fresh
        for (name, u) in old where fresh[name] !== u && name != "default" {
            for c in engine.clients.values where c.aclUser === u {
                if let replacement = fresh[name] { c.aclUser = replacement } else {
                    c.aclUser = nil
                    c.user = "default"
                    c.authenticated = false
                    c.closeRequested = true
                    c.connection?.closeAfterReplies()
                }
            }
        }
        for u in users.values { userChanged(u) }
    }

    /// Every user as `user <name> <rules>` lines, sorted by name (ACL LIST, ACL SAVE).
    public func list() -> [String] {
        let u = universe
        return users.keys.sorted().map { "user \($0) " + users[$0]!.describe(u) }
    }

    // MARK: authentication

    /// AUTH / HELLO AUTH: on success the client runs as the user; failures are logged.
    public func authenticate(_ client: Client, user name: Bytes, password: Bytes, object: String) throws {
        let uname = String(decoding: name, as: UTF8.self)
        if let u = users[uname], u.enabled, u.checkPassword(password) {
            client.aclUser = u === defaultUser ? nil : u
            client.user = uname
            client.authenticated = true
            return
        }
        addLog(client, .auth, object: object, username: uname)
        throw RedisError("WRONGPASS", "invalid username-password pair or user is disabled.")
    }

    // MARK: checks

    /// Positions of the channel arguments a command's spec declares, and whether they are patterns.
    @inline(__always) static func channelPositions(_ spec: CommandSpec, _ argc: Int) -> (ClosedRange<Int>, Bool)? {
        guard let ch = spec.channels, ch.first < argc else { return nil }
        let end = ch.last == 0 ? ch.first : (ch.last < 0 ? argc + ch.last : min(ch.last, argc - 1))
        guard end >= ch.first else { return nil }
        return (ch.first...end, ch.kind == .pattern)
    }

    /// Checks one selector: command bits, then keys, then channels (Redis's order).
    @inline(__always)
    func check(_ s: ACLSelector, _ spec: CommandSpec, _ argv: [Bytes], keys: inout [(Int, KeySpec)]?) -> (ACLDenial, Int)? {
        if !s.allCommands && !spec.flags.contains(.noAuth) && !s.allows(spec.id) {
            guard argv.count >= 2, let args = s.firstArgs[spec.id], args.contains(where: { $0.lower == argv[1].lower }) else {
                return (.command, 0)
            }
        }
        if !s.allKeys && (!spec.keySpecs.isEmpty || spec.getKeys != nil) {
            // One key at a fixed index (GET, SET without getKeys…): checked without building a list.
            if spec.getKeys == nil, spec.keySpecs.count == 1, case .index(let i) = spec.keySpecs[0].begin,
               case .range(0, _, _) = spec.keySpecs[0].find, !spec.keySpecs[0].flags.contains(.notKey)
            {
                let f = spec.keySpecs[0].flags
                if i < argv.count && !s.keyAllowed(argv[i], read: f.contains(.access),
                                                   write: !f.isDisjoint(with: [.insert, .update, .delete])) {
                    return (.key, i)
                }
            } else {
                if keys == nil { keys = spec.keyPositions(argv) }
            for (pos, ks) in keys! {
                let f = ks.flags
                let read = f.contains(.access)
                let write = !f.isDisjoint(with: [.insert, .update, .delete])
                if !s.keyAllowed(argv[pos], read: read, write: write) { return (.key, pos) }
            }
            }
        }
        if !s.allChannels, let (range, isPattern) = AccessControl.channelPositions(spec, argv.count) {
            for pos in range where !s.channelAllowed(argv[pos], isPattern: isPattern) { return (.channel, pos) }
        }
        return nil
    }

    /// nil when the user may run argv; else the reason and the argument position to report.
    public func check(_ user: ACLUser, _ spec: CommandSpec, _ argv: [Bytes]) -> (ACLDenial, Int)? {
        if user.unrestricted { return nil }
        var keys: [(Int, KeySpec)]? = nil
        guard var worst = check(user.root, spec, argv, keys: &keys) else { return nil }
        for s in user.selectors {
            guard let r = check(s, spec, argv, keys: &keys) else { return nil }
            if r.0 > worst.0 || (r.0 == worst.0 && r.1 > worst.1) { worst = r }
        }
        return worst
    }

    /// The SORT BY/GET rule: some selector allows the command with read access to every key.
    public func hasFullKeyAccess(_ client: Client, _ spec: CommandSpec, _ argv: [Bytes]) -> Bool {
        guard let u = user(of: client) else { return false }
        if u.unrestricted { return true }
        for s in [u.root] + u.selectors where s.hasUnrestrictedReadAccess {
            var keys: [(Int, KeySpec)]? = nil
            if check(s, spec, argv, keys: &keys) == nil { return true }
        }
        return false
    }

    /// The Dispatcher gate: NOAUTH, then the user's permissions (first gate on every path).
    public func gate(_ client: Client, _ spec: CommandSpec, _ argv: [Bytes]) -> RESPValue? {
        if !client.authenticated && authRequired && !spec.flags.contains(.noAuth) {
            return .error("NOAUTH Authentication required.")
        }
        // An unrestricted user (the common case) passes without a reference to the user held
        // across calls, so without reference counting.
        if let u = client.aclUser {
            if unsafeDowncast(u, to: ACLUser.self).unrestricted { return nil }
        } else if client.user == "default" && defaultUser.unrestricted {
            return nil
        }
        guard let user = user(of: client) else {
            return .error("NOPERM this user has no permissions to run the '\(spec.fullName)' command")
        }
        if user.unrestricted { return nil }
        guard let (reason, pos) = check(user, spec, argv) else { return nil }
        let context = Self.context(client)
        client.lastSpec = spec  // CLIENT LIST's cmd= in the log entry, as Redis shows it
        let object = reason == .command ? spec.fullName : String(decoding: argv[pos], as: UTF8.self)
        addLog(client, reason, object: object, username: user.name, context: context)
        return Self.denialReply(reason, spec, context: context, inExec: client.executionContext == .multi && client.multi == nil)
    }

    static func context(_ client: Client) -> ExecutionContext {
        if client.executionContext != .toplevel { return client.executionContext }
        if client.kind == "lua" { return .lua }
        return client.multi != nil ? .multi : .toplevel
    }

    static func denialReply(_ reason: ACLDenial, _ spec: CommandSpec, context: ExecutionContext, inExec: Bool) -> RESPValue {
        if context == .lua {
            switch reason {
            case .command: return .error("ERR The user executing the script can't run this command or subcommand")
            case .key: return .error("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments")
            default: return .error("ERR The user executing the script can't publish to the channel mentioned in the command")
            }
        }
        if inExec {
            let why: String
            switch reason {
            case .command: why = "no permission to execute the command or subcommand"
            case .key: why = "no permission to touch the specified keys"
            default: why = "no permission to access one of the channels used as arguments"
            }
            return .error("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: \(why)")
        }
        switch reason {
        case .command: return .error("NOPERM this user has no permissions to run the '\(spec.fullName)' command")
        case .key: return .error("NOPERM this user has no permissions to access one of the keys used as arguments")
        default: return .error("NOPERM this user has no permissions to access one of the channels used as arguments")
        }
    }

    func addLog(_ client: Client, _ reason: ACLDenial, object: String, username: String, context: ExecutionContext? = nil) {
        log.add(ACLLog.Entry(
            count: 1, reason: reason, context: context ?? Self.context(client), object: object, username: username,
            created: Engine.wallClockMs(), clientInfo: clientInfo(client)))
    }
}
