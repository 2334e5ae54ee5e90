import ChatCrypto
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole client: ask for what is missing, connect and check the server, log
/// in, open this device's end-to-end key, then run interactively (stdin is a
/// terminal) or as a script. Returns the exit status.
public enum ChatClientApp {
    public static func run(
        _ options: ClientOptions,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async -> Int32 {
        let interactive = Terminal.isTerminal(STDIN_FILENO)
        let password: String
        var options = options
        do {
            options.user = try resolveUser(options, interactive: interactive)
            password = try resolvePassword(options, user: options.user!)
        } catch {
            writeError(error.description)
            return 1
        }
        guard interactive else {
            return await runScript(
                options, password: password, group: group,
                input: standardInputLines(),
                output: { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) },
                errorOutput: writeError
            )
        }
        do {
            var prepared = try await prepare(options, password: password, group: group, interactive: true)
            let renderer = TerminalRenderer(
                colors: TerminalRenderer.wantsColors(
                    stdoutIsTerminal: Terminal.isTerminal(STDOUT_FILENO),
                    environment: ProcessInfo.processInfo.environment
                ),
                timestamps: true
            )
            let runner = InteractiveRunner(
                driver: prepared.driver, terminal: Terminal(), renderer: renderer, link: prepared.link,
                ringsBell: options.bell, reconnects: options.reconnect ?? true
            )
            prepared.driver.show = { [unowned runner] in runner.show($0) }
            prepared.driver.askForPasswords = { [unowned runner] in runner.askForPasswords() }
            return await runner.run(events: &prepared.events, startupNotices: prepared.startupNotices)
        } catch {
            writeError(error.description)
            return 1
        }
    }

