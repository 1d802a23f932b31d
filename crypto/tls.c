/* crypto/tls.c — the §8.3.4 profile as OpenSSL contexts, reason codes, the compliance checker and the in-memory
 * handshake engine.  See tls.h for the contract.
 *
 * Engine layout: a job builds one client SSL and one server SSL on the thread's context pair, joins them with a BIO
 * pair and steps both state machines alternately until both finish or one fails.  The first end that fails is the
 * detecting side; its own verify result and error queue give the reason (the other end only sees an alert).
 *
 * Context modes (shared or per-thread SSL_CTX pairs): measured, see the comment above hnb_tls_thread_init().
 */
#include "crypto/openssl_error.h"
#include "crypto/tls.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

/* ---- reasons ----------------------------------------------------------------------------------------------------- */

static const char *const reason_names[HNB_TLS_REASON_COUNT] = {
    "ok",      "expired",          "not_yet_valid", "unknown_ca",    "identity_mismatch", "hostname_mismatch",
    "no_client_cert", "protocol_version", "no_shared_cipher", "revoked", "bad_signature", "other",
};

const char *hnb_tls_reason_name(HnbTlsReason r)
{
    return (unsigned)r < HNB_TLS_REASON_COUNT ? reason_names[r] : "other";
}

const char *hnb_tls_side_name(HnbTlsSide s)
{
    return s == HNB_TLS_SIDE_HNB ? "hnb" : s == HNB_TLS_SIDE_ACS ? "acs" : "-";
}

HnbTlsReason hnb_tls_reason_from_verify(long v)
{
    switch (v) {
    case X509_V_OK:
        return HNB_TLS_OK;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return HNB_TLS_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return HNB_TLS_NOT_YET_VALID;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
        return HNB_TLS_UNKNOWN_CA;
    case X509_V_ERR_HOSTNAME_MISMATCH:
        return HNB_TLS_HOSTNAME_MISMATCH;
    case X509_V_ERR_CERT_REVOKED:
        return HNB_TLS_REVOKED;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
        return HNB_TLS_BAD_SIGNATURE;
    default:
        return HNB_TLS_OTHER;
    }
}

/* The reason an SSL-library error code stands for (received alerts included); OTHER if none fits. */
static HnbTlsReason reason_from_err(unsigned long e)
{
    if (ERR_GET_LIB(e) != ERR_LIB_SSL)
        return HNB_TLS_OTHER;
    switch (ERR_GET_REASON(e)) {
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE: /* what a server without a common suite sends */
    case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY:
        return HNB_TLS_NO_SHARED_CIPHER;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_UNSUPPORTED_SSL_VERSION:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
        return HNB_TLS_PROTOCOL_VERSION;
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        return HNB_TLS_NO_CLIENT_CERT;
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
        return HNB_TLS_UNKNOWN_CA;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
        return HNB_TLS_EXPIRED;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
        return HNB_TLS_REVOKED;
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
        return HNB_TLS_BAD_SIGNATURE;
    default:
        return HNB_TLS_OTHER;
    }
}

/* Classify one end's failure from its verify result and the first error of its queue `e`. */
static HnbTlsReason classify(SSL *ssl, unsigned long e, char *detail, size_t n)
{
    long v = SSL_get_verify_result(ssl);
    if (v != X509_V_OK) {
        if (detail)
            g_snprintf(detail, n, "certificate verify failed: %s", X509_verify_cert_error_string(v));
        return hnb_tls_reason_from_verify(v);
    }
    if (detail) {
        if (e)
            ERR_error_string_n(e, detail, n);
        else
            g_strlcpy(detail, "handshake failed without an OpenSSL error (connection closed?)", n);
    }
    return reason_from_err(e);
}

HnbTlsReason hnb_tls_reason_from_ssl(SSL *ssl, char *detail, size_t detail_len)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    return classify(ssl, e, detail, detail_len);
}

/* ---- configuration ----------------------------------------------------------------------------------------------- */

const HnbKeySpec hnb_tls_schema[] = {
    {"tls", "profile", HNB_KEY_ENUM, 0, "strict", NULL, NULL, "strict|custom",
     "strict: TS 33.320 8.3.4 (run refuses a non-compliant [tls]); custom: anything, results marked non-compliant"},
    {"tls", "min_version", HNB_KEY_ENUM, 0, "tls1.2", NULL, NULL, "ssl3|tls1.0|tls1.1|tls1.2|tls1.3",
     "lowest protocol version (tls1.1 lowers OpenSSL's security level to 0; ssl3/tls1.0 only with profile=custom)"},
    {"tls", "max_version", HNB_KEY_ENUM, 0, "tls1.2", NULL, NULL, "tls1.0|tls1.1|tls1.2|tls1.3",
     "highest protocol version (tls1.3 only with profile=custom: its suites are not RFC 5246 suites)"},
    {"tls", "ciphers", HNB_KEY_STRING, 0, HNB_TLS_A5_CIPHERS, NULL, NULL, NULL,
     "OpenSSL cipher list for TLS <= 1.2 (default: the RFC 5246 Appendix A.5 suites, AES128-SHA first)"},
    {"tls", "client_cert", HNB_KEY_ENUM, 0, "required", NULL, NULL, "required|optional|none",
     "does the H(e)MS demand, merely ask for, or not ask for the HNB's certificate"},
    {"tls", "resumption", HNB_KEY_ENUM, 0, "ids", NULL, NULL, "none|ids|tickets",
     "TLS session resumption offered by the H(e)MS: none, session IDs, or session tickets (RFC 5077)"},
    {"tls", "session_lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1d", "1s", "3650d", NULL,
     "an HNB offers its kept session only if it is younger than this (simulated time)"},
    HNB_KEY_END,
};

int hnb_tls_version_parse(const char *t)
{
    return strcmp(t, "ssl3") == 0     ? SSL3_VERSION
           : strcmp(t, "tls1.0") == 0 ? TLS1_VERSION
           : strcmp(t, "tls1.1") == 0 ? TLS1_1_VERSION
           : strcmp(t, "tls1.2") == 0 ? TLS1_2_VERSION
           : strcmp(t, "tls1.3") == 0 ? TLS1_3_VERSION
                                      : 0;
}

