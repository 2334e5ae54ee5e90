/// Script mode: stdin lines are sent, each event is printed as one plain line, and
/// after end of input the client waits until everything sent has been answered —
/// a `/ping` barrier, sent once its own look-ups and catch-up are done, proves it —
/// then says `/quit` and exits 0 on the server's `BYE`.
///
/// With `--reconnect`, a dropped connection is not the end: one `NOTICE` line says
/// so, the client reconnects (``Reconnector``), prints `NOTICE reconnected`, catches
/// up, and sends the script lines that came meanwhile. Without it (the default), a
/// drop exits 1, so a script learns that it may not have been heard.
struct ScriptRunner {
    let driver: SessionDriver
    let link: ServerLink
    let reconnects: Bool
    let writeError: (String) -> Void

    func run(events: inout AsyncStream<ClientEvent>.Iterator) async -> Int32 {
        let session = driver.session
        driver.begin()
        var inputEnded = false
        var finalBarrier: String?
        let reconnector = Reconnector(link: link, user: session.me, password: driver.password)
        while let event = await events.next() {
            switch event {
            case .scriptLine(let line):
                if !driver.quitSent { driver.perform(session.userLine(line)) }
            case .inputEnded:
                inputEnded = true
            case .connection(.line(let text)):
                driver.serverLine(text)
            case .connection(.closed(let reason)):
                if driver.quitSent && driver.sawBye { return 0 }
                let lost = "the server closed the connection\(reason.map { ": \($0)" } ?? "")"
                if let farewell = driver.farewell, Reconnector.endsForGood(farewell) {
                    writeError("\(lost) (\(farewell)); not reconnecting")
                    return 1
                }
                guard reconnects, !driver.quitSent else {
                    writeError(lost)
                    return 1
                }
                driver.show(.note("\(lost); reconnecting"))
                driver.connectionLost()
                finalBarrier = nil
                var held: [String] = []
                reconnector.password = driver.password
                let outcome = await reconnector.run(events: &events, status: { _ in }) { event in
                    switch event {
                    case .scriptLine(let line): held.append(line)
                    case .inputEnded: inputEnded = true
                    case .deadline(SessionDriver.saveSeenDeadline): driver.saveSeen()
                    default: break
                    }
                    return false
                }
                switch outcome {
                case .reconnected(let connection, let stamps, let pinnedNow):
                    if let pinnedNow { driver.show(.note(pinnedNow)) }
                    driver.show(.note("reconnected"))
                    driver.reconnected(connection, stamps: stamps)
                    for line in held { driver.perform(session.userLine(line)) }
                case .stopped(let reason):
                    writeError("could not reconnect: \(reason)")
                    return 1
                case .cancelled:
                    return 1
                }
            case .deadline(SessionDriver.saveSeenDeadline):
                driver.saveSeen()
            default:
                break
            }
            guard inputEnded, !driver.quitSent else { continue }
            if let token = finalBarrier, driver.takeBarrier(token) {
                finalBarrier = nil
                if session.isIdle {
                    driver.quit()
                    continue
                }
            }
            if finalBarrier == nil, session.isIdle {
                let (token, outputs) = session.makeBarrier()
                finalBarrier = token
                driver.perform(outputs)
            }
        }
        return 1
    }
}
