/// The one place the release version is written: `--version` of `securechat-server`,
/// `chat-useradd` and `securechat` all print this.
public enum SecureChatVersion {
    public static let current = "0.1.0"
}
