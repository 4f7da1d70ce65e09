import Engine
import Foundation
import NIOCore
import RESP
import Testing

@testable import PubSub

/// An engine with the pub/sub commands, a hub whose deliveries are recorded, and clients.
final class PubSubFixture {
    let engine = Engine()
    let dispatcher: Dispatcher
    let hub = PubSubHub()
    var delivered: [PubSubHub.Delivery] = []

    init(notify: String = "") {
        dispatcher = Dispatcher(engine: engine)
        engine.register(PubSubCommands.specs(hub))
        dispatcher.insertGate(PubSubCommands.subscribedModeGate)
        hub.attach(to: engine)
        hub.notifyFlags = NotifyFlags(parsing: notify)!
        hub.deliver = { [unowned self] d in self.delivered.append(contentsOf: d) }
    }

    func client(_ resp: RESPVersion = .resp2) -> Client {
        let c = engine.newClient()
        c.resp = resp
        return c
    }

    @discardableResult
    func run(_ c: Client, _ words: String...) -> RESPValue {
        engine.beginExecution()
        hub.executingClient = c.id
        let r = dispatcher.execute(words.map { Bytes($0) }, client: c)
        engine.commitEffects()
        hub.executingClient = -1
        return r
    }

    /// Text of every message delivered to `client`, in order.
    func received(_ c: Client) -> [String] {
        hub.flush(barrier: 0)
        return delivered.filter { $0.client == c.id }.flatMap { Self.messages($0.buffers) }
    }

    /// Splits delivered buffers into messages (each an array or push of bulk strings).
    static func messages(_ buffers: [ByteBuffer]) -> [String] {
        var bytes: [UInt8] = []
        for b in buffers { bytes += b.readableBytesView }
        var out: [String] = []
        var i = 0
        func line() -> Int {
            let start = i
            while bytes[i] != 13 { i += 1 }
            let n = Int(String(decoding: bytes[(start + 1)..<i], as: UTF8.self))!
            i += 2
            return n
        }
        while i < bytes.count {
            let start = i
            for _ in 0..<line() { i += line() + 2 }
            out.append(String(decoding: bytes[start..<i], as: UTF8.self))
        }
        return out
    }
}

func raw(_ v: RESPValue) -> String {
    guard case .raw(let b) = v else { return "not raw: \(v)" }
    return String(decoding: b, as: UTF8.self)
}

@Suite("Pub/Sub registry", .timeLimit(.minutes(1)))
struct PubSubRegistryTests {
    @Test func subscribeCountsAndClientCounters() {
        let f = PubSubFixture()
        let c = f.client()
        #expect(f.hub.registry.subscribe(c, .channel, Bytes("a")))
        #expect(!f.hub.registry.subscribe(c, .channel, Bytes("a")))
        f.hub.registry.subscribe(c, .pattern, Bytes("n*"))
        f.hub.registry.subscribe(c, .shard, Bytes("s"))
        #expect(c.subscriptions == 1 && c.patternSubscriptions == 1 && c.shardSubscriptions == 1)
        #expect(c.kind == "pubsub" && c.isSubscribed)
        f.hub.registry.removeAll(c)
        #expect(c.subscriptions == 0 && c.patternSubscriptions == 0 && c.shardSubscriptions == 0)
        #expect(c.kind == "normal" && !c.isSubscribed)
        #expect(f.hub.registry.counts.channels == 0 && f.hub.registry.counts.patterns == 0 && f.hub.registry.counts.shardChannels == 0)
    }

    @Test func publishSeesSubscriptionsMadeAfterItsLastLookup() {
        // PUBLISH remembers the last channel it looked up: (un)subscribing must not be missed.
        let f = PubSubFixture()
        let pub = f.client(), a = f.client(), b = f.client()
        #expect(f.run(pub, "PUBLISH", "ch", "1") == .integer(0))
        f.run(a, "SUBSCRIBE", "ch")
        #expect(f.run(pub, "PUBLISH", "ch", "2") == .integer(1))
        f.run(b, "SUBSCRIBE", "ch")
        #expect(f.run(pub, "PUBLISH", "ch", "3") == .integer(2))
        f.run(a, "UNSUBSCRIBE", "ch")
        f.run(b, "UNSUBSCRIBE", "ch")
        #expect(f.run(pub, "PUBLISH", "ch", "4") == .integer(0))
        f.run(b, "SUBSCRIBE", "ch")
        #expect(f.run(pub, "PUBLISH", "ch", "5") == .integer(1))
        #expect(f.received(a).filter { $0.contains("message") }.count == 2)
        let toB = f.received(b).filter { $0.contains("message") }
        #expect(toB.count == 2 && toB[0].hasSuffix("3\r\n") && toB[1].hasSuffix("5\r\n"))
    }

