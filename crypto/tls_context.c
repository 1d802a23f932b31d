/* crypto/tls_context.c — the clause 8.3.4 profile as OpenSSL contexts: the H(e)MS side (its certificate, the
 * manufacturer CA and CRL as trust, the client-certificate demand, session resumption; per connection, the recovery
 * CA and CRL instead for a golden module's recovery session) and the HNB side (the
 * operator root as trust, the H(e)MS name and the HNB's clock per connection), and the ACS's identity rule.
 */
#include "crypto/tls_private.h"

#include <string.h>
#include <openssl/x509v3.h>

/* Real-time session timeouts would make resumption depend on how long a run takes on this machine: a year is far
 * beyond any run; the simulated session_lifetime decides instead. */
#define REAL_SESSION_TIMEOUT (365L * 24 * 3600)

static const unsigned char sid_ctx[] = "hnbsim-acs";
/* A recovery session's own session id context: OpenSSL resumes a session only in the context it was made in
 * (ssl_get_prev_session treats another context's session as a cache miss), so a session of one kind offered in a
 * session of the other gets a full handshake, and with it the other kind's certificate check. */
static const unsigned char recovery_sid_ctx[] = "hnbsim-acs-recovery";

SSL_CTX *tls_ctx_common(const HnbTlsConfig *cfg, gboolean server, OSSL_LIB_CTX *libctx, GError **error)
{
    SSL_CTX *ctx = SSL_CTX_new_ex(libctx, NULL, server ? TLS_server_method() : TLS_client_method());
    if (!ctx) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "SSL_CTX_new_ex");
        return NULL;
    }
    /* OpenSSL 3 refuses TLS < 1.2 handshakes (SHA-1/MD5 signatures) at security level >= 1: lower it only then */
    if (cfg->min_version < TLS1_2_VERSION)
        SSL_CTX_set_security_level(ctx, 0);
    /* no PSK or SRP callbacks are ever installed, so no shared-secret suite can be negotiated; compression and
     * renegotiation are off as in any modern profile */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_set_min_proto_version(ctx, cfg->min_version) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, cfg->max_version) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_INPUT, "TLS protocol versions");
        goto fail;
    }
    if (SSL_CTX_set_cipher_list(ctx, cfg->ciphers) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_INPUT, "TLS cipher list");
        goto fail;
    }
    /* TLS 1.3 suites are not RFC 5246 suites: enabled only when the (custom) profile allows TLS 1.3 */
    if (cfg->max_version < TLS1_3_VERSION && SSL_CTX_set_ciphersuites(ctx, "") != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "SSL_CTX_set_ciphersuites");
        goto fail;
    }
    SSL_CTX_set_timeout(ctx, REAL_SESSION_TIMEOUT);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* Session-ID resumption: the ACS's copy of a session lives in the HNB's HnbTlsSession, reached through the job. */
int tls_job_index = -1;
static GOnce job_index_once = G_ONCE_INIT;

static gpointer job_index_init(gpointer unused)
{
    (void)unused;
    tls_job_index = SSL_get_ex_new_index(0, "hnbsim job", NULL, NULL, NULL);
    return NULL;
}

void tls_server_verify_mode(SSL_CTX *ctx, const HnbTlsConfig *cfg)
{
    int mode = cfg->client_cert == HNB_TLS_CLIENT_CERT_REQUIRED ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
               : cfg->client_cert == HNB_TLS_CLIENT_CERT_OPTIONAL ? SSL_VERIFY_PEER
                                                                   : SSL_VERIFY_NONE;
    SSL_CTX_set_verify(ctx, mode, NULL);
}

static int sess_new_cb(SSL *ssl, SSL_SESSION *sess)
{
    Run *run = SSL_get_ex_data(ssl, tls_job_index);
    if (!run)
        return 0;
    SSL_SESSION_free(run->new_server);
    run->new_server = sess; /* returning 1 hands us the reference */
    return 1;
}

static SSL_SESSION *sess_get_cb(SSL *ssl, const unsigned char *id, int len, int *copy)
{
    Run *run = SSL_get_ex_data(ssl, tls_job_index);
    *copy = 0;
    if (!run || !run->resume || !run->resume->server)
        return NULL;
    /* a private copy, decoded: OpenSSL may update the session it resumes, and the handle may be shared by jobs in
     * flight */
    SSL_SESSION *mine = tls_der_session(run->resume->server);
    unsigned int have_len = 0;
    const unsigned char *have = mine ? SSL_SESSION_get_id(mine, &have_len) : NULL;
    if (!mine || (unsigned)len != have_len || memcmp(id, have, have_len) != 0) {
        SSL_SESSION_free(mine);
        return NULL;
    }
    return mine;
}

