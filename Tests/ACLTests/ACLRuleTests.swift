import Testing
@testable import ACL
@testable import Engine
import RESP

/// An ACL over the builtin command table plus AUTH/ACL.
private func makeACL() -> AccessControl {
    let engine = Engine()
    let acl = AccessControl(engine: engine)
    engine.register(ACLCommands.specs(acl))
    return acl
}

private func b(_ s: String) -> Bytes { Bytes(s) }
private func rules(_ s: [String]) -> [Bytes] { s.map(b) }

private func line(_ acl: AccessControl, _ name: String) -> String {
    acl.list().first { $0.hasPrefix("user \(name) ") }!
}

private func spec(_ acl: AccessControl, _ argv: [String]) -> CommandSpec {
    let d = Dispatcher(engine: acl.engine)
    guard case .success(let s) = d.resolve(argv.map(b)) else { fatalError("bad argv \(argv)") }
    return s
}

private func denial(_ acl: AccessControl, _ user: String, _ argv: [String]) -> ACLDenial? {
    acl.check(acl.user(user)!, spec(acl, argv), argv.map(b))?.0
}

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("a".utf8)) == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb")
        #expect(SHA256.hex(Array(String(repeating: "a", count: 1000).utf8)).count == 64)
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func constantTimeCompare() {
        #expect(SHA256.constantTimeEqual([1, 2], [1, 2]))
        #expect(!SHA256.constantTimeEqual([1, 2], [1, 3]))
        #expect(!SHA256.constantTimeEqual([1], [1, 2]))
    }
}

@Suite struct ACLRuleParserTests {
    @Test func defaultUser() {
        let acl = makeACL()
        #expect(line(acl, "default") == "user default on nopass ~* &* +@all")
        #expect(acl.defaultUser.unrestricted)
        #expect(!acl.authRequired)
    }

    @Test func newUserIsOffWithNothing() throws {
        let acl = makeACL()
        try acl.setUser("z", [])
        #expect(line(acl, "z") == "user z off resetchannels -@all")
    }