const char *hnb_tls_version_name(int v)
{
    switch (v) {
    case SSL3_VERSION:
        return "ssl3";
    case TLS1_VERSION:
        return "tls1.0";
    case TLS1_1_VERSION:
        return "tls1.1";
    case TLS1_2_VERSION:
        return "tls1.2";
    case TLS1_3_VERSION:
        return "tls1.3";
    default:
        return "?";
    }
}

void hnb_tls_config_init(HnbTlsConfig *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->min_version = TLS1_2_VERSION;
    cfg->max_version = TLS1_2_VERSION;
    cfg->ciphers = g_strdup(HNB_TLS_A5_CIPHERS);
    cfg->client_cert = HNB_TLS_CLIENT_CERT_REQUIRED;
    cfg->resumption = HNB_TLS_RESUME_IDS;
    cfg->session_lifetime = HNB_DAY;
}

void hnb_tls_config_clear(HnbTlsConfig *cfg)
{
    g_free(cfg->ciphers);
    g_free(cfg->hems_host);
    memset(cfg, 0, sizeof *cfg);
}

void hnb_tls_config_copy(HnbTlsConfig *dst, const HnbTlsConfig *src)
{
    *dst = *src;
    dst->ciphers = g_strdup(src->ciphers);
    dst->hems_host = g_strdup(src->hems_host);
}

gboolean hnb_tls_config_from_scenario(HnbTlsConfig *cfg, const HnbScenario *sc, GError **error)
{
    hnb_tls_config_clear(cfg);
    hnb_tls_config_init(cfg);
    cfg->custom = strcmp(hnb_scenario_string(sc, "tls", "profile"), "custom") == 0;
    cfg->min_version = hnb_tls_version_parse(hnb_scenario_string(sc, "tls", "min_version"));
    cfg->max_version = hnb_tls_version_parse(hnb_scenario_string(sc, "tls", "max_version"));
    if (cfg->min_version > cfg->max_version) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: [tls] min_version = %s is above max_version = %s",
                    hnb_scenario_source(sc), hnb_scenario_string(sc, "tls", "min_version"),
                    hnb_scenario_string(sc, "tls", "max_version"));
        return FALSE;
    }
    g_free(cfg->ciphers);
    cfg->ciphers = g_strdup(hnb_scenario_string(sc, "tls", "ciphers"));
    const char *cc = hnb_scenario_string(sc, "tls", "client_cert");
    cfg->client_cert = strcmp(cc, "optional") == 0 ? HNB_TLS_CLIENT_CERT_OPTIONAL
                       : strcmp(cc, "none") == 0   ? HNB_TLS_CLIENT_CERT_NONE
                                                   : HNB_TLS_CLIENT_CERT_REQUIRED;
    const char *r = hnb_scenario_string(sc, "tls", "resumption");
    cfg->resumption = strcmp(r, "none") == 0      ? HNB_TLS_RESUME_NONE
                      : strcmp(r, "tickets") == 0 ? HNB_TLS_RESUME_TICKETS
                                                  : HNB_TLS_RESUME_IDS;
    cfg->session_lifetime = hnb_scenario_time(sc, "tls", "session_lifetime");
    /* a cipher string OpenSSL rejects is bad input: find out now */
    SSL_CTX *probe = SSL_CTX_new(TLS_method());
    if (!probe) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "SSL_CTX_new");
        return FALSE;
    }
    int ok = SSL_CTX_set_cipher_list(probe, cfg->ciphers);
    SSL_CTX_free(probe);
    if (ok != 1) {
        ERR_clear_error();
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [tls] ciphers = \"%s\": OpenSSL selects no cipher suite from this list",
                    hnb_scenario_source(sc), cfg->ciphers);
        return FALSE;
    }
    return TRUE;
}

/* ---- contexts ---------------------------------------------------------------------------------------------------- */

/* Real-time session timeouts would make resumption depend on how long a run takes on this machine: a year is far
 * beyond any run; the simulated session_lifetime decides instead. */
#define REAL_SESSION_TIMEOUT (365L * 24 * 3600)

static const unsigned char sid_ctx[] = "hnbsim-acs";

static SSL_CTX *ctx_common(const HnbTlsConfig *cfg, gboolean server, OSSL_LIB_CTX *libctx, GError **error)
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
typedef struct Run Run;
static int job_index = -1;
static GOnce job_index_once = G_ONCE_INIT;

static gpointer job_index_init(gpointer unused)
{
    (void)unused;
    job_index = SSL_get_ex_new_index(0, "hnbsim job", NULL, NULL, NULL);
    return NULL;
}

static void server_verify_mode(SSL_CTX *ctx, const HnbTlsConfig *cfg)
{
    int mode = cfg->client_cert == HNB_TLS_CLIENT_CERT_REQUIRED ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
               : cfg->client_cert == HNB_TLS_CLIENT_CERT_OPTIONAL ? SSL_VERIFY_PEER
                                                                   : SSL_VERIFY_NONE;
    SSL_CTX_set_verify(ctx, mode, NULL);
}

static int sess_new_cb(SSL *ssl, SSL_SESSION *sess);
static SSL_SESSION *sess_get_cb(SSL *ssl, const unsigned char *id, int len, int *copy);

