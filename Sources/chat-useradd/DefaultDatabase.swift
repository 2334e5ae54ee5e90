import Foundation

/// Which database the tool uses when `--db` is not given, the same from any working
/// directory: `$SECURECHAT_DATABASE` (the variable the server reads for the same
/// setting), else, for a binary built in a source tree (`.build/…/chat-useradd`,
/// `swift run`), that tree's `data/securechat.db`, the file `Scripts/serve`'s server
/// uses. An installed binary has no such tree and asks for `--db` rather than guess.
enum DefaultDatabase {
    static let environmentVariable = "SECURECHAT_DATABASE"
    static let sourceTreePath = "data/securechat.db"

    static func path(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executable: URL? = Bundle.main.executableURL
    ) throws(Refusal) -> String {
        if let path = environment[environmentVariable], !path.isEmpty {
            return path
        }
        if let tree = executable.flatMap(sourceTree(containing:)) {
            return tree.appendingPathComponent(sourceTreePath).path
        }
        throw Refusal(
            "no database given: pass --db PATH or set \(environmentVariable) (a binary outside a source tree has no default)"
        )
    }

    /// The package directory above the `.build` directory the executable is in.
    private static func sourceTree(containing executable: URL) -> URL? {
        var directory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.pathComponents.count > 1 {
            if directory.lastPathComponent == ".build" {
                let tree = directory.deletingLastPathComponent()
                let manifest = tree.appendingPathComponent("Package.swift").path
                return FileManager.default.fileExists(atPath: manifest) ? tree : nil
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }
}
