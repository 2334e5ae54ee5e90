import NIOCore

extension TimeAmount {
    static func fractionalSeconds(_ seconds: Double) -> TimeAmount {
        .nanoseconds(Int64(seconds * 1e9))
    }
}

func seconds(since start: NIODeadline) -> Double {
    Double((NIODeadline.now() - start).nanoseconds) / 1e9
}

/// Polls `condition` on `loop` every 20 ms until it holds (`then(true)`) or `timeout`
/// seconds pass (`then(false)`).
func waitFor(_ condition: @escaping () -> Bool, timeout: Double, on loop: any EventLoop, then: @escaping (Bool) -> Void) {
    let deadline = NIODeadline.now() + .fractionalSeconds(timeout)
    func check() {
        if condition() { return then(true) }
        if NIODeadline.now() >= deadline { return then(false) }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(20)) { check() }
    }
    check()
}

/// Waits (polling `/proc`, at most 15 s) until the server has used at most one clock tick (~3 % of a
/// core) in 300 ms, so work left over from setup or from an earlier run is not
/// measured; without a probe, waits 300 ms.
func waitForQuietServer(_ probe: ServerProbe?, on loop: any EventLoop, then: @escaping () -> Void) {
    guard let probe, var last = try? probe.cpuSeconds() else {
        loop.assumeIsolated().scheduleTask(in: .milliseconds(300)) { then() }
        return
    }
    let deadline = NIODeadline.now() + .seconds(15)
    func check() {
        let now = (try? probe.cpuSeconds()) ?? last
        if now - last <= 0.011 || NIODeadline.now() >= deadline { return then() }
        last = now
        loop.assumeIsolated().scheduleTask(in: .milliseconds(300)) { check() }
    }
    loop.assumeIsolated().scheduleTask(in: .milliseconds(300)) { check() }
}
