import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where this device's end-to-end key file for an account on a server lives:
/// `keys/<user>@<server id>.key`, the id from ``ServerIdentities``. A key file of
/// the earlier scheme, named by the address typed (`keys/<user>@<host>_<port>.key`),
/// is moved there the first time, so upgrading keeps the key and the account is not
/// re-keyed (which every contact would see as a key-change warning).
enum KeyFileLocation {
    static func resolve(
        config: ConfigDirectory,
        user: String,
        endpoint: ServerEndpoint,
        publicKeySHA256: [UInt8]?
    ) throws(ClientFailure) -> (url: URL, notices: [Notice], serverID: String?) {
        let legacy = config.legacyKeyFile(user: user, server: endpoint)
        // Every certificate has a public key; without one, the old name is all there is.
        guard let publicKeySHA256 else { return (legacy, [], nil) }
        let url: URL
        let id: String
        do {
            id = try ServerIdentities(file: config.serverIdentities).identify(endpoint: endpoint, publicKeySHA256: publicKeySHA256)
            url = config.keyFile(user: user, serverID: id)
        } catch {
            throw ClientFailure("\(error)")
        }
        let manager = FileManager.default
        guard !manager.fileExists(atPath: url.path), manager.fileExists(atPath: legacy.path) else { return (url, [], id) }
        // rename(2) keeps the file's mode and owner; chmod again in case it was ever loosened.
        guard rename(legacy.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            return (legacy, [.warning("could not move your key file \(legacy.path) to \(url.path) (\(reason)); using it where it is")], id)
        }
        chmod(url.path, 0o600)
        return (
            url,
            [
                .note(
                    "moved your key file to \(url.path): key files are now named by the server's identity, not the address typed, so another spelling or port of this server finds it"
                )
            ],
            id
        )
    }
}