SSL_CTX *hnb_tls_server_ctx_new(const HnbTlsConfig *cfg, HnbPki *pki, OSSL_LIB_CTX *libctx, GError **error)
{
    g_once(&job_index_once, job_index_init, NULL);
    SSL_CTX *ctx = ctx_common(cfg, TRUE, libctx, error);
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
    server_verify_mode(ctx, cfg);
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

SSL_CTX *hnb_tls_client_ctx_new(const HnbTlsConfig *cfg, HnbPki *pki, OSSL_LIB_CTX *libctx, GError **error)
{
    SSL_CTX *ctx = ctx_common(cfg, FALSE, libctx, error);
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

/* ---- compliance checker ------------------------------------------------------------------------------------------ */

/* RFC 5246 Appendix A.5, by IANA code point. */
static const uint16_t a5_suites[] = {
    0x0000, 0x0001, 0x0002, 0x003B, 0x0004, 0x0005, 0x000A, 0x002F, 0x0035, 0x003C, 0x003D, /* RSA */
    0x000D, 0x0010, 0x0013, 0x0016, 0x0030, 0x0031, 0x0032, 0x0033, 0x0036, 0x0037, 0x0038, 0x0039, /* DH/DHE */
    0x003E, 0x003F, 0x0040, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B,
    0x0018, 0x001B, 0x0034, 0x003A, 0x006C, 0x006D, /* DH_anon */
};
#define AES128_SHA 0x002F

static gboolean in_a5(uint16_t id)
{
    for (size_t i = 0; i < G_N_ELEMENTS(a5_suites); i++)
        if (a5_suites[i] == id)
            return TRUE;
    return FALSE;
}

typedef struct {
    GString *out;
    gboolean compliant;
} Report;

static void G_GNUC_PRINTF(4, 5) rule(Report *r, const char *status, const char *words, const char *fmt, ...)
{
    if (strcmp(status, "FAIL") == 0)
        r->compliant = FALSE;
    g_string_append_printf(r->out, "%s  %s", status, words);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        g_string_append(r->out, " (");
        g_string_append_vprintf(r->out, fmt, ap);
        g_string_append(r->out, ")");
        va_end(ap);
    }
    g_string_append_c(r->out, '\n');
}

static void append_sep(GString *s, const char *item)
{
    if (s->len)
        g_string_append_c(s, ' ');
    g_string_append(s, item);
}

gboolean hnb_tls_check_config(const HnbTlsConfig *cfg, GString *report, gboolean *compliant, GError **error)
{
    /* the contexts exactly as the engine builds them (less the certificates, which do not change what is enabled) */
    SSL_CTX *cctx = ctx_common(cfg, FALSE, NULL, error);
    SSL_CTX *sctx = cctx ? ctx_common(cfg, TRUE, NULL, error) : NULL;
    SSL *ssl = sctx ? SSL_new(cctx) : NULL;
    STACK_OF(SSL_CIPHER) *ciphers = ssl ? SSL_get1_supported_ciphers(ssl) : NULL;
    if (!sctx) {
        SSL_CTX_free(cctx);
        return FALSE;
    }
    if (!ssl) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "SSL_new");
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
        return FALSE;
    }
    ERR_clear_error();
    server_verify_mode(sctx, cfg);

    Report r = {report, TRUE};
    int lo = SSL_CTX_get_min_proto_version(sctx), hi = SSL_CTX_get_max_proto_version(sctx);
    if (lo == 0)
        lo = SSL3_VERSION; /* no lower bound: the lowest the library knows */
    if (hi == 0)
        hi = TLS1_3_VERSION;
    int level = SSL_CTX_get_security_level(sctx);
    /* OpenSSL 3 cannot complete a TLS < 1.2 handshake at security level >= 1 */
    int usable_lo = level >= 1 && lo < TLS1_2_VERSION ? TLS1_2_VERSION : lo;
    g_autoptr(GString) names = g_string_new(NULL), bad = g_string_new(NULL), rc4 = g_string_new(NULL),
                       weak = g_string_new(NULL), shared = g_string_new(NULL);
    gboolean aes128 = FALSE;
    for (int i = 0; ciphers && i < sk_SSL_CIPHER_num(ciphers); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(ciphers, i);
        uint16_t id = (uint16_t)SSL_CIPHER_get_protocol_id(c);
        const char *name = SSL_CIPHER_get_name(c);
        int auth = SSL_CIPHER_get_auth_nid(c), cipher = SSL_CIPHER_get_cipher_nid(c);
        append_sep(names, name);
        if (id == AES128_SHA)
            aes128 = TRUE;
        if (!in_a5(id))
            append_sep(bad, name);
        if (cipher == NID_rc4)
            append_sep(rc4, name);
        if (cipher == NID_undef || cipher == NID_des_ede3_cbc || auth == NID_auth_null || strstr(name, "EXP"))
            append_sep(weak, name);
        if (auth == NID_auth_psk || auth == NID_auth_srp)
            append_sep(shared, name);
    }
    sk_SSL_CIPHER_free(ciphers);
    int mode = SSL_CTX_get_verify_mode(sctx);
    gboolean demand = (mode & SSL_VERIFY_PEER) && (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    gboolean ask = (mode & SSL_VERIFY_PEER) != 0;
    gboolean time_checked = !(X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(cctx)) & X509_V_FLAG_NO_CHECK_TIME);

    g_string_append_printf(report, "TS 33.320 8.3.4 TR-069 profile, [tls] profile = %s: versions %s..%s, security "
                           "level %d, suites: %s\n",
                           cfg->custom ? "custom" : "strict", hnb_tls_version_name(lo), hnb_tls_version_name(hi),
                           level, names->len ? names->str : "(none)");
    if (lo <= SSL3_VERSION)
        rule(&r, "FAIL", "SSL 3.0 shall not be used as it is outdated.", "SSL 3.0 is enabled%s",
#ifdef OPENSSL_NO_SSL3
             "; this OpenSSL lacks it, but the configuration allows it"
#else
             ""
#endif
        );
    else
        rule(&r, "PASS", "SSL 3.0 shall not be used as it is outdated.", NULL);
    if (lo <= TLS1_VERSION)
        rule(&r, "FAIL", "[profile] TLS 1.0 shall not be used.", "TLS 1.0 is enabled");
    else
        rule(&r, "PASS", "[profile] TLS 1.0 shall not be used.", NULL);
    const char *v = "At least TLS 1.1 shall be supported. TLS 1.2 should be supported.";
    if (hi < TLS1_1_VERSION || usable_lo > hi)
        rule(&r, "FAIL", v, "no usable version of TLS 1.1 or later");
    else if (!(usable_lo <= TLS1_2_VERSION && hi >= TLS1_2_VERSION))
        rule(&r, "WARN", v, "TLS 1.2 is not enabled");
    else if (usable_lo <= TLS1_1_VERSION)
        rule(&r, "PASS", v, "TLS 1.1 and 1.2, security level %d", level);
    else
        rule(&r, "PASS", v, "TLS 1.2%s", hi > TLS1_2_VERSION ? " and 1.3" : "");
    const char *cert_only = "Shared-secret-based authentication between H(e)NB acting as CPE and H(e)MS acting as ACS "
                            "shall not be allowed. Only certificate-based authentication shall be allowed.";
    if (shared->len)
        rule(&r, "FAIL", cert_only, "shared-secret suites enabled: %s", shared->str);
    else if (!demand)
        rule(&r, "FAIL", cert_only, "the H(e)MS %s the HNB's certificate", ask ? "does not demand" : "does not ask for");
    else
        rule(&r, "PASS", cert_only, "no PSK/SRP suites; the H(e)MS demands a client certificate");
    rule(&r, "PASS", "The use of TLS to transport the CPE WAN Management Protocol shall be mandatory ...",
         "the simulated H(e)MS speaks only HTTPS");
    rule(&r, "PASS", "The H(e)MS URI shall be specified as an HTTPS URL ...", "https://<hems_fqdn>/");
    const char *aes = "The support of TLS cipher suite RSA_WITH_AES_128_CBC_SHA shall be mandatory.";
    if (aes128 && usable_lo <= TLS1_2_VERSION)
        rule(&r, "PASS", aes, "AES128-SHA enabled");
    else
        rule(&r, "FAIL", aes, "AES128-SHA is not enabled");
    const char *only = "Only TLS cipher suites listed in TLS 1.2 shall be used. Ciphersuites with RC4 shall not be used.";
    if (bad->len || rc4->len)
        rule(&r, "FAIL", only, "%s%s%s%s", bad->len ? "not in RFC 5246 A.5: " : "", bad->str,
             rc4->len ? (bad->len ? "; RC4: " : "RC4: ") : "", rc4->str);
    else
        rule(&r, "PASS", only, "all enabled suites are RFC 5246 Appendix A.5 suites");
    if (weak->len)
        rule(&r, "FAIL", "[profile] No NULL, anonymous, export or 3DES suites.", "%s", weak->str);
    else
        rule(&r, "PASS", "[profile] No NULL, anonymous, export or 3DES suites.", NULL);
    rule(&r, "PASS",
         "The H(e)NB acting as CPE shall not be obliged to wait until it has accurate absolute time before it contacts "
         "the H(e)MS acting as ACS.",
         "the HNB connects with its local clock");
    const char *clock = "If the H(e)NB contacts the H(e)MS without having the accurate absolute time, it shall not "
                        "ignore components of the H(e)MS certificate related to absolute time ... but use the local "
                        "clock.";
    if (time_checked)
        rule(&r, "PASS", clock, "validity checked against the HNB's local clock");
    else
        rule(&r, "FAIL", clock, "X509_V_FLAG_NO_CHECK_TIME is set");
    const char *client = "The support for H(e)NB authentication using client-side (CPE side) certificates shall be "
                         "mandatory.";
    if (ask)
        rule(&r, "PASS", client, "the H(e)MS %s a client certificate", demand ? "demands" : "asks for");
    else
        rule(&r, "FAIL", client, "the H(e)MS does not ask for a client certificate");
    const char *ident = "The H(e)NB acting as CPE shall be authenticated to the H(e)MS by the globally unique H(e)NB "
                        "identity contained in the H(e)NB certificate.";
    if (demand)
        rule(&r, "PASS", ident, "certificate identity <EUI-64>.<realm> must match the CWMP DeviceId");
    else
        rule(&r, "FAIL", ident, "an HNB without a certificate is not authenticated by its identity");
    rule(&r, "PASS", "[profile] The HNB checks the H(e)MS certificate name against the URL host.", "SSL_set1_host");
    g_string_append_printf(report, "%s\n", r.compliant ? "compliant" : cfg->custom ? "NOT compliant (profile = custom: "
                                                                                      "allowed, results marked)"
                                                                                    : "NOT compliant");
    *compliant = r.compliant;
    SSL_free(ssl);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return TRUE;
}

