import ChatModel
import ChatProtocol
import NIOCore

/// `/chathistory` and `/catchup`. Their lines are always stamped, whatever the
/// session negotiated: the ids are what a client pages and catches up by.
extension SessionCommands {
    func chatHistory(_ query: ChatHistoryQuery, as handle: SessionHandle, for session: SessionHandler) {
        let account = handle.credential.account
        guard let eventLoop = session.eventLoop else { return }
        switch query.target {
        case .room(let room):
            guard let name = router.room(room, ifMemberIs: account) else {
                session.send(.error(.notInRoom, "you are not in \(room.display)"))
                return
            }
            session.beginOperation()
            conversations.page(of: name, query.selector, limit: query.limit, for: account, on: eventLoop).assumeIsolated().whenComplete {
                result in
                answer(result.map { ($0, name.display) }, command: .chathistory, target: name.display, for: session)
            }
        case .user(let text):
            guard let user = UserName(text) else {
                session.send(.error(.noSuchUser, "no such user"))
                return
            }
            session.beginOperation()
            conversations.page(with: user, query.selector, limit: query.limit, for: account, on: eventLoop).assumeIsolated().whenComplete {
                result in
                switch result {
                case .success(.noSuchUser):
                    session.send(.error(.noSuchUser, "no such user"))
                    session.endOperation()
                case .success(.page(let page, let name)):
                    answer(.success((page, name.display)), command: .chathistory, target: name.display, for: session)
                case .failure(let error):
                    answer(.failure(error), command: .chathistory, target: text, for: session)
                }
            }
        }
    }

    func catchUp(after: Int64, limit: Int, as handle: SessionHandle, for session: SessionHandler) {
        let account = handle.credential.account
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        let rooms = router.rooms(of: account)
        conversations.catchUp(after: after, limit: limit, for: account, rooms: rooms, on: eventLoop).assumeIsolated().whenComplete { result in
            answer(result.map { ($0, nil) }, command: .catchup, target: nil, for: session)
        }
    }

    /// The page's stamped lines, then `OK <command> [target] <n> [more]`; ends the
    /// operation the caller began.
    private func answer(
        _ result: Result<(Conversations.LinePage, String?), any Error>,
        command: ClientCommand.Kind,
        target: String?,
        for session: SessionHandler
    ) {
        switch result {
        case .success(let (page, target)):
            for (line, stamp) in page.lines {
                session.send(.stamped(stamp, line))
            }
            let details = [target, String(page.lines.count), page.more ? "more" : nil].compactMap { $0 }
            session.send(.ok(command: command.rawValue, details: details.joined(separator: " ")))
        case .failure(let error):
            session.log(.error, "\(command.rawValue) not read", ["error": "\(error)"])
            session.send(.error(.busy, "history unavailable, try again shortly"))
        }
        session.endOperation()
    }
}
