import RESP

/// Generic keyspace commands.
public enum KeyCommands {
    public static let specs: [CommandSpec] = [
        CommandSpec(
            "del", arity: -2, flags: [.write], acl: [.keyspace],
            keys: [.range(1, last: -1, [.RM, .delete])],
            docs: CommandDocs("Deletes one or more keys.", since: "1.0.0", group: "generic", complexity: "O(N)", syntax: "key [key ...]"),
            handler: del),
    ]

    static func del(_ ctx: inout CommandContext) throws -> RESPValue {
        var n: Int64 = 0
        for key in ctx.argv.dropFirst() where ctx.delete(key) {
            ctx.emit([Bytes("DEL"), key])
            n += 1
        }
        return .integer(n)
    }
}