gboolean hnb_tls_check(const HnbScenario *sc, GString *report, gboolean *compliant, GError **error)
{
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    gboolean ok = hnb_tls_config_from_scenario(&cfg, sc, error) && hnb_tls_check_config(&cfg, report, compliant, error);
    hnb_tls_config_clear(&cfg);
    return ok;
}

/* ---- the handshake engine ---------------------------------------------------------------------------------------- */

/* Both sessions are kept without the peer's certificate (crypto/tls_session.c); the identity the ACS authenticated at
 * the full handshake is kept instead, and a resumption is authorized against it. */
struct HnbTlsSession {
    SSL_SESSION *client; /* what the HNB offers */
    SSL_SESSION *server; /* session IDs: the ACS's cached copy; NULL with tickets */
    char *identity;      /* the certificate identity the ACS authenticated (NULL without client certificates) */
    HnbTime created;
};

void hnb_tls_session_free(HnbTlsSession *s)
{
    if (!s)
        return;
    SSL_SESSION_free(s->client);
    SSL_SESSION_free(s->server);
    g_free(s->identity);
    g_free(s);
}

HnbTime hnb_tls_session_created(const HnbTlsSession *s) { return s ? s->created : HNB_TIME_NEVER; }
void hnb_tls_session_set_created(HnbTlsSession *s, HnbTime t) { s->created = t; }

struct HnbTlsEngine {
    HnbPki *pki;
    HnbTlsConfig acs, hnb;
    HnbTlsCtxMode mode;
    SSL_CTX *server, *client; /* shared pair (also the configuration check) */
    unsigned char ticket_keys[80]; /* name(16) + HMAC(32) + AES(32): the same in every per-thread context */
};

typedef struct {
    HnbTlsEngine *engine;
    OSSL_LIB_CTX *libctx; /* the thread's own library context (NULL: the default one, shared) */
    SSL_CTX *server, *client;
    /* The client/server pair of the thread's last successful handshake, joined by their BIO pair and reset with
     * SSL_clear for the next job (NULL: none kept; the next job makes a new pair).  See pair_get(). */
    SSL *kept_client, *kept_server;
} ThreadCtx;

/* What the session callbacks see of the job being run. */
struct Run {
    const HnbTlsSession *resume;
    SSL_SESSION *new_server; /* the ACS's copy of a new session (session IDs) */
};

static int sess_new_cb(SSL *ssl, SSL_SESSION *sess)
{
    Run *run = SSL_get_ex_data(ssl, job_index);
    if (!run)
        return 0;
    SSL_SESSION_free(run->new_server);
    run->new_server = sess; /* returning 1 hands us the reference */
    return 1;
}

