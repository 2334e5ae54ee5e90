// swift-tools-version:6.0
import PackageDescription

// The libFuzzer target for ChatProtocol, kept out of the main package so that its
// `swift build` and `swift test` never see fuzzer flags. Build it only through
// Scripts/fuzz: the target has no `main` of its own (libFuzzer's, linked in by
// `--sanitize=fuzzer`, calls LLVMFuzzerTestOneInput), so a plain build cannot link.
let package = Package(
    name: "securechat-fuzz",
    platforms: [.macOS(.v15)],  // as the main package (swift-configuration)
    dependencies: [
        .package(name: "securechat", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "ChatProtocolFuzzer",
            dependencies: [
                .product(name: "ChatProtocol", package: "securechat"),
                .product(name: "ChatModel", package: "securechat"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
