/// The one command table: every command, looked up by lowercase name.
public struct CommandTable: @unchecked Sendable, CoWFields {
    /// Every command looks a name up, through a copy of the table (the engine's property):
    /// behind one reference, that copy is one retain rather than one per field.
    @usableFromInline struct Fields {
        var commands: [String: CommandSpec] = [:]
        var index = CommandIndex()
        var nextID = 0
    }
    @usableFromInline var box = CoWBox(Fields())

    public private(set) var commands: [String: CommandSpec] {
        _read { yield fields.commands }
        _modify { yield &fields.commands }
    }
    /// The same specs found from the name's bytes in any case, without building a string.
    private var index: CommandIndex {
        _read { yield fields.index }
        _modify { yield &fields.index }
    }
    /// Next spec id (ids are never reused, so ACL bitmaps stay valid when commands come and go).
    public private(set) var nextID: Int {
        get { fields.nextID }
        set { fields.nextID = newValue }
    }

    public init(_ specs: [CommandSpec]) {
        add(specs)
    }

    public mutating func add(_ spec: CommandSpec) { add([spec]) }

    /// Adds several commands; the name index is rebuilt once for all of them.
    public mutating func add(_ specs: [CommandSpec]) {
        for s in specs { insert(s) }
        index = CommandIndex(commands)
    }

    private mutating func insert(_ spec: CommandSpec) {
        precondition(commands[spec.name] == nil, "command \(spec.name) declared twice")
        var s = spec
        s.stats = CommandStatsBox()
        s.stats.id = nextID
        nextID += 1
        s.subcommands = s.subcommands.map { sub in
            var c = sub
            c.stats = CommandStatsBox()
            c.stats.id = nextID
            nextID += 1
            return c
        }
        commands[spec.name] = s
    }

    public mutating func remove(_ name: String) {
        let n = name.lowercased()
        commands[n] = nil
        index = CommandIndex(commands)
    }

    @inline(__always) public func lookup(_ name: Bytes) -> CommandSpec? { index.lookup(name) }

    /// Every command and subcommand.
    public var allSpecs: [CommandSpec] {
        commands.values.flatMap { [$0] + $0.subcommands }
    }
}

/// Command names (lowercase) → specs in an open-addressing table probed with a case-folding
/// FNV-1a hash: every command looks its name up once or twice, so this is a hot path, and
/// names are short ASCII words where a cryptographic hash would only cost time.
@usableFromInline struct CommandIndex {
    private var names: [Bytes] = []
    private var specs: [CommandSpec?] = []
    private var mask = 0

    init() {}

    init(_ commands: [String: CommandSpec]) {
        var size = 16
        while size < commands.count * 2 { size *= 2 }
        names = Array(repeating: [], count: size)
        specs = Array(repeating: nil, count: size)
        mask = size - 1
        for (name, spec) in commands {
            var i = Self.hash(Bytes(name)) & mask
            while specs[i] != nil { i = (i + 1) & mask }
            names[i] = Bytes(name)
            specs[i] = spec
        }
    }

    @inline(__always) private static func fold(_ c: UInt8) -> UInt8 { c &- 65 < 26 ? c | 0x20 : c }

    @inline(__always) private static func hash(_ b: Bytes) -> Int {
        var h: UInt32 = 2_166_136_261
        for c in b { h = (h ^ UInt32(fold(c))) &* 16_777_619 }
        return Int(h)
    }

    @inline(__always) func lookup(_ name: Bytes) -> CommandSpec? {
        if specs.isEmpty || name.count > 64 { return nil }
        var i = Self.hash(name) & mask
        while let spec = specs[i] {
            if Self.equal(names[i], name) { return spec }
            i = (i + 1) & mask
        }
        return nil
    }

    /// `lower` (already lowercase) equals `b` ignoring ASCII case.
    @inline(__always) private static func equal(_ lower: Bytes, _ b: Bytes) -> Bool {
        guard lower.count == b.count else { return false }
        for i in 0..<b.count where lower[i] != fold(b[i]) { return false }
        return true
    }
}