static SSL_SESSION *sess_get_cb(SSL *ssl, const unsigned char *id, int len, int *copy)
{
    Run *run = SSL_get_ex_data(ssl, job_index);
    *copy = 0;
    if (!run || !run->resume || !run->resume->server)
        return NULL;
    unsigned int have_len;
    const unsigned char *have = SSL_SESSION_get_id(run->resume->server, &have_len);
    if ((unsigned)len != have_len || memcmp(id, have, have_len) != 0)
        return NULL;
    /* a private copy: OpenSSL may update the session it resumes, and the handle may be shared by jobs in flight */
    return SSL_SESSION_dup(run->resume->server);
}

static gboolean thread_ctx_build(ThreadCtx *tc, HnbTlsEngine *e, OSSL_LIB_CTX *libctx, GError **error)
{
    tc->engine = e;
    if (!(tc->server = hnb_tls_server_ctx_new(&e->acs, e->pki, libctx, error)) ||
        !(tc->client = hnb_tls_client_ctx_new(&e->hnb, e->pki, libctx, error)))
        return FALSE;
    if (e->acs.resumption == HNB_TLS_RESUME_TICKETS &&
        SSL_CTX_set_tlsext_ticket_keys(tc->server, e->ticket_keys, sizeof e->ticket_keys) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "ticket keys");
        return FALSE;
    }
    return TRUE;
}

HnbTlsEngine *hnb_tls_engine_new(HnbPki *pki, const HnbTlsConfig *acs, const HnbTlsConfig *hnb, GError **error)
{
    HnbTlsEngine *e = g_new0(HnbTlsEngine, 1);
    e->pki = pki;
    e->mode = HNB_TLS_CTX_PER_THREAD;
    hnb_tls_config_copy(&e->acs, acs);
    hnb_tls_config_copy(&e->hnb, hnb ? hnb : acs);
    if (RAND_bytes(e->ticket_keys, sizeof e->ticket_keys) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "RAND_bytes");
        hnb_tls_engine_free(e);
        return NULL;
    }
    ThreadCtx tc = {0};
    if (!thread_ctx_build(&tc, e, NULL, error)) {
        SSL_CTX_free(tc.server);
        SSL_CTX_free(tc.client);
        g_prefix_error(error, "TLS engine: ");
        hnb_tls_engine_free(e);
        return NULL;
    }
    e->server = tc.server;
    e->client = tc.client;
    return e;
}

void hnb_tls_engine_free(HnbTlsEngine *e)
{
    if (!e)
        return;
    SSL_CTX_free(e->server);
    SSL_CTX_free(e->client);
    hnb_tls_config_clear(&e->acs);
    hnb_tls_config_clear(&e->hnb);
    OPENSSL_cleanse(e->ticket_keys, sizeof e->ticket_keys);
    g_free(e);
}

void hnb_tls_engine_set_ctx_mode(HnbTlsEngine *e, HnbTlsCtxMode mode) { e->mode = mode; }
HnbPki *hnb_tls_engine_pki(HnbTlsEngine *e) { return e->pki; }

/* Per-thread library contexts are process-wide and never freed, like OpenSSL's default one.  Whatever a thread's
 * handshakes touch may keep a reference into its context after the thread, its engine and even its PKI are gone:
 * a PKI key used there caches its export to that context's provider until the key is freed, and a session an HNB
 * keeps holds a certificate and key decoded there.  So a thread takes an idle context or makes one and gives it back
 * when it ends; there are never more than the most threads that ran handshakes at once. */
static GMutex idle_libctx_lock;
static GPtrArray *idle_libctxs;

static OSSL_LIB_CTX *libctx_take(void)
{
    OSSL_LIB_CTX *lc = NULL;
    g_mutex_lock(&idle_libctx_lock);
    if (idle_libctxs && idle_libctxs->len > 0)
        lc = g_ptr_array_steal_index_fast(idle_libctxs, idle_libctxs->len - 1);
    g_mutex_unlock(&idle_libctx_lock);
    if (lc)
        return lc;
    lc = OSSL_LIB_CTX_new();
    if (!lc || !OSSL_PROVIDER_load(lc, "default")) {
        OSSL_LIB_CTX_free(lc); /* nothing was made in it yet */
        return NULL;
    }
    return lc;
}

static void libctx_give_back(OSSL_LIB_CTX *lc)
{
    if (!lc)
        return;
    g_mutex_lock(&idle_libctx_lock);
    if (!idle_libctxs)
        idle_libctxs = g_ptr_array_new();
    g_ptr_array_add(idle_libctxs, lc);
    g_mutex_unlock(&idle_libctx_lock);
}

/* Context modes.  Full handshakes per wall second (EC P-256 devices, RSA-2048 H(e)MS, TLS 1.2 AES128-SHA, both ends
 * in-process), `hnbsim calibrate --compare-ctx` on the 2-vCPU EPYC (OpenSSL 3.0.22) while other jobs loaded it
 * (load average ~2.5, so treat the numbers as rough):
 *   1 thread:  shared 995/s, per-thread 968/s (equal within noise)
 *   2 threads: shared 562/s, per-thread 794/s (+41%)
 * A shared pair does not scale (its locks and reference counts bounce between cores); per-thread pairs cost two
 * context builds per thread and are the default.
 *
 * Per-thread pairs also get their own OSSL_LIB_CTX: OpenSSL 3.0 takes a read lock on the library context's name
 * map, method store or provider for nearly every fetch, hundreds per handshake (~10% of a handshake's time in
 * pthread_rwlock_* on one thread, perf); in a shared context every one of them is an atomic on a cache line both
 * cores write.  A private context costs nothing measurable on one thread (14.10 M instructions per full handshake
 * with it, 14.09 M without, callgrind), and keys and certificates of the default context work in it (OpenSSL
 * exports a key to the thread's provider once and caches the export in the key). */
