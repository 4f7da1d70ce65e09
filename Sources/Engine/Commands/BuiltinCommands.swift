/// Every command the engine itself provides. Server-level families register theirs at start-up.
public enum BuiltinCommands {
    public static var all: [CommandSpec] {
        StringCommands.specs + KeyCommands.specs + ConnectionCommands.specs + CommandCommand.specs
            + TransactionCommands.specs
            + ListCommands.specs
            + HashCommands.specs + SetCommands.specs
            + SortedSetCommands.specs + SortCommand.specs
    }
}