    @Test func activeChannelsFilterWithGlob() {
        let f = PubSubFixture()
        let c = f.client()
        for ch in ["news.a", "news.b", "sport"] { f.hub.registry.subscribe(c, .channel, Bytes(ch)) }
        #expect(Set(f.hub.registry.activeChannels(shard: false, matching: Bytes("news.*")).map(\.text)) == ["news.a", "news.b"])
        #expect(f.hub.registry.activeChannels(shard: false, matching: nil).count == 3)
        #expect(f.hub.registry.activeChannels(shard: true, matching: nil).isEmpty)
    }
}

@Suite("Pub/Sub commands and fan-out", .timeLimit(.minutes(1)))
struct PubSubCommandTests {
    @Test func subscribeRepliesInBothProtocols() {
        let f = PubSubFixture()
        let c2 = f.client(.resp2)
        #expect(raw(f.run(c2, "SUBSCRIBE", "a", "b")) == "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n")
        #expect(raw(f.run(c2, "PSUBSCRIBE", "x*")) == "*3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:3\r\n")
        let c3 = f.client(.resp3)
        #expect(raw(f.run(c3, "UNSUBSCRIBE")) == ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n")
        #expect(raw(f.run(c3, "SSUBSCRIBE", "s")) == ">3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n")
    }

    @Test func unsubscribeWithoutArgumentsDropsAll() {
        let f = PubSubFixture()
        let c = f.client()
        f.run(c, "SUBSCRIBE", "a", "b")
        f.run(c, "PSUBSCRIBE", "p*")
        #expect(raw(f.run(c, "UNSUBSCRIBE")) == "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:1\r\n")
        #expect(raw(f.run(c, "UNSUBSCRIBE")) == "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n")
        #expect(raw(f.run(c, "PUNSUBSCRIBE")) == "*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n")
    }

    @Test func subscribedModeRulesForRESP2() {
        let f = PubSubFixture()
        let c = f.client()
        f.run(c, "SUBSCRIBE", "a")
        #expect(f.run(c, "GET", "k") == .error("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"))
        #expect(f.run(c, "PUBSUB", "NUMPAT") == .error("ERR Can't execute 'pubsub|numpat': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"))
        #expect(f.run(c, "PING") == .array([.bulk("pong"), .bulk("")]))
        #expect(f.run(c, "PING", "hi") == .array([.bulk("pong"), .bulk("hi")]))
        let c3 = f.client(.resp3)
        f.run(c3, "SUBSCRIBE", "a")
        #expect(f.run(c3, "GET", "k") == .null)
        #expect(f.run(c3, "PING") == .simple("PONG"))
    }

