import ChatProtocol

/// libFuzzer's entry point: one input through framing, command parsing and
/// rendering, and server-line parsing, each compared with an independent reading
/// of PROTOCOL.md.
///
/// Any violated expectation stops the process (`fatalError`), so libFuzzer keeps
/// the input as a crash artifact.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, let input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size)) else {
        return 0
    }
    let lines = FramingCheck.run(input)

    // Rendering must also survive text that never passed the decoder: raw bytes,
    // repaired to UTF-8, with every control character and line break intact.
    var strings = [String(decoding: input.payload, as: UTF8.self)]
    ParsingCheck.run(strings[0])
    for case .text(let line) in lines {
        ParsingCheck.run(line)
        let command = CommandCheck.run(line)
        if strings.count < 6 {
            strings.append(line)
            strings += command?.fields ?? []
        }
    }
    RenderingCheck.run(strings: Array(strings.prefix(6)), codeSelector: input.chunkSeed)
    return 0
}

extension ClientCommand {
    /// The strings a command carries, which the server later puts into events.
    fileprivate var fields: [String] {
        switch self {
        case .login(let name, let password): [name, password]
        case .message(let text): [text]
        case .join(let room), .leave(let room), .rooms(.some(let room)), .who(.some(let room), nil): [room.display]
        case .who(.some(let room), .some(let after)): [room.display, after]
        case .say(let room, let text): [room.display, text]
        case .msg(let user, let text): [user, text]
        case .passwd(let old, let new): [old, new]
        case .ping(let token), .pong(let token): token.map { [$0] } ?? []
        case .setKey(let key): [key]
        case .getKey(let user): [user]
        case .encryptedMessage(let user, let payload): [user, payload]
        case .quit(let message): message.map { [$0] } ?? []
        case .history(let room, _): [room.display]
        case .capRequest(let capabilities): capabilities
        case .chatHistory(let query): [query.target.display]
        case .rooms(.none), .help, .who(.none, _), .capList, .catchUp: []
        }
    }
}