void *hnb_tls_thread_init(void *engine)
{
    HnbTlsEngine *e = engine;
    ThreadCtx *tc = g_new0(ThreadCtx, 1);
    tc->engine = e;
    if (e->mode == HNB_TLS_CTX_SHARED) {
        SSL_CTX_up_ref(e->server);
        SSL_CTX_up_ref(e->client);
        tc->server = e->server;
        tc->client = e->client;
        return tc;
    }
    g_autoptr(GError) error = NULL;
    tc->libctx = libctx_take();
    if (!tc->libctx)
        hnb_set_openssl_error(&error, HNB_ERROR_RUN, "OSSL_LIB_CTX_new");
    if (!tc->libctx || !thread_ctx_build(tc, e, tc->libctx, &error)) {
        /* the same configuration built once already in hnb_tls_engine_new: only resources can fail here */
        g_warning("TLS engine: per-thread context failed (%s); using the shared one", error->message);
        SSL_CTX_free(tc->server);
        SSL_CTX_free(tc->client);
        libctx_give_back(g_steal_pointer(&tc->libctx));
        SSL_CTX_up_ref(e->server);
        SSL_CTX_up_ref(e->client);
        tc->server = e->server;
        tc->client = e->client;
    }
    return tc;
}

void hnb_tls_thread_free(void *thread_ctx)
{
    ThreadCtx *tc = thread_ctx;
    if (!tc)
        return;
    SSL_free(tc->kept_client);
    SSL_free(tc->kept_server);
    SSL_CTX_free(tc->server);
    SSL_CTX_free(tc->client);
    libctx_give_back(tc->libctx);
    g_free(tc);
}

void hnb_tls_job_init(HnbTlsJob *job, HnbTlsEngine *engine, uint32_t hnb, HnbTime hnb_clock, HnbTime acs_time,
                      const HnbTlsSession *resume)
{
    memset(job, 0, sizeof *job);
    job->engine = engine;
    job->hnb = hnb;
    job->hnb_clock = hnb_clock;
    job->acs_time = acs_time;
    job->resume = resume;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void job_fail(HnbTlsJob *job, HnbTlsReason r, HnbTlsSide side, const char *detail)
{
    job->reason = r;
    job->side = side;
    if (detail)
        g_strlcpy(job->detail, detail, sizeof job->detail);
}

/* One end's step: TRUE while it is fine (done or waiting); FALSE on a fatal failure, with its first error in *err. */
static gboolean step(SSL *ssl, gboolean *done, unsigned long *err)
{
    if (*done)
        return TRUE;
    int r = SSL_do_handshake(ssl);
    if (r == 1) {
        *done = TRUE;
        return TRUE;
    }
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return TRUE;
    *err = ERR_get_error();
    ERR_clear_error();
    return FALSE;
}

/* Reusing the SSL pair.  SSL_new copies the context's certificate set, verify parameters and cipher lists and
 * allocates the record buffers; SSL_free undoes all of it, and a BIO pair is two more 17 KiB buffers.  SSL_clear
 * instead resets one connection's state and keeps the rest, which SSL_clear(3) says is sound for a new connection
 * with a peer of the same settings — here the same two contexts every time.  Only the pair of a SUCCESSFUL handshake
 * is kept (a failure may leave state we would have to reason about), and what SSL_clear keeps that could leak into
 * the next job is reset explicitly (pair_put): the sessions, the client's certificate, the verify results.  The
 * outcome of a job therefore does not depend on what the thread ran before (tests/test-tls.c compares pooled runs
 * with fresh SSL objects per job). */
static gboolean pair_get(ThreadCtx *tc, SSL **client, SSL **server, GError **error)
{
    if (tc->kept_client) {
        *client = g_steal_pointer(&tc->kept_client);
        *server = g_steal_pointer(&tc->kept_server);
        return TRUE;
    }
    HnbTlsEngine *e = tc->engine;
    BIO *cb = NULL, *sb = NULL;
    SSL *c = SSL_new(tc->client), *s = SSL_new(tc->server);
    if (!c || !s || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "SSL_new");
        SSL_free(c);
        SSL_free(s);
        return FALSE;
    }
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    /* the H(e)MS name the HNB checks is the engine's, the same for every job: set once per pair */
    if (!hnb_tls_client_setup(c, NULL, e->hnb.hems_host ? e->hnb.hems_host : hnb_pki_params(e->pki)->hems_fqdn,
                              error)) {
        SSL_free(c);
        SSL_free(s);
        return FALSE;
    }
    *client = c;
    *server = s;
    return TRUE;
}

/* Keep the pair of a successful handshake (both ends marked shut down) for the thread's next job, or free it. */
static void pair_put(ThreadCtx *tc, SSL *client, SSL *server)
{
    gboolean ok = !tc->kept_client && BIO_ctrl_pending(SSL_get_rbio(client)) == 0 &&
                  BIO_ctrl_pending(SSL_get_rbio(server)) == 0;
    /* drop the sessions first (SSL_clear would keep them, and the client would offer its own next time) */
    ok = ok && SSL_set_session(client, NULL) == 1 && SSL_set_session(server, NULL) == 1;
    ok = ok && SSL_clear(client) == 1 && SSL_clear(server) == 1;
    if (!ok) {
        ERR_clear_error();
        SSL_free(client);
        SSL_free(server);
        return;
    }
    SSL_certs_clear(client); /* the next job sets its HNB's certificate, or none */
    /* SSL_clear keeps the last verify result; a new SSL starts from X509_V_OK, and so does a reused one */
    SSL_set_verify_result(client, X509_V_OK);
    SSL_set_verify_result(server, X509_V_OK);
    SSL_set_ex_data(server, job_index, NULL);
    tc->kept_client = client;
    tc->kept_server = server;
}

/* A TLS 1.2 full handshake takes 4 flights; a handful of rounds more is a stuck handshake (a bug). */
#define MAX_ROUNDS 32

/* A client and a server SSL joined by a BIO pair, in connect and accept state.  FALSE (nothing to free) on failure. */
static gboolean pair_new(SSL_CTX *cctx, SSL_CTX *sctx, SSL **client, SSL **server)
{
    BIO *cb = NULL, *sb = NULL;
    *client = SSL_new(cctx);
    *server = SSL_new(sctx);
    if (!*client || !*server || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1) {
        SSL_free(*client);
        SSL_free(*server);
        *client = *server = NULL;
        return FALSE;
    }
    SSL_set_bio(*client, cb, cb);
    SSL_set_bio(*server, sb, sb);
    SSL_set_connect_state(*client);
    SSL_set_accept_state(*server);
    return TRUE;
}

