import Foundation
internal import CSodium

/// Why a secret key file could not be opened.
public enum SecretKeyFileError: Error, Sendable, Equatable {
    /// Not a key file of a version this program reads, or damaged (the text says where).
    case malformed(String)
    /// The password does not open the sealed key: a different password, or a
    /// changed file.
    case wrongPassword
    /// Argon2id could not get its working memory.
    case outOfMemory
}

/// The text of a file holding an end-to-end secret key sealed under a password:
///
/// ```text
/// securechat-secret-key v1
/// kdf argon2id13 <opslimit> <memlimit>
/// salt <base64, 16 bytes>
/// public-key <base64, 32 bytes>
/// nonce <base64, 24 bytes>
/// sealed-secret-key <base64, 48 bytes>
/// ```
///
/// The sealing key is Argon2id (`crypto_pwhash`) of the password and a random salt;
/// the secret key is sealed with `crypto_secretbox_easy` (XSalsa20-Poly1305), so a
/// wrong password and a changed file are both caught by the tag, never turned into a
/// wrong key. The public key is in clear so a locked file still shows which key it
/// holds; opening checks that it belongs to the sealed secret key. The file carries
/// its own Argon2id cost, so the default can rise without breaking old files.
public enum SecretKeyFile {
    static let header = "securechat-secret-key v1"
    static let saltLength = 16
    static let keyLength = 32
    static let nonceLength = 24
    static let tagLength = 16

    /// Costs a file may ask for: a tampered file must not make opening it take
    /// forever or allocate without bound.
    static var opsLimitRange: ClosedRange<UInt64> {
        UInt64(crypto_pwhash_opslimit_min())...UInt64(crypto_pwhash_opslimit_sensitive()) * 2
    }
    static var memLimitRange: ClosedRange<Int> {
        crypto_pwhash_memlimit_min()...crypto_pwhash_memlimit_sensitive()
    }

    /// Seals `keyPair`'s secret key under `password` (runs Argon2id: blocks for the
    /// cost's time and memory).
    public static func seal(_ keyPair: BoxKeyPair, password: String, cost: PasswordCost = .interactive) throws(SecretKeyFileError) -> String {
        Sodium.ensureInitialised()
        var salt = [UInt8](repeating: 0, count: saltLength)
        randombytes_buf(&salt, saltLength)
        var nonce = [UInt8](repeating: 0, count: nonceLength)
        randombytes_buf(&nonce, nonceLength)
        let sealingKey = try deriveKey(password: password, salt: salt, opsLimit: cost.opsLimit, memLimit: cost.memLimit)
        var sealed = [UInt8](repeating: 0, count: BoxKeyPair.secretKeyLength + tagLength)
        let status = keyPair.secretKey.withUnsafePointer { secret in
            sealingKey.withUnsafePointer { key in
                crypto_secretbox_easy(&sealed, secret, UInt64(BoxKeyPair.secretKeyLength), nonce, key)
            }
        }
        precondition(status == 0, "crypto_secretbox_easy cannot fail with valid lengths")
        return [
            header,
            "kdf argon2id13 \(cost.opsLimit) \(cost.memLimit)",
            "salt \(Data(salt).base64EncodedString())",
            "public-key \(keyPair.publicKey.base64)",
            "nonce \(Data(nonce).base64EncodedString())",
            "sealed-secret-key \(Data(sealed).base64EncodedString())",
        ].joined(separator: "\n") + "\n"
    }

    /// The public key a file holds, without the password.
    public static func publicKey(in text: String) throws(SecretKeyFileError) -> BoxPublicKey {
        try Parsed(text).publicKey
    }

    /// Opens the file with `password` (runs Argon2id at the file's cost).
    public static func open(_ text: String, password: String) throws(SecretKeyFileError) -> BoxKeyPair {
        let file = try Parsed(text)
        let sealingKey = try deriveKey(password: password, salt: file.salt, opsLimit: file.opsLimit, memLimit: file.memLimit)
        let secret = SecretBytes(count: BoxKeyPair.secretKeyLength) { out in
            sealingKey.withUnsafePointer { key in
                crypto_secretbox_open_easy(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    file.sealed, UInt64(file.sealed.count), file.nonce, key
                ) == 0
            }
        }
        guard let secret else { throw .wrongPassword }
        guard let keyPair = BoxKeyPair(secretKey: secret), keyPair.publicKey == file.publicKey else {
            throw .malformed("the public key does not belong to the sealed secret key")
        }
        return keyPair
    }

    private static func deriveKey(password: String, salt: [UInt8], opsLimit: UInt64, memLimit: Int) throws(SecretKeyFileError) -> SecretBytes {
        Sodium.ensureInitialised()
        var passwordBytes = password.utf8CString
        defer { Sodium.wipe(&passwordBytes) }
        var failure: Int32 = 0
        let key = passwordBytes.withUnsafeBufferPointer { pw in
            SecretBytes(count: keyLength) { out in
                let status = crypto_pwhash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(keyLength),
                    pw.baseAddress!, UInt64(pw.count - 1), salt,
                    opsLimit, memLimit, crypto_pwhash_alg_argon2id13()
                )
                failure = errno
                return status == 0
            }
        }
        guard let key else {
            throw failure == ENOMEM ? .outOfMemory : .malformed("the key derivation refused the password or cost")
        }
        return key
    }

    private struct Parsed {
        let opsLimit: UInt64
        let memLimit: Int
        let salt: [UInt8]
        let publicKey: BoxPublicKey
        let nonce: [UInt8]
        let sealed: [UInt8]

        init(_ text: String) throws(SecretKeyFileError) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            guard lines.first == SecretKeyFile.header else {
                throw .malformed("not a securechat v1 secret key file")
            }
            var fields: [String: [String]] = [:]
            for line in lines.dropFirst() {
                let words = line.split(separator: " ").map(String.init)
                guard let name = words.first, fields[name] == nil else {
                    throw .malformed("repeated or empty line")
                }
                fields[name] = Array(words.dropFirst())
            }
            guard let kdf = fields["kdf"], kdf.count == 3, kdf[0] == "argon2id13",
                let ops = UInt64(kdf[1]), let mem = Int(kdf[2]),
                SecretKeyFile.opsLimitRange.contains(ops), SecretKeyFile.memLimitRange.contains(mem)
            else {
                throw .malformed("missing or unsupported kdf line")
            }
            func bytes(_ name: String, _ count: Int) throws(SecretKeyFileError) -> [UInt8] {
                guard let value = fields[name], value.count == 1, let data = Data(base64Encoded: value[0]),
                    data.count == count
                else {
                    throw .malformed("missing or bad \(name) line")
                }
                return Array(data)
            }
            self.opsLimit = ops
            self.memLimit = mem
            self.salt = try bytes("salt", SecretKeyFile.saltLength)
            guard let publicKey = BoxPublicKey(bytes: try bytes("public-key", BoxPublicKey.length)) else {
                throw .malformed("bad public key")
            }
            self.publicKey = publicKey
            self.nonce = try bytes("nonce", SecretKeyFile.nonceLength)
            self.sealed = try bytes("sealed-secret-key", BoxKeyPair.secretKeyLength + SecretKeyFile.tagLength)
        }
    }
}
