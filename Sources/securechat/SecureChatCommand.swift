// Placeholder entry point until the client lands (issue 3).
@main
struct SecureChatCommand {
    static func main() {
        print("securechat: the client is not built yet")
    }
}