/* Step both ends alternately until both finish or one fails; the first end that fails is the detecting side, and its
 * own verify result and error queue give the reason.  acs_cpu_ns: NULL, or where to add the server's CPU time. */
static gboolean drive(SSL *client, SSL *server, HnbTlsReason *reason, HnbTlsSide *side, char *detail, size_t n,
                      uint64_t *acs_cpu_ns)
{
    gboolean cdone = FALSE, sdone = FALSE;
    unsigned long cerr = 0, serr = 0;
    for (int round = 0; round < MAX_ROUNDS && !(cdone && sdone); round++) {
        if (!step(client, &cdone, &cerr)) {
            *reason = classify(client, cerr, detail, n);
            *side = HNB_TLS_SIDE_HNB;
            return FALSE;
        }
        uint64_t t0 = sdone || !acs_cpu_ns ? 0 : thread_cpu_ns();
        gboolean fine = step(server, &sdone, &serr);
        if (t0)
            *acs_cpu_ns += thread_cpu_ns() - t0;
        if (!fine) {
            *reason = classify(server, serr, detail, n);
            *side = HNB_TLS_SIDE_ACS;
            return FALSE;
        }
    }
    if (!(cdone && sdone)) {
        *reason = HNB_TLS_OTHER;
        *side = HNB_TLS_SIDE_NONE;
        g_strlcpy(detail, "handshake did not complete", n);
        return FALSE;
    }
    return TRUE;
}

static void run_handshake(HnbTlsJob *job, ThreadCtx *tc)
{
    HnbTlsEngine *e = tc->engine;
    const HnbTlsConfig *hcfg = &e->hnb;
    Run run = {NULL, NULL};
    SSL *client = NULL, *server = NULL;
    const HnbPkiCred *cred = NULL;
    char *identity = NULL; /* the ACS authenticated (freed at out: every path reaches it) */
    g_autoptr(GError) error = NULL;

    if (!(job->flags & HNB_TLS_JOB_NO_CERT) && hcfg->client_cert != HNB_TLS_CLIENT_CERT_NONE) {
        cred = job->flags & HNB_TLS_JOB_FOREIGN_CERT ? hnb_pki_foreign_device(e->pki, job->hnb, &error)
                                                     : hnb_pki_device(e->pki, job->hnb, &error);
        if (!cred) {
            job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_HNB, error->message);
            return;
        }
    }
    if (!pair_get(tc, &client, &server, &error)) {
        job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_NONE, error->message);
        goto out;
    }
    if (!hnb_tls_client_setup(client, cred, hcfg->hems_host ? hcfg->hems_host : hnb_pki_params(e->pki)->hems_fqdn,
                              &error) ||
        !SSL_set_ex_data(server, job_index, &run)) {
        if (!error)
            hnb_set_openssl_error(&error, HNB_ERROR_RUN, "SSL_set_ex_data");
        job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_NONE, error->message);
        goto out;
    }
    hnb_tls_set_time(client, e->pki, job->hnb_clock);
    hnb_tls_set_time(server, e->pki, job->acs_time);
    /* After a renewal the H(e)MS presents the certificate in use at the ACS's time; set on every job, since the SSL
     * pair is reused across jobs of either side of the renewal. */
    if (hnb_pki_hems_renewed(e->pki)) {
        const HnbPkiCred *hems = hnb_pki_hems_at(e->pki, job->acs_time);
        if (SSL_use_cert_and_key(server, hems->cert, hems->key, hems->chain, 1) != 1) {
            hnb_set_openssl_error(&error, HNB_ERROR_RUN, "SSL_use_cert_and_key");
            job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_ACS, error->message);
            goto out;
        }
    }
    const HnbTlsSession *offer = job->resume;
    if (offer && (e->acs.resumption == HNB_TLS_RESUME_NONE || hcfg->resumption == HNB_TLS_RESUME_NONE ||
                  job->acs_time - offer->created >= hcfg->session_lifetime || !offer->client))
        offer = NULL;
    if (offer) {
        run.resume = offer;
        SSL_SESSION *copy = SSL_SESSION_dup(offer->client);
        int ok = copy && SSL_set_session(client, copy) == 1;
        SSL_SESSION_free(copy);
        if (!ok) {
            hnb_set_openssl_error(&error, HNB_ERROR_RUN, "SSL_set_session");
            job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_HNB, error->message);
            goto out;
        }
    }

    ERR_clear_error();
    if (!drive(client, server, &job->reason, &job->side, job->detail, sizeof job->detail,
               job->flags & HNB_TLS_JOB_MEASURE_ACS ? &job->acs_cpu_ns : NULL))
        goto out;

    /* the ACS authenticates the HNB by the identity in its certificate (§8.3.4); a session resumed from the ACS's
     * copy (kept without the certificate) by the identity that copy was authenticated with */
    if (e->acs.client_cert != HNB_TLS_CLIENT_CERT_NONE) {
        char oui[7], serial[11];
        hnb_pki_device_id(e->pki, job->hnb, oui, serial);
        const char *claim_oui = job->oui ? job->oui : oui, *claim_serial = job->serial ? job->serial : serial;
        X509 *peer = SSL_get0_peer_certificate(server);
        HnbTlsReason r;
        if (!peer && SSL_session_reused(server) && offer && offer->identity) {
            g_autofree char *claim = hnb_pki_claimed_identity(claim_oui, claim_serial, hnb_pki_params(e->pki)->realm);
            r = claim && g_ascii_strcasecmp(offer->identity, claim) == 0 ? HNB_TLS_OK : HNB_TLS_IDENTITY_MISMATCH;
            identity = g_strdup(offer->identity);
        } else {
            r = hnb_tls_authorize(peer, e->pki, claim_oui, claim_serial, &identity);
        }
        if (r != HNB_TLS_OK) {
            job_fail(job, r, HNB_TLS_SIDE_ACS,
                     r == HNB_TLS_NO_CLIENT_CERT ? "no client certificate"
                                                 : "the CWMP DeviceId does not match the certificate identity");
            goto out;
        }
    }
    job->reason = HNB_TLS_OK;
    job->side = HNB_TLS_SIDE_NONE;
    job->resumed = SSL_session_reused(client) && SSL_session_reused(server);
    job->version = SSL_version(client);
    job->cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(client));
    if (e->acs.resumption != HNB_TLS_RESUME_NONE && hcfg->resumption != HNB_TLS_RESUME_NONE) {
        HnbTlsSession *s = g_new0(HnbTlsSession, 1);
        SSL_SESSION *got = SSL_get1_session(client);
        /* after a resumption it is a copy of the offer, already without a certificate */
        if (got && SSL_SESSION_get0_peer(got)) {
            s->client = hnb_tls_session_strip_peer(got);
            SSL_SESSION_free(got);
        } else {
            s->client = got;
        }
        s->created = job->resumed ? offer->created : job->acs_time;
        s->identity = g_steal_pointer(&identity);
        if (e->acs.resumption == HNB_TLS_RESUME_IDS) {
            if (run.new_server) {
                s->server = hnb_tls_session_strip_peer(run.new_server);
            } else if (job->resumed && offer->server && SSL_SESSION_up_ref(offer->server)) {
                s->server = offer->server;
            }
        }
        if (!s->client || (e->acs.resumption == HNB_TLS_RESUME_IDS && run.new_server && !s->server)) {
            hnb_tls_session_free(s); /* out of memory or an encoding OpenSSL rejects: nothing to keep */
            s = NULL;
        }
        job->session = s;
    }
    /* the resumption trap: an SSL freed without being marked shut down takes its session out of the cache and
     * marks it not resumable */
    SSL_set_shutdown(client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    pair_put(tc, g_steal_pointer(&client), g_steal_pointer(&server));
out:
    SSL_SESSION_free(run.new_server);
    SSL_free(client); /* a failed handshake's pair is not reused */
    SSL_free(server);
    g_free(identity);
    ERR_clear_error();
}

