internal import COpenSSL

/// OpenSSL keeps its error queue per thread, and every connection on an event loop
/// shares that thread: clear it before each call and drain it right after a failure,
/// or one connection's stale error is blamed on another.
enum OpenSSLErrors {
    static func clear() {
        ERR_clear_error()
    }

    /// Pops every queued error into one line for the log.
    static func drain() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.joined(separator: "; ")
    }
}
