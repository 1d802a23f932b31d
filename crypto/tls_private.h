/* crypto/tls_private.h — what the files of the TLS layer (crypto/tls*.c) share and nothing else includes: the kept
 * session's fields, the job data the server's session callbacks see, the common part of a context, and the
 * in-memory handshake driver (tls_drive.c) that the engine and the maintenance-tool sessions both use.
 */
#ifndef HNB_TLS_PRIVATE_H
#define HNB_TLS_PRIVATE_H

#include "crypto/openssl_error.h"
#include "crypto/tls_engine.h"

/* A session's encoding (i2d_SSL_SESSION) without the peer's certificate, shared by reference: what a fleet keeps per
 * HNB between its sessions, ~0.2 KB where the decoded SSL_SESSION is ~1 KB (crypto/tls_session.c).  Immutable. */
typedef struct {
    gint ref;
    guint32 len;
    unsigned char data[];
} TlsDer;
/* s's encoding without its peer certificate (s unchanged), or NULL on failure (out of memory, an encoding OpenSSL
 * rejects). */
TlsDer *tls_der_of(SSL_SESSION *s);
TlsDer *tls_der_ref(TlsDer *d);
void tls_der_unref(TlsDer *d); /* NULL is ignored */
/* A new SSL_SESSION decoded from d (the caller's to free), or NULL. */
SSL_SESSION *tls_der_session(const TlsDer *d);

/* Both sessions are kept encoded without the peer's certificate (crypto/tls_session.c); the identity the ACS
 * authenticated at the full handshake is kept instead, and a resumption is authorized against it. */
struct HnbTlsSession {
    TlsDer *client; /* what the HNB offers */
    TlsDer *server; /* session IDs: the ACS's cached copy; NULL with tickets */
    char *identity; /* the certificate identity the ACS authenticated (NULL without client certificates) */
    HnbTime created;
};

/* What the session callbacks see of the job being run (SSL ex_data tls_job_index of the server SSL). */
typedef struct {
    const HnbTlsSession *resume;
    SSL_SESSION *new_server; /* the ACS's copy of a new session (session IDs) */
} Run;

/* The ex_data index of the server SSL's Run; valid once a server context has been made (hnb_tls_server_ctx_new). */
extern int tls_job_index;

/* ---- contexts (tls_context.c) -------------------------------------------------------------------------------- */

/* A context of either side with the profile's protocol bounds, cipher list and security level (level 0 only when
 * cfg allows TLS < 1.2), no TLS 1.3 suites unless cfg allows TLS 1.3, no compression or renegotiation, and no
 * real-time session expiry.  No certificates or trust: the callers add them. */
SSL_CTX *tls_ctx_common(const HnbTlsConfig *cfg, gboolean server, OSSL_LIB_CTX *libctx, GError **error);
/* The H(e)MS's verify mode per cfg->client_cert (required: SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT). */
void tls_server_verify_mode(SSL_CTX *ctx, const HnbTlsConfig *cfg);

/* The ACS's trust in a recovery session: the recovery CA and its CRL (checked: the server context's verify parameters
 * carry X509_V_FLAG_CRL_CHECK).  NULL with error set on failure. */
X509_STORE *tls_recovery_store(HnbPki *pki, GError **error);
/* Make the server SSL (of a context from hnb_tls_server_ctx_new) a recovery session, verifying client certificates
 * against recovery_store, naming the recovery CA in CertificateRequest and with a session id context of its own; or,
 * with recovery_store NULL, a normal session exactly as its context made it (manufacturer CA and CRL, the context's
 * CA list and session id context).  Set per connection: a reused SSL keeps these across SSL_clear.  FALSE on an
 * OpenSSL failure. */
gboolean tls_server_session_kind(SSL *server, HnbPki *pki, X509_STORE *recovery_store);

/* ---- reasons (tls_reason.c) ---------------------------------------------------------------------------------- */

/* Classify one end's failure from its verify result and the first error of its queue `e`; detail (may be NULL) gets
 * OpenSSL's words. */
HnbTlsReason tls_classify(SSL *ssl, unsigned long e, char *detail, size_t n);

/* ---- one in-memory handshake (tls_drive.c) ------------------------------------------------------------------- */

/* CPU time of the calling thread, ns. */
uint64_t tls_thread_cpu_ns(void);
/* A client and a server SSL joined by a BIO pair, in connect and accept state.  FALSE (nothing to free) on failure. */
gboolean tls_pair_new(SSL_CTX *cctx, SSL_CTX *sctx, SSL **client, SSL **server);
/* Step both ends alternately until both finish or one fails; the first end that fails is the detecting side, and its
 * own verify result and error queue give the reason.  acs_cpu_ns: NULL, or where to add the server's CPU time. */
gboolean tls_drive(SSL *client, SSL *server, HnbTlsReason *reason, HnbTlsSide *side, char *detail, size_t n,
                   uint64_t *acs_cpu_ns);

#endif