    @Test func publishFansOutToChannelsAndPatternsWithSharedBuffers() {
        let f = PubSubFixture()
        let a = f.client(), b = f.client(), p = f.client(.resp3), pub = f.client()
        f.run(a, "SUBSCRIBE", "news")
        f.run(b, "SUBSCRIBE", "news")
        f.run(p, "PSUBSCRIBE", "n[a-z]w?")
        #expect(f.run(pub, "PUBLISH", "news", "hello") == .integer(3))
        #expect(f.run(pub, "PUBLISH", "other", "x") == .integer(0))
        #expect(f.received(a) == ["*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"])
        #expect(f.received(p) == [">4\r\n$8\r\npmessage\r\n$8\r\nn[a-z]w?\r\n$4\r\nnews\r\n$5\r\nhello\r\n"])
        // Small messages are copied into one buffer per subscriber; a large one is encoded
        // once per protocol and shared by the subscribers using it.
        f.delivered = []
        let big = String(repeating: "x", count: 2000)
        f.run(pub, "PUBLISH", "news", "small")
        f.run(pub, "PUBLISH", "news", big)
        f.run(pub, "PUBLISH", "news", "again")
        #expect(f.received(a) == f.received(b))
        #expect(f.received(a).count == 3)
        let toA = f.delivered.first { $0.client == a.id }!.buffers
        let toB = f.delivered.first { $0.client == b.id }!.buffers
        #expect(toA.count == 3 && toB.count == 3)
        toA[1].withUnsafeReadableBytes { x in
            toB[1].withUnsafeReadableBytes { y in #expect(x.baseAddress == y.baseAddress) }
        }
        toA[0].withUnsafeReadableBytes { x in
            toB[0].withUnsafeReadableBytes { y in #expect(x.baseAddress != y.baseAddress) }
        }
        #expect(f.run(pub, "PUBSUB", "NUMSUB", "news", "none") == .array([.bulk("news"), .integer(2), .bulk("none"), .integer(0)]))
        #expect(f.run(pub, "PUBSUB", "NUMPAT") == .integer(1))
        #expect(f.run(pub, "PUBSUB", "CHANNELS") == .array([.bulk("news")]))
    }

    @Test func shardChannelsAreSeparate() {
        let f = PubSubFixture()
        let s = f.client(), pub = f.client()
        f.run(s, "SSUBSCRIBE", "orders")
        #expect(f.run(pub, "PUBLISH", "orders", "x") == .integer(0))
        #expect(f.run(pub, "SPUBLISH", "orders", "y") == .integer(1))
        #expect(f.received(s) == ["*3\r\n$8\r\nsmessage\r\n$6\r\norders\r\n$1\r\ny\r\n"])
        #expect(f.run(pub, "PUBSUB", "SHARDNUMSUB", "orders") == .array([.bulk("orders"), .integer(1)]))
        #expect(f.run(pub, "PUBSUB", "SHARDCHANNELS", "o*") == .array([.bulk("orders")]))
    }

    @Test func ownMessagesJoinTheRepliesAndBarriersKeepOrder() {
        let f = PubSubFixture()
        let c = f.client(.resp3), other = f.client(.resp3)
        f.run(c, "SUBSCRIBE", "ch")
        f.run(other, "SUBSCRIBE", "ch")
        f.run(c, "PUBLISH", "ch", "1")
        var out = ByteBufferAllocator().buffer(capacity: 64)
        f.hub.takeOwn(into: &out)
        #expect(String(buffer: out) == ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\n1\r\n")
        f.hub.seal(7)
        f.run(c, "PUBLISH", "ch", "2")
        f.hub.takeOwn(into: &out)
        f.hub.seal(7)
        f.run(other, "PUBLISH", "ch", "3")
        var scratch = ByteBufferAllocator().buffer(capacity: 64)
        f.hub.takeOwn(into: &scratch)
        f.hub.seal(0)
        f.hub.flush(barrier: 99)
        #expect(f.delivered.map(\.barrier) == [7, 0])
        #expect(f.delivered[0].client == other.id && PubSubFixture.messages(f.delivered[0].buffers).count == 2)
        #expect(f.delivered[1].client == c.id && PubSubFixture.messages(f.delivered[1].buffers).count == 1)
    }

    @Test func messagesOfCommandsWithDifferentBarriersGoOutSeparately() {
        let f = PubSubFixture()
        let s = f.client(), pub = f.client()
        f.run(s, "SUBSCRIBE", "ch")
        f.hub.seal(0)
        for (text, barrier) in [("a", UInt64(5)), ("b", 6), ("c", 6), ("d", 2)] {
            f.run(pub, "PUBLISH", "ch", text)
            f.hub.seal(barrier)
        }
        f.hub.flush(barrier: 0)
        #expect(f.delivered.map(\.barrier) == [5, 6, 2])
        #expect(f.delivered.map { PubSubFixture.messages($0.buffers).count } == [1, 2, 1])
        #expect(f.received(s).map { String(decoding: $0.utf8.dropLast(2).suffix(1), as: UTF8.self) } == ["a", "b", "c", "d"])
    }

    @Test func channelSpecsForACL() {
        let f = PubSubFixture()
        let argv = ["subscribe", "a", "b"].map { Bytes($0) }
        #expect(f.engine.table.lookup(Bytes("subscribe"))?.channels?.channels(argv).map(\.text) == ["a", "b"])
        #expect(f.engine.table.lookup(Bytes("psubscribe"))?.channels?.kind == .pattern)
        let pub = ["publish", "ch", "msg"].map { Bytes($0) }
        #expect(f.engine.table.lookup(Bytes("publish"))?.channels?.channels(pub).map(\.text) == ["ch"])
        #expect(f.engine.table.lookup(Bytes("unsubscribe"))?.channels == nil)
    }
}

@Suite("Keyspace notifications", .timeLimit(.minutes(1)))
struct KeyspaceNotificationTests {
    @Test func flagsParseAndPrintAsRedis() {
        let cases: [(String, String)] = [
            ("AKn", "AK"), ("KEA", "AKE"), ("", ""), ("gx", "gx"), ("Kz", "zK"), ("Ag$lshzxeKEtmdn", "AKEm"),
            ("KEm", "KEm"), ("g$lshzxetdKE", "AKE"), ("Elt", "ltE"),
        ]
        for (input, canonical) in cases {
            #expect(NotifyFlags(parsing: input)?.text == canonical, "\(input)")
        }
        #expect(NotifyFlags(parsing: "Q") == nil)
        #expect(!NotifyFlags(parsing: "A")!.publishes(.generic))
        #expect(NotifyFlags(parsing: "Eg")!.publishes(.generic))
        #expect(!NotifyFlags(parsing: "Eg")!.publishes(.string))
    }

    @Test func stringAndKeyEventsReachSubscribers() {
        let f = PubSubFixture(notify: "KEA")
        let sub = f.client(), w = f.client()
        f.run(sub, "PSUBSCRIBE", "__key*__:*")
        f.run(w, "SET", "k", "1")
        f.run(w, "INCRBY", "k", "2")
        f.run(w, "APPEND", "k", "x")
        f.run(w, "EXPIRE", "k", "100")
        f.run(w, "RENAME", "k", "k2")
        f.run(w, "DEL", "k2")
        let events = f.received(sub).compactMap { m -> String? in
            guard m.contains("__keyevent@0__:") else { return nil }
            return m.components(separatedBy: "__keyevent@0__:")[1].components(separatedBy: "\r\n")[0]
        }
        #expect(events == ["set", "incrby", "append", "expire", "rename_from", "rename_to", "del"])
    }

    @Test func disabledClassesAreNotPublished() {
        let f = PubSubFixture(notify: "Kg")
        let sub = f.client(), w = f.client()
        f.run(sub, "PSUBSCRIBE", "*")
        f.run(w, "SET", "k", "1")
        f.run(w, "DEL", "k")
        #expect(f.received(sub) == ["*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$16\r\n__keyspace@0__:k\r\n$3\r\ndel\r\n"])
    }
}

@Suite("Output buffer limits", .timeLimit(.minutes(1)))
struct OutputBufferLimitTests {
    @Test func parseMergeAndPrintAsRedis() throws {
        let d = OutputBufferLimits()
        #expect(d.text == "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        let l = try d.applying(["pubsub", "1mb", "512kb", "10"])
        #expect(l.text == "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10")
        let m = try l.applying(["replica", "1k", "2k", "3", "normal", "1", "2", "3"])
        #expect(m.text == "normal 1 2 3 slave 1000 2000 3 pubsub 1048576 524288 10")
        #expect(throws: OutputBufferLimits.LimitError.self) { try d.applying(["foo", "1", "2", "3"]) }
        #expect(throws: OutputBufferLimits.LimitError.self) { try d.applying(["pubsub", "1", "2"]) }
        #expect(throws: OutputBufferLimits.LimitError.self) { try d.applying(["pubsub", "x", "2", "3"]) }
        #expect(throws: OutputBufferLimits.LimitError.self) { try d.applying(["pubsub", "1", "2", "-3"]) }
        #expect(OutputBufferLimits(text: m.text) == m)
    }

    @Test func hardAndSoftLimits() {
        var t = OutputBufferTracker()
        let limit = OutputBufferLimits.Limit(hard: 1000, soft: 100, softSeconds: 2)
        func check(_ queued: Int64, _ now: Int64) -> Bool { t.exceeds(limit, queued: queued, nowMs: now) }
        #expect(check(1000, 0))
        #expect(!check(200, 10_000))
        #expect(!check(200, 12_000))
        #expect(check(200, 12_001))
        #expect(!check(50, 13_000))
        #expect(t.softLimitReachedAt == 0)
    }
}
