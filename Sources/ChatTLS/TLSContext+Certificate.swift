internal import COpenSSL

extension TLSContext {
    /// Seconds from now until the context's certificate expires (negative once it
    /// has), or nil for a context without a certificate.
    public var secondsUntilCertificateExpiry: Int? {
        guard let certificate = SSL_CTX_get0_certificate(pointer),
            let notAfter = X509_get0_notAfter(certificate)
        else { return nil }
        var days: CInt = 0
        var seconds: CInt = 0
        // A nil "from" means now.
        guard ASN1_TIME_diff(&days, &seconds, nil, notAfter) == 1 else { return nil }
        return Int(days) * 86_400 + Int(seconds)
    }
}