    /// Script mode with the lines and the output given: what `securechat` does when
    /// stdin is not a terminal, and what tests drive in-process. `input` finishing is
    /// end of input. `errorOutput` gets the one-line reason of a failure.
    public static func runScript(
        _ options: ClientOptions,
        password: String,
        group: EventLoopGroup,
        input: AsyncStream<String>,
        output: @escaping @Sendable (String) -> Void,
        errorOutput: @escaping @Sendable (String) -> Void
    ) async -> Int32 {
        do {
            var prepared = try await prepare(options, password: password, group: group, interactive: false)
            prepared.driver.show = { notice in ScriptRenderer.render(notice).forEach(output) }
            prepared.startupNotices.forEach(prepared.driver.show)
            let continuation = prepared.link.continuation
            let forwarder = Task {
                for await line in input {
                    continuation.yield(.scriptLine(line))
                }
                continuation.yield(.inputEnded)
            }
            defer { forwarder.cancel() }
            let runner = ScriptRunner(
                driver: prepared.driver, link: prepared.link, reconnects: options.reconnect ?? false, writeError: errorOutput)
            let status = await runner.run(events: &prepared.events)
            prepared.driver.saveSeen()
            await prepared.driver.connection.close()
            return status
        } catch {
            errorOutput(error.description)
            return 1
        }
    }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data("securechat: \(text)\n".utf8))
    }

    /// A connected, logged-in client with its key opened.
    private struct Prepared {
        var events: AsyncStream<ClientEvent>.Iterator
        let link: ServerLink
        let driver: SessionDriver
        let startupNotices: [Notice]
    }

    private static func prepare(
        _ options: ClientOptions,
        password: String,
        group: EventLoopGroup,
        interactive: Bool
    ) async throws(ClientFailure) -> Prepared {
        guard let config = options.configDirectory ?? ConfigDirectory.standard() else {
            throw ClientFailure("no configuration directory: set HOME or XDG_CONFIG_HOME")
        }
        guard let user = options.user else { throw ClientFailure("no user name") }
        let (events, continuation) = AsyncStream<ClientEvent>.makeStream()
        let link = ServerLink(options: options, config: config, group: group, continuation: continuation)
        let connected = try await link.connect()
        let connection = connected.connection
        var iterator = events.makeAsyncIterator()
        do throws(ClientFailure) {
            let askAgain: (() -> String?)? =
                interactive ? { try? PasswordPrompt.ask("Password for \(user): ", echo: false) } : nil
            let loggedIn = try await ClientLogin.perform(
                connection: connection, events: &iterator, continuation: continuation, user: user, password: password,
                askAgain: askAgain
            )
            let (me, password) = (loggedIn.name, loggedIn.password)
            var startup: [Notice] = connected.pinnedNow.map { [.note($0)] } ?? []
            let keyFile = try KeyFileLocation.resolve(
                config: config, user: me, endpoint: options.server,
                publicKeySHA256: connection.session.serverCertificate?.publicKeySHA256)
            startup += keyFile.notices
            let identityFile = IdentityKeyFile(url: keyFile.url, cost: options.keyFileCost)
            let askOldPassword: (() -> String?)? =
                interactive
                ? { try? PasswordPrompt.ask("Your key file was sealed under another password; that password (empty to skip): ", echo: false) }
                : nil
            let unlocked = ClientIdentity.unlock(file: identityFile, password: password, askOldPassword: askOldPassword)
            startup += unlocked.notices
            let pins: PeerKeyPins
            do {
                pins = try PeerKeyPins(file: config.knownKeys, server: options.server)
            } catch {
                throw ClientFailure("\(error)")
            }
            let lastSeenFile = keyFile.serverID.map { LastSeenFile(config: config, user: me, serverID: $0) }
            var lastSeen: Int64?
            do {
                lastSeen = try lastSeenFile?.load()
            } catch {
                startup.append(.warning("\(error); catching up on everything the server keeps"))
            }
            let session = ClientSession(me: me, identity: unlocked.identity, pins: pins, lastSeen: lastSeen)
            let driver = SessionDriver(
                session: session, connection: connection, identityFile: identityFile, lastSeenFile: lastSeenFile, password: password,
                stamps: loggedIn.stamps)
            driver.scheduleSave = { delay in _ = link.deadline(SessionDriver.saveSeenDeadline, after: delay) }
            return Prepared(events: iterator, link: link, driver: driver, startupNotices: startup)
        } catch {
            await connection.close()
            throw error
        }
    }

    private static func resolveUser(_ options: ClientOptions, interactive: Bool) throws(ClientFailure) -> String {
        var user = options.user
        if user == nil {
            guard interactive else {
                throw ClientFailure("--user is required when stdin is not a terminal")
            }
            user = try? PasswordPrompt.ask("Name: ", echo: true)
        }
        guard let user, !user.isEmpty, !user.contains(where: { $0 == " " || $0 == "\t" }) else {
            throw ClientFailure("a user name is one word")
        }
        return user
    }

    private static func resolvePassword(_ options: ClientOptions, user: String) throws(ClientFailure) -> String {
        let password: String
        if options.passwordFromStandardInput {
            guard let line = PasswordPrompt.readLineFromStandardInput() else {
                throw ClientFailure("--password-stdin: no password on standard input")
            }
            password = line
        } else {
            do {
                password = try PasswordPrompt.ask("Password for \(user): ", echo: false)
            } catch .noTerminal {
                throw ClientFailure("no terminal to ask for the password on; use --password-stdin")
            } catch {
                throw ClientFailure("no password given")
            }
        }
        guard !password.isEmpty else { throw ClientFailure("empty password") }
        return password
    }

    /// Lines of stdin, read on their own thread (reads block).
    private static func standardInputLines() -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream<String>.makeStream()
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = read(STDIN_FILENO, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                pending.append(contentsOf: buffer[..<count])
                while let newline = pending.firstIndex(of: 0x0A) {
                    var line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    if line.last == 0x0D { line.removeLast() }
                    continuation.yield(String(decoding: line, as: UTF8.self))
                }
            }
            if !pending.isEmpty {
                continuation.yield(String(decoding: pending, as: UTF8.self))
            }
            continuation.finish()
        }
        thread.start()
        return lines
    }
}
