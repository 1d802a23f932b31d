/* crypto/openssl_error.h — OpenSSL's error queue as an hnbsim error.
 *
 * OpenSSL reports failures on a thread-local queue, not in return values; every call into it that can fail is
 * followed, on failure, by this helper, so the message the user sees carries OpenSSL's own words and the queue is
 * empty again for the next call (a stale entry would be blamed on an unrelated later failure).
 */
#ifndef HNB_CRYPTO_OPENSSL_ERROR_H
#define HNB_CRYPTO_OPENSSL_ERROR_H

#include "sim/error.h"

/* Format the calling thread's OpenSSL error queue into `error` (domain HNB_ERROR, `code`) and clear the queue:
 * "<what>: <OpenSSL's words>; <more>", or "<what>: (no OpenSSL error)" when the queue was empty. */
void hnb_set_openssl_error(GError **error, int code, const char *what);

#endif
