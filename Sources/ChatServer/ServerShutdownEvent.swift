/// Fired into every connection's pipeline when the server stops: each session says
/// `BYE` and closes its TLS connection cleanly.
struct ServerShutdownEvent: Sendable {}
