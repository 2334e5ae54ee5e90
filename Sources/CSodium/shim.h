#ifndef SECURECHAT_CSODIUM_SHIM_H
#define SECURECHAT_CSODIUM_SHIM_H
// libsodium's API is plain functions; its size constants are also exposed as
// functions (crypto_pwhash_strbytes() and friends), which ChatCrypto uses instead of
// the macros. Nothing here needs a wrapper yet.
#include <sodium.h>
#endif
