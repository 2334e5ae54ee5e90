import ChatProtocol
import NIOCore
import NIOEmbedded

/// Feeds the input to a `LineFrameDecoder` the way the server does (inside a
/// `ByteToMessageHandler`, read by read, then EOF) and compares what comes out with
/// ``ReferenceFraming``.
enum FramingCheck {
    /// Returns the decoded lines, after checking them against the reference.
    static func run(_ input: FuzzInput) -> [InboundLine] {
        let actual = self.decodeThroughPipeline(input)
        let expected = ReferenceFraming.decode(input.payload, maxLineLength: input.maxLineLength)
        check(
            actual == expected,
            "decoder \(actual) != reference \(expected), limit \(input.maxLineLength), seed \(input.chunkSeed)"
        )
        for case .text(let text) in actual.lines {
            check(text.utf8.count <= input.maxLineLength, "a line longer than the limit was accepted")
            check(!text.unicodeScalars.contains(where: \.isProtocolControl), "a control character got through")
            check(!text.unicodeScalars.allSatisfy(\.isBlank), "a blank line was emitted")
        }
        return actual.lines
    }

    private static func decodeThroughPipeline(_ input: FuzzInput) -> ReferenceFraming.Outcome {
        let channel = EmbeddedChannel()
        do {
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(LineFrameDecoder(maxLineLength: input.maxLineLength))
            )
        } catch {
            violation("adding the decoder failed: \(error)")
        }

        var outcome = ReferenceFraming.Outcome()
        for read in input.reads() {
            do {
                try channel.writeInbound(channel.allocator.buffer(bytes: read))
            } catch let error as LineTooLongError {
                check(error.limit == input.maxLineLength, "LineTooLongError names limit \(error.limit)")
                outcome.lines += self.drain(channel)
                outcome.tooLong = true
                _ = try? channel.finish(acceptAlreadyClosed: true)
                return outcome
            } catch {
                violation("the decoder threw \(error)")
            }
            outcome.lines += self.drain(channel)
        }

        // EOF: a partial last line is dropped, and nothing is left over or emitted late.
        do {
            let leftOvers = try channel.finish()
            check(leftOvers.isClean, "EOF emitted or left something: \(leftOvers)")
        } catch {
            violation("EOF threw \(error)")
        }
        return outcome
    }

    private static func drain(_ channel: EmbeddedChannel) -> [InboundLine] {
        var lines: [InboundLine] = []
        do {
            while let line = try channel.readInbound(as: InboundLine.self) {
                lines.append(line)
            }
        } catch {
            violation("reading a decoded line failed: \(error)")
        }
        return lines
    }
}
