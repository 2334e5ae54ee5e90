import XCTest

/// Test cases that each start with a fresh server/client pair, not yet connected, and
/// finish it afterwards.
class EmbeddedPairTestCase: XCTestCase {
    var pair: EmbeddedTLSPair!

    override func setUpWithError() throws {
        pair = try makeEmbeddedPair()
    }

    override func tearDown() {
        pair?.finish()
        pair = nil
    }
}
