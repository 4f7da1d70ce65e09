import Engine

/// The commands ACL rules name: the command table's specs and subcommands, by id.
struct ACLCommandUniverse {
    let top: [CommandSpec]
    let byName: [String: CommandSpec]
    let size: Int

    init(_ table: CommandTable) {
        top = table.commands.values.sorted { $0.id < $1.id }
        byName = table.commands
        size = table.nextID
    }

    /// `name` or `container|sub`.
    func lookup(_ fullName: String) -> CommandSpec? {
        let parts = fullName.lowercased().split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        guard let cmd = byName[String(parts[0])] else { return nil }
        if parts.count == 1 { return cmd }
        return cmd.subcommands.first { $0.name == parts[1] }
    }
}

/// An invalid rule: `reason` is Redis's text for it.
public struct ACLRuleError: Error, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    static let syntax = ACLRuleError("Syntax error")
    static let unknownCommand = ACLRuleError("Unknown command or category name in ACL")
    static let keyAfterAll = ACLRuleError("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
    static let channelAfterAll = ACLRuleError("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
    static let noSuchPassword = ACLRuleError("The password you are trying to remove from the user does not exist")
    static let badHash = ACLRuleError("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
}

extension ACLSelector {
    /// Allows or denies one command and, for a container, all its subcommands.
    mutating func change(_ spec: CommandSpec, _ allow: Bool, _ u: ACLCommandUniverse) {
        set(spec.id, allow, universeSize: u.size)
        firstArgs[spec.id] = nil
        for sub in spec.subcommands { set(sub.id, allow, universeSize: u.size) }
    }

    mutating func changeCategory(_ cat: ACLCategories, _ allow: Bool, _ u: ACLCommandUniverse) {
        for cmd in u.top where cmd.module == nil {
            if cmd.aclCategories.contains(cat) { change(cmd, allow, u) }
            for sub in cmd.subcommands where sub.aclCategories.contains(cat) { change(sub, allow, u) }
        }
    }

    /// Applies one selector rule (keys, channels, commands). Returns false if `rule` is not one.
    mutating func apply(_ rule: Bytes, _ u: ACLCommandUniverse, pubsubDefaultAll: Bool) throws -> Bool {
        let text = String(decoding: rule, as: UTF8.self)
        let lower = text.lowercased()
        switch lower {
        case "allkeys", "~*":
            allKeys = true
            keys = [ACLKeyPattern(pattern: [UInt8(ascii: "*")], read: true, write: true)]
            return true
        case "resetkeys":
            allKeys = false
            keys = []
            return true
        case "allchannels", "&*":
            allChannels = true
            channels = []
            return true
        case "resetchannels":
            allChannels = false
            channels = []
            return true
        case "allcommands", "+@all":
            setAll(true)
            return true
        case "nocommands", "-@all":
            setAll(false)
            return true
        default: break
        }
        guard let first = rule.first else { return false }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "%"):
            var read = true, write = true
            var offset = 1
            if first == UInt8(ascii: "%") {
                read = false
                write = false
                var closed = false
                while offset < rule.count {
                    let c = rule[offset] | 0x20
                    if c == UInt8(ascii: "r") && !read { read = true }
                    else if c == UInt8(ascii: "w") && !write { write = true }
                    else if rule[offset] == UInt8(ascii: "~") { offset += 1; closed = true; break }
                    else { throw ACLRuleError.syntax }
                    offset += 1
                }
                if !closed || !(read || write) { throw ACLRuleError.syntax }
            }
            if allKeys { throw ACLRuleError.keyAfterAll }
            let pattern = Array(rule[offset...])
            if let i = keys.firstIndex(where: { $0.pattern == pattern }) {
                keys[i].read = keys[i].read || read
                keys[i].write = keys[i].write || write
            } else {
                keys.append(ACLKeyPattern(pattern: pattern, read: read, write: write))
            }
            return true
        case UInt8(ascii: "&"):
            if allChannels { throw ACLRuleError.channelAfterAll }
            let pattern = Array(rule.dropFirst())
            if !channels.contains(pattern) { channels.append(pattern) }
            return true
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let allow = first == UInt8(ascii: "+")
            let body = String(lower.dropFirst())
            if body.hasPrefix("@") {
                guard let cat = ACLCategories.named(String(body.dropFirst())) else { throw ACLRuleError.unknownCommand }
                changeCategory(cat, allow, u)
                return true
            }
            if !body.contains("|") {
                guard let cmd = u.lookup(body) else { throw ACLRuleError.unknownCommand }
                change(cmd, allow, u)
                return true
            }
            if !allow {
                guard let cmd = u.lookup(body), cmd.container != nil else { throw ACLRuleError.unknownCommand }
                change(cmd, false, u)
                return true
            }
            let parts = body.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            guard let cmd = u.byName[String(parts[0])] else { throw ACLRuleError.unknownCommand }
            if parts[1].isEmpty || parts[1].contains("|") { throw ACLRuleError.syntax }
            if !cmd.subcommands.isEmpty {
                guard let sub = cmd.subcommands.first(where: { $0.name == parts[1] }) else { throw ACLRuleError.unknownCommand }
                change(sub, true, u)
            } else if !allows(cmd.id) {
                // A first argument of a command without subcommands (SELECT|0): Redis's firstargs.
                let arg = Array(text.utf8.split(separator: UInt8(ascii: "|"), maxSplits: 1)[1])
                var list = firstArgs[cmd.id] ?? []
                if !list.contains(where: { $0.lower == arg.lower }) { list.append(arg) }
                firstArgs[cmd.id] = list
            }
            return true
        default:
            return false
        }
    }

    // MARK: describing (ACL LIST / GETUSER)

    func describeKeys() -> String {
        if allKeys { return "~*" }
        return keys.map { p in
            let prefix = p.read && p.write ? "~" : (p.read ? "%R~" : "%W~")
            return prefix + String(decoding: p.pattern, as: UTF8.self)
        }.joined(separator: " ")
    }

    func describeChannels() -> String {
        if allChannels { return "&*" }
        return channels.map { "&" + String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// Redis's description: +@all or -@all, then the best-fitting categories (greedy), then
    /// single commands and first args so that replaying it gives exactly the same bitmap.
    func describeCommands(_ u: ACLCommandUniverse) -> String {
        var rules: [String] = []
        var fake = ACLSelector()
        let additive = !futureCommands
        fake.setAll(!additive)
        rules.append(additive ? "-@all" : "+@all")
        var temp = self
        var applied = Set<Int>()
        let cats = ACLCategories.all
        while true {
            var best = -1
            var minDiff = Int.max, maxSame = 0
            for (j, (cat, _)) in cats.enumerated() where !applied.contains(j) {
                var on = 0, off = 0
                for cmd in u.top {
                    for s in [cmd] + cmd.subcommands where s.aclCategories.contains(cat) {
                        if temp.allows(s.id) { on += 1 } else { off += 1 }
                    }
                }
                let diff = additive ? off : on
                let same = additive ? on : off
                if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
                    best = j
                    minDiff = diff
                    maxSame = same
                }
            }
            if best < 0 { break }
            let (cat, name) = cats[best]
            fake.changeCategory(cat, additive, u)
            temp.changeCategory(cat, !additive, u)
            rules.append((additive ? "+@" : "-@") + name)
            applied.insert(best)
        }
        func single(_ cmd: CommandSpec) {
            let mine = allows(cmd.id)
            if mine != fake.allows(cmd.id) {
                rules.append((mine ? "+" : "-") + cmd.fullName)
                fake.change(cmd, mine, u)
            }
            for sub in cmd.subcommands { single(sub) }
            if !mine, let args = firstArgs[cmd.id] {
                for a in args { rules.append("+" + cmd.fullName + "|" + String(decoding: a, as: UTF8.self)) }
            }
        }
        for cmd in u.top { single(cmd) }
        return rules.joined(separator: " ")
    }

    /// The selector as ACL LIST writes it.
    func describe(_ u: ACLCommandUniverse) -> String {
        var parts: [String] = []
        let k = describeKeys()
        if !k.isEmpty { parts.append(k) }
        if allChannels { parts.append("&*") } else {
            parts.append("resetchannels")
            let c = describeChannels()
            if !c.isEmpty { parts.append(c) }
        }
        parts.append(describeCommands(u))
        return parts.joined(separator: " ")
    }
}

extension ACLUser {
    static func isHash(_ s: Bytes) -> Bool {
        s.count == 64 && s.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// Applies one ACL SETUSER rule. `rule` may be a whole `(...)` selector.
    func apply(_ rule: Bytes, _ u: ACLCommandUniverse, pubsubDefaultAll: Bool) throws {
        if rule.first == UInt8(ascii: "("), rule.last == UInt8(ascii: ")"), rule.count >= 2 {
            var sel = ACLSelector()
            if pubsubDefaultAll { sel.allChannels = true }
            let inner = rule[1..<(rule.count - 1)].split(separator: UInt8(ascii: " "))
            for r in inner where !(try sel.apply(Array(r), u, pubsubDefaultAll: pubsubDefaultAll)) {
                throw ACLRuleError.syntax
            }
            selectors.append(sel)
            return
        }
        let text = String(decoding: rule, as: UTF8.self)
        switch text.lowercased() {
        case "on": enabled = true
        case "off": enabled = false
        case "nopass":
            nopass = true
            passwords = []
        case "resetpass":
            nopass = false
            passwords = []
        case "skip-sanitize-payload": sanitizePayload = false
        case "sanitize-payload": sanitizePayload = true
        case "clearselectors": selectors = []
        case "reset":
            nopass = false
            passwords = []
            root.allKeys = false
            root.keys = []
            root.allChannels = pubsubDefaultAll
            root.channels = []
            enabled = false
            sanitizePayload = true
            selectors = []
            root.setAll(false)
        default:
            switch rule.first {
            case UInt8(ascii: ">"), UInt8(ascii: "#"):
                let hash: String
                if rule.first == UInt8(ascii: ">") {
                    hash = SHA256.hex(Array(rule.dropFirst()))
                } else {
                    guard ACLUser.isHash(Array(rule.dropFirst())) else { throw ACLRuleError.badHash }
                    hash = String(decoding: rule.dropFirst(), as: UTF8.self)
                }
                if !passwords.contains(hash) { passwords.append(hash) }
                nopass = false
            case UInt8(ascii: "<"), UInt8(ascii: "!"):
                let hash: String
                if rule.first == UInt8(ascii: "<") {
                    hash = SHA256.hex(Array(rule.dropFirst()))
                } else {
                    guard ACLUser.isHash(Array(rule.dropFirst())) else { throw ACLRuleError.badHash }
                    hash = String(decoding: rule.dropFirst(), as: UTF8.self)
                }
                guard let i = passwords.firstIndex(of: hash) else { throw ACLRuleError.noSuchPassword }
                passwords.remove(at: i)
            default:
                if !(try root.apply(rule, u, pubsubDefaultAll: pubsubDefaultAll)) { throw ACLRuleError.syntax }
            }
        }
    }

    var flagNames: [String] {
        var f = [enabled ? "on" : "off"]
        if nopass { f.append("nopass") }
        if let s = sanitizePayload { f.append(s ? "sanitize-payload" : "skip-sanitize-payload") }
        return f
    }

    /// The user as ACL LIST / the ACL file write it (without the leading `user <name>`).
    func describe(_ u: ACLCommandUniverse) -> String {
        var parts = flagNames
        parts += passwords.map { "#" + $0 }
        var s = parts.joined(separator: " ") + " " + root.describe(u)
        for sel in selectors { s += " (" + sel.describe(u) + ")" }
        return s
    }

    /// Rules that rebuild this user exactly, whatever it was before (logged as SETUSER's effect).
    func canonicalRules(_ u: ACLCommandUniverse) -> [Bytes] {
        var rules: [Bytes] = [Bytes("resetpass"), Bytes("clearselectors")]
        rules += flagNames.map { Bytes($0) }
        rules += passwords.map { Bytes("#" + $0) }
        rules += root.canonicalRules(u)
        for sel in selectors {
            rules.append(Bytes("(" + sel.canonicalRules(u).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ") + ")"))
        }
        return rules
    }
}

extension ACLSelector {
    func canonicalRules(_ u: ACLCommandUniverse) -> [Bytes] {
        var rules: [Bytes] = []
        if allKeys { rules.append(Bytes("~*")) } else {
            rules.append(Bytes("resetkeys"))
            for p in keys {
                let prefix: [UInt8] = p.read && p.write ? Array("~".utf8) : (p.read ? Array("%R~".utf8) : Array("%W~".utf8))
                rules.append(prefix + p.pattern)
            }
        }
        if allChannels { rules.append(Bytes("&*")) } else {
            rules.append(Bytes("resetchannels"))
            for c in channels { rules.append([UInt8(ascii: "&")] + c) }
        }
        for r in describeCommands(u).split(separator: " ") { rules.append(Bytes(String(r))) }
        return rules
    }
}