    @Test func fullRuleSetDescription() throws {
        let acl = makeACL()
        try acl.setUser("u1", rules(["on", ">p1", "~foo:*", "%R~r:*", "&ch:*", "+get", "+set", "+object|encoding", "(~sel:* +hget)"]))
        let l = line(acl, "u1")
        #expect(l.hasPrefix("user u1 on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~foo:* %R~r:* resetchannels &ch:* -@all "))
        #expect(l.hasSuffix(" (~sel:* resetchannels -@all +hget)"))
        for cmd in ["+get", "+set", "+object|encoding"] { #expect(l.contains(cmd)) }
    }

    @Test(arguments: [
        (["%R~x", "%W~x"], "~x"), (["%WR~x"], "~x"), (["%r~x"], "%R~x"), (["%R~"], "%R~"),
        (["~a", "allkeys"], "~*"), (["allkeys", "resetkeys", "~b"], "~b"), (["%W~k"], "%W~k"),
    ])
    func keyPatterns(_ r: [String], _ keys: String) throws {
        let acl = makeACL()
        try acl.setUser("z", rules(r))
        #expect(acl.user("z")!.root.describeKeys() == keys)
    }

    @Test func channels() throws {
        let acl = makeACL()
        try acl.setUser("z", rules(["allchannels", "resetchannels", "&a", "&a", "&b*"]))
        #expect(acl.user("z")!.root.describeChannels() == "&a &b*")
        try acl.setUser("z", rules(["allchannels"]))
        #expect(acl.user("z")!.root.describeChannels() == "&*")
    }

    @Test func passwords() throws {
        let acl = makeACL()
        try acl.setUser("z", rules([">a", ">b", "<a"]))
        #expect(acl.user("z")!.passwords == [SHA256.hex(Array("b".utf8))])
        #expect(acl.user("z")!.checkPassword(b("b")))
        #expect(!acl.user("z")!.checkPassword(b("a")))
        try acl.setUser("z", rules(["nopass"]))
        #expect(acl.user("z")!.nopass && acl.user("z")!.passwords.isEmpty)
        try acl.setUser("z", rules([">x"]))
        #expect(!acl.user("z")!.nopass)
        try acl.setUser("z", rules(["#" + SHA256.hex(Array("h".utf8))]))
        #expect(acl.user("z")!.checkPassword(b("h")))
        try acl.setUser("z", rules(["!" + SHA256.hex(Array("h".utf8)), "resetpass"]))
        #expect(acl.user("z")!.passwords.isEmpty && !acl.user("z")!.nopass)
    }

    @Test func flagsAndReset() throws {
        let acl = makeACL()
        try acl.setUser("z", rules(["ON", "NOPASS", "skip-sanitize-payload"]))
        #expect(acl.user("z")!.flagNames == ["on", "nopass", "skip-sanitize-payload"])
        try acl.setUser("z", rules(["~a", "&b", "+get", "reset"]))
        #expect(line(acl, "z") == "user z off sanitize-payload resetchannels -@all")
    }

    @Test func selectorsAndClear() throws {
        let acl = makeACL()
        try acl.setUser("z", rules(["(~a +get)", "(~b)", "clearselectors", "(&c)"]))
        #expect(line(acl, "z") == "user z off resetchannels -@all (resetchannels &c -@all)")
        try acl.setUser("y", rules(["(~a", "+get)"]))
        #expect(acl.user("y")!.selectors.count == 1)
    }

    @Test(arguments: [
        (["+get", "-get"], "-@all"), (["+object|encoding", "+object"], "-@all +object"),
        (["+object|encoding", "-object"], "-@all"), (["+select|0", "+select"], "-@all +select"),
        (["allcommands", "-get", "nocommands", "+get"], "-@all +get"), (["+@all", "-@all"], "-@all"),
        (["+get", "+@all"], "+@all"), (["-@all", "-get"], "-@all"), (["+GET"], "-@all +get"),
        (["+select|0"], "-@all +select|0"), (["+@all", "-get"], "+@all -get"),
        (["+@all", "-@dangerous", "-@admin"], "+@all -@dangerous"),
    ])
    func commandDescriptions(_ r: [String], _ want: String) throws {
        let acl = makeACL()
        try acl.setUser("z", rules(r))
        #expect(acl.user("z")!.root.describeCommands(acl.universe) == want)
    }

    @Test(arguments: [
        (["bogus"], "Error in ACL SETUSER modifier 'bogus': Syntax error"),
        (["+nosuch"], "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"),
        (["+@nosuch"], "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"),
        (["%X~a"], "Error in ACL SETUSER modifier '%X~a': Syntax error"),
        (["%~x"], "Error in ACL SETUSER modifier '%~x': Syntax error"),
        (["%RR~x"], "Error in ACL SETUSER modifier '%RR~x': Syntax error"),
        (["(~a"], "Unmatched parenthesis in acl selector starting at '(~a'."),
        (["#abc"], "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"),
        (["<zz"], "Error in ACL SETUSER modifier '<zz': The password you are trying to remove from the user does not exist"),
        (["~*", "~a"], "Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"),
        (["&*", "&a"], "Error in ACL SETUSER modifier '&a': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"),
        (["(on)"], "Error in ACL SETUSER modifier '(on)': Syntax error"),
        (["-select|0"], "Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"),
        (["+client|nosuch"], "Error in ACL SETUSER modifier '+client|nosuch': Unknown command or category name in ACL"),
    ])
    func errorTexts(_ r: [String], _ message: String) {
        let acl = makeACL()
        #expect(throws: RedisError(message)) { try acl.setUser("bad", rules(r)) }
        #expect(acl.user("bad") == nil)
    }

    @Test func failedSetUserChangesNothing() throws {
        let acl = makeACL()
        try acl.setUser("z", rules(["on", "~a", "+get"]))
        let before = line(acl, "z")
        #expect(throws: RedisError.self) { try acl.setUser("z", rules(["~b", "+nosuch"])) }
        #expect(line(acl, "z") == before)
    }

    @Test func canonicalRulesRebuildTheUser() throws {
        let acl = makeACL()
        try acl.setUser("z", rules(["on", ">p", "~a:*", "%R~b:*", "&c", "+@hash", "-hdel", "+select|1", "(~s:* +set)"]))
        let canonical = acl.user("z")!.canonicalRules(acl.universe)
        try acl.setUser("copy", canonical)
        try acl.setUser("z", canonical)  // applied over the existing user: same result
        #expect(line(acl, "copy").dropFirst("user copy ".count) == line(acl, "z").dropFirst("user z ".count))
    }
}

@Suite struct ACLCheckTests {
    @Test func commandKeyChannelChecks() throws {
        let acl = makeACL()
        try acl.setUser("u", rules(["on", "nopass", "~a:*", "%R~r:*", "%W~w:*", "+get", "+set", "+copy", "+exists"]))
        #expect(denial(acl, "u", ["get", "a:1"]) == nil)
        #expect(denial(acl, "u", ["get", "b"]) == .key)
        #expect(denial(acl, "u", ["del", "a:1"]) == .command)
        #expect(denial(acl, "u", ["get", "r:1"]) == nil)
        #expect(denial(acl, "u", ["set", "r:1", "v"]) == .key)
        #expect(denial(acl, "u", ["set", "w:1", "v"]) == nil)
        #expect(denial(acl, "u", ["set", "w:1", "v", "GET"]) == .key)  // GET needs read access too
        #expect(denial(acl, "u", ["get", "w:1"]) == .key)
        #expect(denial(acl, "u", ["exists", "w:1"]) == nil)  // neither read nor write: any pattern
        #expect(denial(acl, "u", ["copy", "r:1", "w:1"]) == nil)
        #expect(denial(acl, "u", ["copy", "w:1", "r:1"]) == .key)
    }

