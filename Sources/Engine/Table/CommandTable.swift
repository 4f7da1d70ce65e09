/// The one command table: every command, looked up by lowercase name.
public struct CommandTable: @unchecked Sendable {
    public private(set) var commands: [String: CommandSpec] = [:]
    /// The same specs keyed by their lowercase and uppercase bytes, so the usual spellings
    /// are found without building a string.
    private var byBytes: [Bytes: CommandSpec] = [:]
    /// Next spec id (ids are never reused, so ACL bitmaps stay valid when commands come and go).
    public private(set) var nextID = 0

    public init(_ specs: [CommandSpec]) {
        for s in specs { add(s) }
    }

    public mutating func add(_ spec: CommandSpec) {
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
        byBytes[Bytes(s.name)] = s
        byBytes[Bytes(s.name.uppercased())] = s
    }

    public mutating func remove(_ name: String) {
        let n = name.lowercased()
        commands[n] = nil
        byBytes[Bytes(n)] = nil
        byBytes[Bytes(n.uppercased())] = nil
    }

    @inline(__always) public func lookup(_ name: Bytes) -> CommandSpec? {
        if let s = byBytes[name] { return s }
        if name.count > 32 { return nil }
        return commands[name.lower]
    }

    /// Every command and subcommand.
    public var allSpecs: [CommandSpec] {
        commands.values.flatMap { [$0] + $0.subcommands }
    }
}
