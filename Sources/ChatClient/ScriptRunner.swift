/// Script mode: stdin lines are sent, each event is printed as one plain line, and
/// after end of input the client waits until everything sent has been answered —
/// a `/ping` barrier, sent once its own look-ups are done, proves it — then says
/// `/quit` and exits 0 on the server's `BYE`.
struct ScriptRunner {
    let driver: SessionDriver
    let writeError: (String) -> Void

    func run(events: inout AsyncStream<ClientEvent>.Iterator) async -> Int32 {
        let session = driver.session
        driver.perform(session.start())
        var inputEnded = false
        var finalBarrier: String?
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
                writeError("the server closed the connection\(reason.map { ": \($0)" } ?? "")")
                return 1
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
