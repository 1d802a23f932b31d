/* crypto/libctx.h — per-thread OpenSSL library contexts for pool workers (the TLS engine's, the IKE job's).
 *
 * OpenSSL 3.0 takes a read lock on the library context's name map, method store or provider for nearly every fetch;
 * in one context shared by every worker each of those is an atomic on a cache line all cores write.  A worker
 * therefore takes a context of its own (measured: crypto/tls_engine.c, above hnb_tls_thread_init).
 *
 * Contexts are process-wide and never freed, like OpenSSL's default one: whatever a thread's jobs touch may keep a
 * reference into its context after the thread is gone (a PKI key caches its export to that context's provider until
 * the key is freed; a kept TLS session holds a certificate decoded there).  A thread takes an idle context or makes
 * one, and gives it back when it ends, so there are never more than the most threads that ran at once.
 */
#ifndef HNB_CRYPTO_LIBCTX_H
#define HNB_CRYPTO_LIBCTX_H

#include <openssl/types.h>

/* An idle context, or a new lean one (libctx.c: the default provider's algorithms, with only the decoders of RSA and
 * EC keys and the generic DER ones); NULL if OpenSSL cannot make one (its error queue says why). */
OSSL_LIB_CTX *hnb_libctx_take(void);
/* Return a context taken with hnb_libctx_take for a later thread (NULL is ignored). */
void hnb_libctx_give_back(OSSL_LIB_CTX *lc);
/* One lean context for the whole process (made on first use, never freed), for parsing outside the workers: the PKI
 * reads its credentials' certificates into it, so a certificate read costs one lean public-key decode.  NULL if
 * OpenSSL cannot make it; callers then use the default context. */
OSSL_LIB_CTX *hnb_libctx_shared(void);

#endif
