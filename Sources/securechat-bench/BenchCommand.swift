// Placeholder entry point until the load generator lands (issue 5).
@main
struct BenchCommand {
    static func main() {
        print("securechat-bench: not built yet")
    }
}
