import ChatServer
import ChatTestSupport
import Foundation
import Logging
import XCTest

final class LifecycleTests: XCTestCase {
    func testShutdownSaysByeToEverySessionAndClosesCleanly() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let anonymous = try await harness.connect()

        await harness.server.stop()
        let aliceRest = try await alice.linesUntilClosed()
        let bobRest = try await bob.linesUntilClosed()
        let anonymousRest = try await anonymous.linesUntilClosed()
        XCTAssertEqual(aliceRest.last, "BYE server shutting down")
        XCTAssertEqual(bobRest, ["BYE server shutting down"])
        XCTAssertEqual(anonymousRest, ["BYE server shutting down"])
        XCTAssertFalse(harness.logs.joined.contains("without close_notify"), "TLS was not closed cleanly")
        // No new connections are accepted.
        do {
            _ = try await harness.connect()
            XCTFail("connected after shutdown")
        } catch {}
    }

    func testStartupFailsFastWithOneClearLine() async throws {
        let certificates = try TestCertificates.make()
        let other = try TestCertificates.make()
        let directory = try makeTemporaryDirectory()
        let logger = Logger(label: "test")

        func startupError(_ change: (inout ServerConfiguration) -> Void) -> String? {
            var configuration = ServerHarness.testConfiguration(certificates, directory)
            change(&configuration)
            do {
                _ = try ChatServer(configuration: configuration, logger: logger)
                return nil
            } catch {
                return "\(error)"
            }
        }

        let missing = startupError { $0.certificateChainPath = "/nonexistent/server.pem" }
        XCTAssertTrue(missing?.hasPrefix("cannot load TLS certificate and key") == true, missing ?? "started")
        let mismatched = startupError { $0.privateKeyPath = other.keyPath }
        XCTAssertTrue(mismatched?.contains("key values mismatch") == true, mismatched ?? "started")
        let badDatabase = startupError { $0.databasePath = certificates.chainPath + "/users.db" }  // under a file
        XCTAssertTrue(badDatabase?.hasPrefix("cannot open user database") == true, badDatabase ?? "started")
        for message in [missing, mismatched, badDatabase].compactMap({ $0 }) {
            XCTAssertFalse(message.contains("\n"), "not one line: \(message)")
            XCTAssertFalse(message.contains("BEGIN"), "key material in an error")
        }

        // A busy port: the second server cannot bind.
        let first = try ChatServer(configuration: ServerHarness.testConfiguration(certificates, directory), logger: logger)
        let address = try await first.start()
        var second = ServerHarness.testConfiguration(certificates, directory)
        second.port = address.port!
        let contender = try ChatServer(configuration: second, logger: logger)
        do {
            try await contender.start()
            XCTFail("two servers bound one port")
        } catch {
            XCTAssertEqual("\(error)", "cannot listen on 127.0.0.1:\(address.port!): Address already in use")
        }
        await contender.stop()
        await first.stop()
        certificates.remove()
        other.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    func testExecutableExitsNonZeroWithOneLineReloadsOnSIGHUPAndExitsZeroOnSIGTERM() async throws {
        let executable = try Self.productsDirectory.appendingPathComponent("securechat-server").path
        let certificates = try TestCertificates.make()
        let directory = try makeTemporaryDirectory()
        let failed = try await ChildProcess.run(
            executable,
            [
                "--cert", "/nonexistent.pem", "--key", certificates.keyPath,
                "--db", directory.appendingPathComponent("db").path, "--port", "0", "--allow-ephemeral-port",
            ])
        XCTAssertEqual(failed.status, 1)
        let errorLines = failed.standardError.split(separator: "\n").filter { $0.hasPrefix("securechat-server:") }
        XCTAssertEqual(errorLines.count, 1, failed.standardError)
        XCTAssertTrue(errorLines.first?.contains("cannot load TLS certificate and key") == true)

        // A running server stops on SIGTERM and exits 0.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--cert", certificates.chainPath, "--key", certificates.keyPath,
            "--db", directory.appendingPathComponent("db").path, "--port", "0", "--allow-ephemeral-port", "--password-cost", "minimum",
        ]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        func waitForLog(_ text: String) -> String {
            var seen = ""
            while !seen.contains(text) {
                let data = stderr.fileHandleForReading.availableData
                if data.isEmpty { break }
                seen += String(decoding: data, as: UTF8.self)
            }
            return seen
        }
        let started = waitForLog("listening")
        XCTAssertTrue(started.contains("listening"), started)
        // SIGHUP reloads the certificate without stopping.
        kill(process.processIdentifier, SIGHUP)
        let reloaded = waitForLog("certificate reloaded")
        XCTAssertTrue(reloaded.contains("certificate reloaded"), reloaded)
        XCTAssertTrue(process.isRunning)
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        certificates.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Where SwiftPM put the executables: next to the test bundle.
    static var productsDirectory: URL {
        get throws {
            URL(fileURLWithPath: try BuiltProducts.path(of: "securechat-server")).deletingLastPathComponent()
        }
    }
}
