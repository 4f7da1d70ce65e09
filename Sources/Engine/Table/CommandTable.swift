/// The one command table: every command, looked up by lowercase name.
public struct CommandTable: @unchecked Sendable {
    public private(set) var commands: [String: CommandSpec] = [:]

    public init(_ specs: [CommandSpec]) {
        for s in specs { add(s) }
    }

    public mutating func add(_ spec: CommandSpec) {
        precondition(commands[spec.name] == nil, "command \(spec.name) declared twice")
        commands[spec.name] = spec
    }

    public mutating func remove(_ name: String) { commands[name.lowercased()] = nil }

    @inline(__always) public func lookup(_ name: Bytes) -> CommandSpec? {
        if name.count > 32 { return nil }
        return commands[name.lower]
    }

    /// Every command and subcommand.
    public var allSpecs: [CommandSpec] {
        commands.values.flatMap { [$0] + $0.subcommands }
    }
}
