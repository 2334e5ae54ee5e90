import NIOCore

/// The metrics endpoint's part of start and stop (`ServerConfiguration.metricsListen`).
extension ChatServer {
    /// The address the metrics endpoint is bound to (useful with port 0); nil when
    /// metrics are off or the server is not running.
    public var metricsAddress: SocketAddress? {
        metricsListener.withLockedValue { $0?.localAddress }
    }

    /// Opens the metrics listener, if one is configured. A failure closes the chat
    /// listener `chat` too, so a half-started server never serves.
    func startMetrics(closingOnFailure chat: Channel) async throws {
        guard let metrics, let address = configuration.metricsListen else { return }
        let listener: Channel
        do {
            listener = try await MetricsEndpoint.bind(address, group: group, metrics: metrics)
        } catch {
            try? await chat.close()
            throw StartupError("cannot listen for metrics on \(address): \(Self.reason(error))")
        }
        metricsListener.withLockedValue { $0 = listener }
        logger.info(
            "serving metrics",
            metadata: [
                "address": "\(MetricsAddress(host: address.host, port: listener.localAddress?.port ?? address.port))",
                "path": "/metrics",
            ])
    }

    func stopMetrics() async {
        let listener = metricsListener.withLockedValue { listener in
            defer { listener = nil }
            return listener
        }
        try? await listener?.close()
    }
}
