// swift-tools-version:6.1
import PackageDescription

// Every Mnemo target runs its mutable state on one thread at a time (engine, I/O loop), and
// runtime exclusivity checks cost 5-7% of a request's CPU there: release builds skip them.
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Mnemo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mnemo-server", targets: ["mnemo-server"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Deque: O(1) push/pop at both ends and O(1) indexing for lists.
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        .target(
            name: "RESP",
            dependencies: [
                "CSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: fast
        ),
        // Tiny C helpers the Swift targets cannot express (a prefetch hint, printf of a double,
        // the CPU's CRC32C instruction).
        .target(name: "CSupport"),
        .target(
            name: "Engine",
            dependencies: [
                "RESP", "CSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: fast
        ),
        .target(
            name: "Persistence",
            dependencies: ["Engine", "RESP", "CSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: fast
        ),
        // Lua trampolines (lua_error never crosses Swift frames), heap budget, hook, and the
        // Redis compat libraries: cjson and bit from Debian, cmsgpack and struct our own.
        .target(
            name: "LuaShim",
            dependencies: ["CLua"],
            linkerSettings: [.linkedLibrary("lua5.4-cjson"), .linkedLibrary("lua5.4-bitop")]
        ),
        .target(
            name: "Scripting",
            dependencies: [
                "Engine", "RESP", "CLua", "LuaShim",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: fast
        ),
        .target(
            name: "PubSub",
            dependencies: [
                "Engine", "RESP", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: fast
        ),
        // Users, ACL rules, permission checks from the command table, ACL LOG, AUTH/ACL commands.
        .target(name: "ACL", dependencies: ["Engine", "RESP"], swiftSettings: fast),
        // The module host's C side: the ctx layout (GetApi first), GetApi's registry, the
        // variadic API entry points and the dict API.
        .target(name: "ModuleABI"),
        .target(name: "Modules", dependencies: ["Engine", "RESP", "ModuleABI"], swiftSettings: fast),
        .target(
            name: "Server",
            dependencies: [
                "RESP", "Engine", "Persistence", "CLua", "Scripting", "Modules", "PubSub", "ACL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: fast
        ),
        // jemalloc (Debian's libjemalloc) replaces glibc malloc for the whole process, as in
        // Redis: every request allocates and frees its arguments, and collections' elements
        // are many small blocks; measured 4-20% more throughput on pipelined commands.
        .executableTarget(
            name: "mnemo-server", dependencies: ["Server"], swiftSettings: fast,
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        .testTarget(
            name: "RESPTests",
            dependencies: [
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "RESP"]),
        .testTarget(name: "ModulesTests", dependencies: ["Modules", "Engine", "RESP", "ModuleABI"]),
        .testTarget(name: "PersistenceTests", dependencies: ["Persistence", "Engine", "RESP"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "CLua",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ACLTests", dependencies: ["ACL", "Engine", "RESP"]),
        .testTarget(name: "PubSubTests", dependencies: ["PubSub", "Engine", "RESP"]),
        .testTarget(name: "ScriptingTests", dependencies: ["Scripting", "Engine", "RESP", "LuaShim"]),
    ],
    swiftLanguageModes: [.v5]
)
