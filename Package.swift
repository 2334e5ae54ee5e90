// swift-tools-version:6.1
import PackageDescription

// Layers (dependencies point down only):
//   executables  → ChatServer / ChatClient / ChatStore + ChatCrypto, ChatVersion
//   ChatServer   → ChatTLS, ChatProtocol, ChatStore, ChatCrypto, ChatModel
//   ChatClient   → ChatLineClient, ChatTLS, ChatProtocol, ChatCrypto, ChatModel
//   ChatLineClient → ChatTLS, ChatProtocol (the TLS line-client pipeline of the
//                  client, the bench and the test client)
//   ChatProtocol, ChatStore → ChatModel (the names both speak of; no dependencies)
//   ChatTLS      → COpenSSL (its only importer)
//   ChatCrypto   → CSodium  (its only importer)
let package = Package(
    name: "securechat",
    // macOS 15: swift-configuration's minimum.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "securechat-server", targets: ["securechat-server"]),
        .executable(name: "chat-useradd", targets: ["chat-useradd"]),
        .executable(name: "securechat", targets: ["securechat"]),
        .executable(name: "securechat-bench", targets: ["securechat-bench"]),
        // For the out-of-tree fuzzer (Fuzz/), which links the protocol layer alone.
        .library(name: "ChatProtocol", targets: ["ChatProtocol"]),
        .library(name: "ChatModel", targets: ["ChatModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // securechat-server's --config file, SECURECHAT_* variables and flags in one
        // hierarchy. YAML (through Yams) for a configuration file with comments; Yams
        // directly as well, to list a file's keys and refuse unknown ones.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["JSON", "YAML"]),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        // The metrics endpoint (--metrics-listen): counters, gauges and histograms from a
        // registry each server owns, rendered in the Prometheus text format.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries from the system, through pkg-config, with one-line shims for macros.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),

        // The release version, printed by every executable's --version.
        .target(name: "ChatVersion"),

        .target(
            name: "ChatTLS",
            dependencies: [
                "COpenSSL",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "ChatCrypto",
            dependencies: ["CSodium"]
        ),
        // User and room names: the vocabulary of both the protocol and the store,
        // so that neither imports the other for it.
        .target(name: "ChatModel"),
        .target(
            name: "ChatProtocol",
            dependencies: [
                "ChatModel",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The TLS line-client pipeline (bootstrap, TLSHandler, LineFrameDecoder, events)
        // shared by the securechat client, the load generator and the test client.
        .target(
            name: "ChatLineClient",
            dependencies: [
                "ChatTLS", "ChatProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "ChatStore",
            dependencies: [
                "ChatModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for binding the hot INSERT's values directly.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "ChatServer",
            dependencies: [
                "ChatTLS", "ChatProtocol", "ChatStore", "ChatCrypto", "ChatModel",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ChatClient",
            dependencies: [
                "ChatLineClient", "ChatTLS", "ChatProtocol", "ChatCrypto", "ChatModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        .executableTarget(
            name: "securechat-server",
            dependencies: [
                "ChatServer", "ChatStore", "ChatTLS", "ChatCrypto", "ChatVersion",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "chat-useradd",
            dependencies: [
                "ChatStore", "ChatCrypto", "ChatModel", "ChatVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "securechat",
            dependencies: [
                "ChatClient", "ChatVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The load generator behind Scripts/bench: the project's own OpenSSL client
        // context, many connections, latency histograms; `store` measures the
        // conversation store alone.
        .executableTarget(
            name: "securechat-bench",
            dependencies: [
                "ChatLineClient", "ChatTLS", "ChatProtocol", "ChatStore", "ChatModel", "ChatCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),

        // Shared by the test targets: certificates made with the openssl CLI, a TLS
        // line client built on ChatTLS, the live test server, temporary directories.
        // Not a product; nothing ships it.
        .target(
            name: "ChatTestSupport",
            dependencies: [
                "ChatLineClient", "ChatTLS", "ChatProtocol", "ChatServer", "ChatStore", "ChatCrypto", "ChatModel",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(
            name: "ChatProtocolTests",
            dependencies: [
                "ChatProtocol", "ChatModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ChatCryptoTests", dependencies: ["ChatCrypto"]),
        .testTarget(
            name: "ChatLineClientTests",
            dependencies: [
                "ChatLineClient", "ChatProtocol", "ChatTLS", "ChatTestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ChatModelTests", dependencies: ["ChatModel"]),
        .testTarget(
            name: "ChatClientTests",
            dependencies: [
                "ChatClient", "ChatServer", "ChatTLS", "ChatProtocol", "ChatStore", "ChatCrypto", "ChatModel", "ChatTestSupport",
                "ChatVersion", "securechat", "securechat-server", "chat-useradd",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ChatStoreTests",
            dependencies: [
                "ChatStore", "ChatCrypto", "ChatModel", "ChatTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ChatUserAddTests",
            dependencies: ["chat-useradd", "ChatStore", "ChatCrypto", "ChatModel", "ChatTestSupport"]
        ),
        .testTarget(
            name: "ChatTLSTests",
            dependencies: [
                "ChatTLS", "ChatTestSupport", "ChatProtocol",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ChatServerTests",
            dependencies: [
                "ChatServer", "ChatTLS", "ChatProtocol", "ChatStore", "ChatCrypto", "ChatModel", "ChatTestSupport",
                "securechat-server", "chat-useradd",
                .product(name: "Configuration", package: "swift-configuration"),
                // To build a database the way an earlier release left it.
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