SSL_CTX *hnb_tls_server_ctx_new(const HnbTlsConfig *cfg, HnbPki *pki, OSSL_LIB_CTX *libctx, GError **error)
{
    g_once(&job_index_once, job_index_init, NULL);
    SSL_CTX *ctx = tls_ctx_common(cfg, TRUE, libctx, error);
    if (!ctx)
        return NULL;
    const HnbPkiCred *hems = hnb_pki_hems(pki);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    if (SSL_CTX_use_certificate(ctx, hems->cert) != 1 || SSL_CTX_use_PrivateKey(ctx, hems->key) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1 || (sk_X509_num(hems->chain) > 0 && SSL_CTX_set1_chain(ctx, hems->chain) != 1)) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "H(e)MS certificate");
        goto fail;
    }
    if (X509_STORE_add_cert(store, hnb_pki_mfr(pki)->cert) != 1 || X509_STORE_add_crl(store, hnb_pki_crl(pki)) != 1 ||
        X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "H(e)MS trust store");
        goto fail;
    }
    /* the CA list sent in CertificateRequest: the manufacturer CA */
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    X509_NAME *mfr = X509_NAME_dup(X509_get_subject_name(hnb_pki_mfr(pki)->cert));
    if (!names || !mfr || !sk_X509_NAME_push(names, mfr)) {
        X509_NAME_free(mfr);
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "client CA list");
        goto fail;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    tls_server_verify_mode(ctx, cfg);
    if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "session id context");
        goto fail;
    }
    switch (cfg->resumption) {
    case HNB_TLS_RESUME_NONE:
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        break;
    case HNB_TLS_RESUME_IDS:
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
        SSL_CTX_sess_set_new_cb(ctx, sess_new_cb);
        SSL_CTX_sess_set_get_cb(ctx, sess_get_cb);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        break;
    case HNB_TLS_RESUME_TICKETS:
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        break;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

X509_STORE *tls_recovery_store(HnbPki *pki, GError **error)
{
    X509_STORE *store = X509_STORE_new();
    if (!store || X509_STORE_add_cert(store, hnb_pki_recovery_ca(pki)->cert) != 1 ||
        X509_STORE_add_crl(store, hnb_pki_recovery_crl(pki)) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "H(e)MS recovery trust store");
        X509_STORE_free(store);
        return NULL;
    }
    return store;
}

gboolean tls_server_session_kind(SSL *server, HnbPki *pki, X509_STORE *recovery_store)
{
    if (!recovery_store) {
        SSL_set_client_CA_list(server, NULL); /* the context's: the manufacturer CA */
        return SSL_set1_verify_cert_store(server, NULL) == 1 &&
               SSL_set_session_id_context(server, sid_ctx, sizeof sid_ctx - 1) == 1;
    }
    /* CertificateRequest names the recovery CA (RFC 5246 §7.4.4 certificate_authorities) */
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    X509_NAME *ca = X509_NAME_dup(X509_get_subject_name(hnb_pki_recovery_ca(pki)->cert));
    if (!names || !ca || !sk_X509_NAME_push(names, ca)) {
        X509_NAME_free(ca);
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return FALSE;
    }
    SSL_set_client_CA_list(server, names);
    return SSL_set1_verify_cert_store(server, recovery_store) == 1 &&
           SSL_set_session_id_context(server, recovery_sid_ctx, sizeof recovery_sid_ctx - 1) == 1;
}

SSL_CTX *hnb_tls_client_ctx_new(const HnbTlsConfig *cfg, HnbPki *pki, OSSL_LIB_CTX *libctx, GError **error)
{
    SSL_CTX *ctx = tls_ctx_common(cfg, FALSE, libctx, error);
    if (!ctx)
        return NULL;
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), hnb_pki_root(pki)->cert) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "HNB trust store");
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* the HNB keeps its session itself (HnbTlsSession); no client-side cache */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (cfg->resumption == HNB_TLS_RESUME_NONE)
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return ctx;
}

gboolean hnb_tls_client_setup(SSL *ssl, const HnbPkiCred *cred, const char *host, GError **error)
{
    if (cred && (SSL_use_certificate(ssl, cred->cert) != 1 || SSL_use_PrivateKey(ssl, cred->key) != 1 ||
                 (sk_X509_num(cred->chain) > 0 && SSL_set1_chain(ssl, cred->chain) != 1))) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "device certificate");
        return FALSE;
    }
    if (host) {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set1_host(ssl, host) != 1 || SSL_set_tlsext_host_name(ssl, host) != 1) {
            hnb_set_openssl_error(error, HNB_ERROR_RUN, "H(e)MS host name");
            return FALSE;
        }
    }
    return TRUE;
}

void hnb_tls_set_time(SSL *ssl, const HnbPki *pki, HnbTime t)
{
    HnbTime s = t / HNB_SEC - (t % HNB_SEC < 0);
    X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl), (time_t)(hnb_pki_params(pki)->epoch + s));
}

HnbTlsReason hnb_tls_authorize(X509 *peer, const HnbPki *pki, const char *oui, const char *serial, char **identity)
{
    if (identity)
        *identity = NULL;
    if (!peer)
        return HNB_TLS_NO_CLIENT_CERT;
    g_autofree char *have = hnb_pki_cert_identity(peer);
    g_autofree char *claim = hnb_pki_claimed_identity(oui, serial, hnb_pki_params(pki)->realm);
    /* the realm compares case-insensitively (DNS), the EUI-64 digits are both upper case by construction */
    HnbTlsReason r = have && claim && g_ascii_strcasecmp(have, claim) == 0 ? HNB_TLS_OK : HNB_TLS_IDENTITY_MISMATCH;
    if (identity)
        *identity = g_steal_pointer(&have);
    return r;
}