void hnb_tls_job_run(void *vjob, void *thread_ctx)
{
    HnbTlsJob *job = vjob;
    uint64_t t0 = thread_cpu_ns();
    job->reason = HNB_TLS_OTHER;
    job->side = HNB_TLS_SIDE_NONE;
    job->resumed = FALSE;
    job->session = NULL;
    job->version = 0;
    job->cipher = NULL;
    job->detail[0] = '\0';
    job->acs_cpu_ns = 0;
    run_handshake(job, thread_ctx);
    job->cpu_ns = thread_cpu_ns() - t0;
}

void hnb_tls_job_run_once(HnbTlsJob *job)
{
    void *tc = hnb_tls_thread_init(job->engine);
    hnb_tls_job_run(job, tc);
    hnb_tls_thread_free(tc);
}

/* ---- local maintenance tools ------------------------------------------------------------------------------------- */

/* The H(e)MS-side context with the tool's certificate instead of the H(e)MS's, no resumption (a tool session is a
 * one-off), and the HNB-side context that also checks the tool CA's CRL.  Built per handshake: the callers cache
 * outcomes, so handshakes are few, and per-call contexts keep the fleet's shared ones untouched. */
static gboolean tool_ctxs(const HnbTlsToolJob *job, SSL_CTX **sctx, SSL_CTX **cctx, GError **error)
{
    *sctx = hnb_tls_server_ctx_new(job->cfg, job->pki, NULL, error);
    *cctx = *sctx ? hnb_tls_client_ctx_new(job->cfg, job->pki, NULL, error) : NULL;
    if (!*cctx)
        return FALSE;
    SSL_CTX_set_session_cache_mode(*sctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(*sctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_options(*cctx, SSL_OP_NO_TICKET);
    const HnbPkiCred *t = job->tool;
    if (SSL_CTX_use_certificate(*sctx, t->cert) != 1 || SSL_CTX_use_PrivateKey(*sctx, t->key) != 1 ||
        SSL_CTX_check_private_key(*sctx) != 1 || (sk_X509_num(t->chain) > 0 && SSL_CTX_set1_chain(*sctx, t->chain) != 1)) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "tool certificate");
        return FALSE;
    }
    if (job->crl && (X509_STORE_add_crl(SSL_CTX_get_cert_store(*cctx), job->crl) != 1 ||
                     X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(*cctx), X509_V_FLAG_CRL_CHECK) != 1)) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "HNB tool CRL");
        return FALSE;
    }
    return TRUE;
}

void hnb_tls_tool_job_run(HnbTlsToolJob *job)
{
    SSL_CTX *sctx = NULL, *cctx = NULL;
    SSL *client = NULL, *server = NULL;
    g_autoptr(GError) error = NULL;
    const HnbPkiCred *dev = NULL;
    job->reason = HNB_TLS_OTHER;
    job->side = HNB_TLS_SIDE_NONE;
    job->detail[0] = '\0';
    if (!tool_ctxs(job, &sctx, &cctx, &error) || !(dev = hnb_pki_device(job->pki, job->hnb, &error)) ||
        !pair_new(cctx, sctx, &client, &server)) {
        if (!error)
            hnb_set_openssl_error(&error, HNB_ERROR_RUN, "SSL_new");
        g_strlcpy(job->detail, error->message, sizeof job->detail);
        goto out;
    }
    if (!hnb_tls_client_setup(client, dev, job->host, &error)) {
        g_strlcpy(job->detail, error->message, sizeof job->detail);
        goto out;
    }
    hnb_tls_set_time(client, job->pki, job->hnb_clock);
    hnb_tls_set_time(server, job->pki, job->tool_time);
    ERR_clear_error();
    if (!drive(client, server, &job->reason, &job->side, job->detail, sizeof job->detail, NULL))
        goto out;
    /* the tool, like the H(e)MS, authenticates the HNB by the identity in its certificate */
    char oui[7], serial[11];
    hnb_pki_device_id(job->pki, job->hnb, oui, serial);
    job->reason = hnb_tls_authorize(SSL_get0_peer_certificate(server), job->pki, oui, serial, NULL);
    job->side = job->reason == HNB_TLS_OK ? HNB_TLS_SIDE_NONE : HNB_TLS_SIDE_ACS;
out:
    SSL_free(client);
    SSL_free(server);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
}
