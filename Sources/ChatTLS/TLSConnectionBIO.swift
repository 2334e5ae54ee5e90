internal import COpenSSL

/// The `BIO_METHOD` behind every `TLSConnection`: C callbacks that forward to the
/// connection stored in the BIO's data pointer. Reading from an empty buffer asks
/// OpenSSL to retry later; it is never end of file, since the peer's EOF reaches the
/// handler as channelInactive, not through OpenSSL.
enum TLSConnectionBIO {
    nonisolated(unsafe) static let method: OpaquePointer = {
        guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "securechat ByteBuffer") else {
            fatalError("BIO_meth_new failed: \(OpenSSLErrors.drain())")
        }
        _ = BIO_meth_set_write(method, write)
        _ = BIO_meth_set_read(method, read)
        _ = BIO_meth_set_ctrl(method, ctrl)
        _ = BIO_meth_set_create(method, create)
        _ = BIO_meth_set_destroy(method, destroy)
        return method
    }()

    private static func connection(_ bio: OpaquePointer?) -> TLSConnection? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<TLSConnection>.fromOpaque(data).takeUnretainedValue()
    }

    private static let write: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, CInt) -> CInt = { bio, bytes, count in
        securechat_BIO_clear_retry_flags(bio)
        guard let connection = connection(bio) else { return -1 }
        guard let bytes, count > 0 else { return 0 }
        connection.bioWrite(UnsafeRawBufferPointer(start: bytes, count: Int(count)))
        return count
    }

    private static let read: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, CInt) -> CInt = { bio, space, count in
        securechat_BIO_clear_retry_flags(bio)
        guard let connection = connection(bio) else { return -1 }
        guard let space, count > 0 else { return 0 }
        guard let copied = connection.bioRead(into: UnsafeMutableRawBufferPointer(start: space, count: Int(count))) else {
            securechat_BIO_set_retry_read(bio)
            return -1
        }
        return CInt(copied)
    }

    private static let ctrl: @convention(c) (OpaquePointer?, CInt, CLong, UnsafeMutableRawPointer?) -> CLong = { bio, command, _, _ in
        switch command {
        case BIO_CTRL_FLUSH:
            // Records are sent when the handler takes them, after each call into OpenSSL.
            return 1
        case BIO_CTRL_PENDING:
            return CLong(connection(bio)?.pendingInbound ?? 0)
        case BIO_CTRL_WPENDING:
            return CLong(connection(bio)?.pendingOutbound ?? 0)
        default:
            return 0
        }
    }

    private static let create: @convention(c) (OpaquePointer?) -> CInt = { bio in
        BIO_set_init(bio, 1)
        return 1
    }

    // The connection owns the buffers; there is nothing to free here.
    private static let destroy: @convention(c) (OpaquePointer?) -> CInt = { _ in 1 }
}
