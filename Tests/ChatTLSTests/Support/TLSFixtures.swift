import ChatTestSupport
import ChatTLS
import Foundation
import NIOCore
import XCTest

extension XCTestCase {
    /// A fresh CA and leaf (SANs `localhost`, `127.0.0.1`, `::1`) from the openssl CLI,
    /// removed when the test ends. ECDSA P-256 by default, RSA-2048 with `rsa`.
    func makeCertificates(rsa: Bool = false) throws -> TestCertificates {
        let certificates = try TestCertificates.make(rsa: rsa)
        addTeardownBlock { certificates.remove() }
        return certificates
    }

    func makeServerContext(_ certificates: TestCertificates, profile: TLSProfile = .intermediate) throws -> TLSContext {
        try TLSContext.server(
            certificateChainPath: certificates.chainPath,
            privateKeyPath: certificates.keyPath,
            profile: profile
        )
    }

    func makeClientContext(trusting certificates: TestCertificates) throws -> TLSContext {
        try TLSContext.client(trustRootsPath: certificates.caPath)
    }

    /// A server and a client handler on embedded channels, with fresh certificates
    /// the server's CA signed; not yet handshaken.
    func makeEmbeddedPair() throws -> EmbeddedTLSPair {
        let certificates = try makeCertificates()
        return try EmbeddedTLSPair(
            serverContext: makeServerContext(certificates),
            clientContext: makeClientContext(trusting: certificates)
        )
    }
}

extension TestCertificates {
    /// DER of the leaf: the first PEM block of the chain file.
    func leafDER() throws -> [UInt8] {
        let pem = try String(contentsOfFile: chainPath, encoding: .utf8)
        guard let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = pem.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<pem.endIndex),
            let der = Data(base64Encoded: String(pem[begin.upperBound..<end.lowerBound]), options: .ignoreUnknownCharacters)
        else {
            throw MissingCertificate(path: chainPath)
        }
        return Array(der)
    }
}

struct MissingCertificate: Error {
    let path: String
}

/// One TLS record header read off the wire.
struct TLSRecordHeader: Equatable {
    static let alert: UInt8 = 0x15
    static let handshake: UInt8 = 0x16
    static let applicationData: UInt8 = 0x17

    let contentType: UInt8
    let length: Int
}

/// Splits ciphertext into its records; nil unless it is a whole number of well-formed
/// records, so a torn or padded write cannot pass for a good one.
func tlsRecords(in buffer: ByteBuffer) -> [TLSRecordHeader]? {
    var buffer = buffer
    var records: [TLSRecordHeader] = []
    while buffer.readableBytes > 0 {
        guard let type = buffer.readInteger(as: UInt8.self),
            let version = buffer.readInteger(as: UInt16.self),
            let length = buffer.readInteger(as: UInt16.self),
            (0x0301...0x0304).contains(version),
            buffer.readSlice(length: Int(length)) != nil
        else { return nil }
        records.append(TLSRecordHeader(contentType: type, length: Int(length)))
    }
    return records
}

/// Bytes that differ at every position modulo a prime, so a dropped, repeated or
/// reordered chunk anywhere shows up as a mismatch.
func patternBytes(count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 + seed) % 251) }
}

/// The host name in a ClientHello's server_name extension (RFC 6066), or nil if it
/// has none. Throws if `record` is not a single-record ClientHello, so "no SNI" cannot
/// come from a parse that went wrong.
func serverNameIndication(inClientHello record: ByteBuffer) throws -> String? {
    struct NotAClientHello: Error {}
    var buffer = record
    guard buffer.readInteger(as: UInt8.self) == TLSRecordHeader.handshake,
        buffer.readInteger(as: UInt16.self) != nil,
        let recordLength = buffer.readInteger(as: UInt16.self),
        var hello = buffer.readSlice(length: Int(recordLength)),
        hello.readInteger(as: UInt8.self) == 1,  // client_hello
        hello.readSlice(length: 3 + 2 + 32) != nil,  // length, legacy_version, random
        let sessionIDLength = hello.readInteger(as: UInt8.self),
        hello.readSlice(length: Int(sessionIDLength)) != nil,
        let suitesLength = hello.readInteger(as: UInt16.self),
        hello.readSlice(length: Int(suitesLength)) != nil,
        let compressionLength = hello.readInteger(as: UInt8.self),
        hello.readSlice(length: Int(compressionLength)) != nil,
        let extensionsLength = hello.readInteger(as: UInt16.self),
        var extensions = hello.readSlice(length: Int(extensionsLength))
    else { throw NotAClientHello() }

    while extensions.readableBytes > 0 {
        guard let type = extensions.readInteger(as: UInt16.self),
            let length = extensions.readInteger(as: UInt16.self),
            var body = extensions.readSlice(length: Int(length))
        else { throw NotAClientHello() }
        guard type == 0 else { continue }  // server_name
        guard body.readInteger(as: UInt16.self) != nil,  // list length
            body.readInteger(as: UInt8.self) == 0,  // host_name
            let nameLength = body.readInteger(as: UInt16.self),
            let name = body.readString(length: Int(nameLength))
        else { throw NotAClientHello() }
        return name
    }
    return nil
}