    @Test func selectorsAreAlternatives() throws {
        let acl = makeACL()
        try acl.setUser("u", rules(["on", "nopass", "~a:*", "+get", "(~b:* +set)"]))
        #expect(denial(acl, "u", ["get", "a:1"]) == nil)
        #expect(denial(acl, "u", ["set", "b:1", "v"]) == nil)
        #expect(denial(acl, "u", ["set", "a:1", "v"]) == .key)  // highest reason across selectors
        #expect(denial(acl, "u", ["get", "b:1"]) == .key)
        #expect(denial(acl, "u", ["del", "b:1"]) == .command)
    }

    @Test func firstArgsAndSubcommands() throws {
        let acl = makeACL()
        try acl.setUser("u", rules(["on", "nopass", "allkeys", "+select|0", "+object|encoding"]))
        #expect(denial(acl, "u", ["select", "0"]) == nil)
        #expect(denial(acl, "u", ["select", "1"]) == .command)
        #expect(denial(acl, "u", ["object", "encoding", "k"]) == nil)
        #expect(denial(acl, "u", ["object", "freq", "k"]) == .command)
        #expect(denial(acl, "u", ["auth", "x"]) == nil)  // no-auth commands always run
    }

    @Test func sortStoreKeyAndFullKeyAccess() throws {
        let acl = makeACL()
        try acl.setUser("u", rules(["on", "nopass", "~a:*", "+@all"]))
        #expect(denial(acl, "u", ["sort", "a:1", "store", "b:1"]) == .key)
        #expect(denial(acl, "u", ["sort", "a:1", "store", "b:1", "store", "a:2"]) == nil)
        #expect(denial(acl, "u", ["sort", "a:1", "get", "store"]) == nil)
        let c = Client(id: 1)
        c.aclUser = acl.user("u")
        #expect(!acl.hasFullKeyAccess(c, spec(acl, ["sort", "a:1"]), rules(["sort", "a:1"])))
        try acl.setUser("u", rules(["%R~*"]))
        #expect(acl.hasFullKeyAccess(c, spec(acl, ["sort", "a:1"]), rules(["sort", "a:1"])))
    }

    @Test func categoriesIncludeImpliedOnes() throws {
        let acl = makeACL()
        try acl.setUser("u", rules(["on", "nopass", "allkeys", "+@write"]))
        #expect(denial(acl, "u", ["set", "k", "v"]) == nil)
        #expect(denial(acl, "u", ["get", "k"]) == .command)
        try acl.setUser("u", rules(["-@all", "+@fast"]))
        #expect(denial(acl, "u", ["get", "k"]) == nil)
        #expect(denial(acl, "u", ["keys", "*"]) == .command)
    }

    @Test func gateTextsPerContextAndLog() throws {
        let acl = makeACL()
        try acl.setUser("u", rules(["on", "nopass", "~a:*", "+get"]))
        let c = Client(id: 7)
        c.aclUser = acl.user("u")
        c.user = "u"
        let s = spec(acl, ["get", "b"])
        #expect(acl.gate(c, s, rules(["get", "b"])) == .error("NOPERM this user has no permissions to access one of the keys used as arguments"))
        c.kind = "lua"
        #expect(acl.gate(c, s, rules(["get", "b"])) == .error("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"))
        c.kind = "normal"
        c.executionContext = .multi
        #expect(acl.gate(c, s, rules(["get", "b"]))?.isError == true)
        #expect(acl.log.entries.count == 3)
        #expect(acl.log.entries.map(\.context) == [.multi, .lua, .toplevel])
        #expect(acl.log.entries.allSatisfy { $0.object == "b" && $0.username == "u" })
    }

    @Test func logGroupsAndTrims() {
        var log = ACLLog()
        log.maxLength = 2
        func e(_ o: String, _ t: Int64) -> ACLLog.Entry {
            ACLLog.Entry(count: 1, reason: .key, context: .toplevel, object: o, username: "u", created: t, clientInfo: "")
        }
        log.add(e("a", 0))
        log.add(e("a", 1000))
        #expect(log.entries.count == 1 && log.entries[0].count == 2)
        log.add(e("a", 100_000))  // past 60 s: a new entry
        log.add(e("b", 100_001))
        #expect(log.entries.map(\.object) == ["b", "a"])
    }

    @Test func noauthForUnauthenticatedClients() throws {
        let acl = makeACL()
        try acl.setUser("default", rules(["resetpass", ">pw"]))
        #expect(acl.authRequired)
        let c = Client(id: 3)
        acl.clientConnected(c)
        #expect(acl.gate(c, spec(acl, ["get", "k"]), rules(["get", "k"])) == .error("NOAUTH Authentication required."))
        #expect(acl.gate(c, spec(acl, ["auth", "pw"]), rules(["auth", "pw"])) == nil)
        #expect(throws: RedisError("WRONGPASS", "invalid username-password pair or user is disabled.")) {
            try acl.authenticate(c, user: b("default"), password: b("bad"), object: "auth")
        }
        try acl.authenticate(c, user: b("default"), password: b("pw"), object: "auth")
        #expect(acl.gate(c, spec(acl, ["get", "k"]), rules(["get", "k"])) == nil)
    }
}
