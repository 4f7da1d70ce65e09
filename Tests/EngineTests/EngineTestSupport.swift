import RESP
import Testing

@testable import Engine

/// Runs one command as a top-level execution and returns its reply. Effects accumulate in
/// `engine.pendingEffects` until the test takes them.
@discardableResult
func run(_ engine: Engine, _ client: Client, _ words: String...) -> RESPValue {
    run(engine, client, words.map { Bytes($0) })
}

@discardableResult
func run(_ engine: Engine, _ client: Client, _ argv: [Bytes]) -> RESPValue {
    engine.beginExecution()
    return decodingEncodedReply(Dispatcher(engine: engine).execute(argv, client: client))
}

/// A client's reply may come encoded already (`.raw`, see `RESPValue.encodedBulkArray`): tests compare values.
func decodingEncodedReply(_ reply: RESPValue) -> RESPValue {
    guard case .raw(let bytes) = reply, let value = RESPValue(encoded: bytes) else { return reply }
    return value
}

/// An engine with one client, and shortcuts to run commands and take their effects.
final class TestServer {
    let engine: Engine
    let client: Client
    /// Every (db, key) signalled through `Engine.keyChanged`, in order.
    var changed: [(Int, String)] = []

    init(settings: EngineSettings = EngineSettings()) {
        engine = Engine(settings: settings)
        client = engine.newClient()
        engine.trackChangedKeys = true
    }

    @discardableResult
    func callAsFunction(_ words: String...) -> RESPValue { call(words.map { Bytes($0) }) }

    /// Runs a command; the keys it changed (`Engine.changedKeys`, reset when a command begins)
    /// are added to `changed`.
    @discardableResult
    func call(_ argv: [Bytes]) -> RESPValue {
        let reply = run(engine, client, argv)
        changed += engine.changedKeys.map { ($0.db, $0.key.text) }
        return reply
    }

    /// The effects logged since the last call, as (db, words); clears them.
    func effects() -> [Effect] {
        defer { engine.pendingEffects.removeAll() }
        return engine.pendingEffects
    }

    /// The effects' argv as strings, all in one list (for single-db tests).
    func effectWords() -> [[String]] { effects().map { $0.argv.map(\.text) } }

    func entry(_ key: String, db: Int? = nil) -> Entry? { engine.databases[db ?? client.db].raw(Bytes(key)) }

    /// Makes `key` already expired without going through a command.
    func expireNow(_ key: String, db: Int? = nil) {
        engine.databases[db ?? client.db].setExpire(Bytes(key), Engine.wallClockMs() - 1000)
    }

    var now: Int64 { Engine.wallClockMs() }
}

func err(_ text: String) -> RESPValue { .error(text) }
func bulk(_ s: String) -> RESPValue { .bulk(Bytes(s)) }
func int(_ v: Int64) -> RESPValue { .integer(v) }

extension RESPValue {
    var int: Int64? {
        if case .integer(let v) = self { return v }
        return nil
    }
    var items: [RESPValue] {
        if case .array(let a) = self { return a }
        return []
    }
}