/// The last command name looked up and its spec. A pipeline repeats its command, and the
/// request decoder hands out the same name array for a repeated name, so the next request
/// is recognised by the array's storage alone: no hashing, no probing, no copy of the table.
/// Valid while the engine's table is unchanged (`Engine.tableGeneration`). Used on the engine
/// (the dispatcher) and, holding the engine, by a connection (is this batch safe inline?).
public struct CommandNameCache {
    private var name: Bytes = []
    private var spec: CommandSpec?
    /// `spec`'s box, lent by `lend` (`spec` keeps it alive).
    private var box: Unmanaged<CommandSpec.Storage>?
    private var generation = -1

    public init() {}

    @inline(__always) public mutating func lookup(_ name: Bytes, in engine: Engine) -> CommandSpec? {
        if generation == engine.tableGeneration && Self.sameStorage(name, self.name) { return spec }
        let found = engine.table.lookup(name)
        self.name = name  // kept: its storage cannot be reused while held here
        spec = found
        box = found.map { Unmanaged.passUnretained($0.storage) }
        generation = engine.tableGeneration
        return found
    }

    /// `lookup`'s spec as its box lent until the cache next changes: returning the spec
    /// itself costs a retain and a release per command.
    @inline(__always) mutating func lend(_ name: Bytes, in engine: Engine) -> Unmanaged<CommandSpec.Storage>? {
        if generation == engine.tableGeneration && Self.sameStorage(name, self.name) { return box }
        _ = lookup(name, in: engine)
        return box
    }

    /// What a connection asks of a request's command before running it (see
    /// `CommandSpec.mayRunLong`; `isScript`: EVAL, FCALL… — suspendable), nil if unknown:
    /// answered from the lent spec, with no reference counting.
    public mutating func traits(_ name: Bytes, in engine: Engine) -> (mayRunLong: Bool, isScript: Bool)? {
        guard let box = lend(name, in: engine) else { return nil }
        return box._withUnsafeGuaranteedRef { storage in
            if let known = storage.mayRunLong { return (known, storage.flags.contains(.suspendable)) }
            let spec = CommandSpec(storage: storage)
            return (spec.mayRunLong, spec.flags.contains(.suspendable))
        }
    }

    @inline(__always) private static func sameStorage(_ a: Bytes, _ b: Bytes) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pa.baseAddress == $0.baseAddress } }
    }
}

/// The commands scripts call (redis.call), by a key the caller gives for the name (the address
/// of the script's Lua string: a script names a few commands, each through the same constant
/// every time). The spec is found in one of two slots, its name compared (a key may come back
/// for another name), and lent: valid while the engine's table is unchanged.
public struct ScriptCommandNames {
    private static let bits = 5
    private static let size = 1 << bits
    // Parallel arrays: a hit reads a key, a name and a box, and copies nothing.
    private var keys = [UInt](repeating: 0, count: size)
    private var boxes = [Unmanaged<CommandSpec.Storage>?](repeating: nil, count: size)
    private var names = [Bytes](repeating: [], count: size)
    private var generation = -1

    public init() {}

    /// The spec of argv's command (argv[0]), nil if unknown.
    mutating func lend(_ argv: [Bytes], key: UInt, in engine: Engine) -> Unmanaged<CommandSpec.Storage>? {
        guard !argv.isEmpty else { return nil }
        let h = KeyHash.slot(key, bits: Self.bits), h2 = (h + 1) & (Self.size - 1)
        if generation == engine.tableGeneration && key != 0 {
            let found = keys.withUnsafeBufferPointer { k in k[h] == key ? h : k[h2] == key ? h2 : -1 }
            if found >= 0 && names.withUnsafeBufferPointer({ n in argv.withUnsafeBufferPointer { compareMembers(n[found], $0[0]) == 0 } }) {
                return boxes.withUnsafeBufferPointer { $0[found] }
            }
        }
        return miss(argv[0], key: key, in: engine)
    }

    private mutating func miss(_ name: Bytes, key: UInt, in engine: Engine) -> Unmanaged<CommandSpec.Storage>? {
        let h = KeyHash.slot(key, bits: Self.bits), h2 = (h + 1) & (Self.size - 1)
        if generation != engine.tableGeneration {
            self = ScriptCommandNames()
            generation = engine.tableGeneration
        }
        guard let spec = engine.table.lookup(name) else { return nil }
        let box = Unmanaged.passUnretained(spec.storage)
        if key != 0 {
            // The home slot unless taken, then the next; a third name there evicts the home's.
            let i = boxes[h] == nil || boxes[h2] != nil ? h : h2
            keys[i] = key
            boxes[i] = box
            names[i] = name
        }
        return box
    }
}
