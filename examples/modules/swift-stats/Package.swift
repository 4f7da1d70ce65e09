// swift-tools-version:5.9
// A Mnemo module written in Swift: a dynamic library exporting RedisModule_OnLoad.
import PackageDescription

let package = Package(
    name: "swift-stats",
    products: [
        .library(name: "swiftstats", type: .dynamic, targets: ["SwiftStats"]),
    ],
    targets: [
        // Mnemo's module header (include/mnemo/redismodule.h, not copied) and a tiny C shim for
        // what Swift cannot call: the static inline RedisModule_Init and the variadic Call.
        .target(name: "CRedisModule"),
        .target(name: "SwiftStats", dependencies: ["CRedisModule"]),
    ]
)
