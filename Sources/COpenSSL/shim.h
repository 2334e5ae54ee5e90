#ifndef SECURECHAT_COPENSSL_SHIM_H
#define SECURECHAT_COPENSSL_SHIM_H
// Swift cannot import function-like macros or the SSL_OP_* constants (they expand
// through SSL_OP_BIT(n)), so each one ChatTLS needs gets a one-line wrapper here.
// Nothing else belongs in this file: the logic lives in Swift.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>

static inline int securechat_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_min_proto_version(ctx, v); }
static inline int securechat_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_max_proto_version(ctx, v); }
static inline long securechat_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long securechat_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_session_cache_mode(ctx, mode); }
static inline int securechat_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) { return (int)SSL_CTX_set1_groups_list(ctx, list); }
static inline int securechat_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
static inline void securechat_BIO_set_retry_read(BIO *bio) { BIO_set_retry_read(bio); }
static inline void securechat_BIO_clear_retry_flags(BIO *bio) { BIO_clear_retry_flags(bio); }
static inline void securechat_OPENSSL_free(void *p) { OPENSSL_free(p); }

static inline long securechat_SSL_MODE_RELEASE_BUFFERS(void) { return SSL_MODE_RELEASE_BUFFERS; }
static inline long securechat_SSL_MODE_NO_AUTO_CHAIN(void) { return SSL_MODE_NO_AUTO_CHAIN; }
static inline long securechat_SSL_SESS_CACHE_OFF(void) { return SSL_SESS_CACHE_OFF; }

static inline uint64_t securechat_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t securechat_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t securechat_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t securechat_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }

#endif
