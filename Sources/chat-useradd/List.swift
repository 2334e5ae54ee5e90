import ArgumentParser
import ChatStore
import Foundation

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List users: name, active or locked, created, last login.",
        discussion: "Password hashes are never shown."
    )

    @OptionGroup var store: StoreOptions

    func run() throws {
        let users = try store.openStore().allUsers()
        let width = users.map(\.name.display.count).max() ?? 0
        for user in users {
            let name = user.name.display.padding(toLength: width, withPad: " ", startingAt: 0)
            let status = user.isLocked ? "locked" : "active"
            let lastLogin = user.lastLoginAt.map(Self.timestamp) ?? "never"
            print("\(name)  \(status)  created \(Self.timestamp(user.createdAt))  last login \(lastLogin)")
        }
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
