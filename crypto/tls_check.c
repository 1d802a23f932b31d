/* crypto/tls_check.c — the compliance checker behind `hnbsim check`: each rule of the TS 33.320 clause 8.3.4 table
 * (crypto/profile.h) decided from a [tls] configuration, by building the contexts the engine would build and
 * inspecting what they enable (SSL_CTX_get_ciphers, protocol bounds, verify mode, security level).
 *
 * Two steps: read the facts of the contexts once (Facts), then decide every rule from them in the table's order.  The
 * report's lines appear in results (report.html), so their words and findings are part of a run's output.
 */
#include "crypto/profile.h"
#include "crypto/tls_private.h"

#include <stdarg.h>
#include <string.h>
#include <openssl/err.h>

/* What the contexts of a configuration enable. */
typedef struct {
    int lo, hi;        /* protocol bounds (no bound: SSL 3.0 / TLS 1.3) */
    int level;         /* the server's security level */
    int usable_lo;     /* the lowest version a handshake can complete at that level */
    GString *names;    /* every enabled suite */
    GString *bad;      /* ... not in RFC 5246 A.5 */
    GString *rc4;      /* ... with RC4 */
    GString *weak;     /* ... without encryption or authentication, export grade, or 3DES */
    GString *shared;   /* ... with shared-secret authentication (PSK, SRP) */
    gboolean aes128;   /* AES128-SHA is enabled */
    gboolean demand;   /* the H(e)MS fails a handshake without a client certificate */
    gboolean ask;      /* the H(e)MS asks for one */
    gboolean time_checked; /* the HNB checks certificate validity times */
} Facts;

typedef struct {
    GString *out;
    gboolean compliant;
} Report;

/* One report line, "STATUS  <rule's words>[ (finding)]"; a FAIL makes the configuration non-compliant. */
static void G_GNUC_PRINTF(4, 5) rule(Report *r, const char *status, HnbProfileRule which, const char *fmt, ...)
{
    if (strcmp(status, "FAIL") == 0)
        r->compliant = FALSE;
    g_string_append_printf(r->out, "%s  %s", status, hnb_profile_rule(which)->words);
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

/* A rule whose findings need no arguments: PASS with `pass`, or FAIL with `fail`. */
static void pass_if(Report *r, HnbProfileRule which, gboolean ok, const char *pass, const char *fail)
{
    rule(r, ok ? "PASS" : "FAIL", which, "%s", ok ? pass : fail);
}

static void append_sep(GString *s, const char *item)
{
    if (s->len)
        g_string_append_c(s, ' ');
    g_string_append(s, item);
}

/* ---- the facts ---------------------------------------------------------------------------------------------- */

static void read_versions(Facts *f, SSL_CTX *sctx)
{
    f->lo = SSL_CTX_get_min_proto_version(sctx);
    f->hi = SSL_CTX_get_max_proto_version(sctx);
    if (f->lo == 0)
        f->lo = SSL3_VERSION; /* no lower bound: the lowest the library knows */
    if (f->hi == 0)
        f->hi = TLS1_3_VERSION;
    f->level = SSL_CTX_get_security_level(sctx);
    /* OpenSSL 3 cannot complete a TLS < 1.2 handshake at security level >= 1 */
    f->usable_lo = f->level >= 1 && f->lo < TLS1_2_VERSION ? TLS1_2_VERSION : f->lo;
}

static void read_suites(Facts *f, STACK_OF(SSL_CIPHER) *ciphers)
{
    for (int i = 0; ciphers && i < sk_SSL_CIPHER_num(ciphers); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(ciphers, i);
        uint16_t id = (uint16_t)SSL_CIPHER_get_protocol_id(c);
        const char *name = SSL_CIPHER_get_name(c);
        int auth = SSL_CIPHER_get_auth_nid(c), cipher = SSL_CIPHER_get_cipher_nid(c);
        append_sep(f->names, name);
        if (id == HNB_PROFILE_AES128_SHA_ID)
            f->aes128 = TRUE;
        if (!hnb_profile_in_a5(id))
            append_sep(f->bad, name);
        if (cipher == NID_rc4)
            append_sep(f->rc4, name);
        if (cipher == NID_undef || cipher == NID_des_ede3_cbc || auth == NID_auth_null || strstr(name, "EXP"))
            append_sep(f->weak, name);
        if (auth == NID_auth_psk || auth == NID_auth_srp)
            append_sep(f->shared, name);
    }
}

static void read_authentication(Facts *f, SSL_CTX *sctx, SSL_CTX *cctx)
{
    int mode = SSL_CTX_get_verify_mode(sctx);
    f->demand = (mode & SSL_VERIFY_PEER) && (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    f->ask = (mode & SSL_VERIFY_PEER) != 0;
    f->time_checked = !(X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(cctx)) & X509_V_FLAG_NO_CHECK_TIME);
}

/* ---- the rules ---------------------------------------------------------------------------------------------- */

static void decide_ssl3(const Facts *f, Report *r)
{
    if (f->lo <= SSL3_VERSION)
        rule(r, "FAIL", HNB_PROFILE_SSL3, "SSL 3.0 is enabled%s",
#ifdef OPENSSL_NO_SSL3
             "; this OpenSSL lacks it, but the configuration allows it"
#else
             ""
#endif
        );
    else
        rule(r, "PASS", HNB_PROFILE_SSL3, NULL);
}

static void decide_tls10(const Facts *f, Report *r)
{
    if (f->lo <= TLS1_VERSION)
        rule(r, "FAIL", HNB_PROFILE_TLS10, "TLS 1.0 is enabled");
    else
        rule(r, "PASS", HNB_PROFILE_TLS10, NULL);
}

static void decide_versions(const Facts *f, Report *r)
{
    if (f->hi < TLS1_1_VERSION || f->usable_lo > f->hi)
        rule(r, "FAIL", HNB_PROFILE_VERSIONS, "no usable version of TLS 1.1 or later");
    else if (!(f->usable_lo <= TLS1_2_VERSION && f->hi >= TLS1_2_VERSION))
        rule(r, "WARN", HNB_PROFILE_VERSIONS, "TLS 1.2 is not enabled");
    else if (f->usable_lo <= TLS1_1_VERSION)
        rule(r, "PASS", HNB_PROFILE_VERSIONS, "TLS 1.1 and 1.2, security level %d", f->level);
    else
        rule(r, "PASS", HNB_PROFILE_VERSIONS, "TLS 1.2%s", f->hi > TLS1_2_VERSION ? " and 1.3" : "");
}

static void decide_cert_only(const Facts *f, Report *r)
{
    if (f->shared->len)
        rule(r, "FAIL", HNB_PROFILE_CERT_ONLY, "shared-secret suites enabled: %s", f->shared->str);
    else if (!f->demand)
        rule(r, "FAIL", HNB_PROFILE_CERT_ONLY, "the H(e)MS %s the HNB's certificate",
             f->ask ? "does not demand" : "does not ask for");
    else
        rule(r, "PASS", HNB_PROFILE_CERT_ONLY, "no PSK/SRP suites; the H(e)MS demands a client certificate");
}

static void decide_tls_transport(const Facts *f, Report *r)
{
    (void)f;
    rule(r, "PASS", HNB_PROFILE_TLS_TRANSPORT, "the simulated H(e)MS speaks only HTTPS");
}

static void decide_https_url(const Facts *f, Report *r)
{
    (void)f;
    rule(r, "PASS", HNB_PROFILE_HTTPS_URL, "https://<hems_fqdn>/");
}

static void decide_aes128_sha(const Facts *f, Report *r)
{
    pass_if(r, HNB_PROFILE_AES128_SHA, f->aes128 && f->usable_lo <= TLS1_2_VERSION, "AES128-SHA enabled",
            "AES128-SHA is not enabled");
}

static void decide_a5_only(const Facts *f, Report *r)
{
    if (f->bad->len || f->rc4->len)
        rule(r, "FAIL", HNB_PROFILE_A5_ONLY, "%s%s%s%s", f->bad->len ? "not in RFC 5246 A.5: " : "", f->bad->str,
             f->rc4->len ? (f->bad->len ? "; RC4: " : "RC4: ") : "", f->rc4->str);
    else
        rule(r, "PASS", HNB_PROFILE_A5_ONLY, "all enabled suites are RFC 5246 Appendix A.5 suites");
}

static void decide_no_weak(const Facts *f, Report *r)
{
    if (f->weak->len)
        rule(r, "FAIL", HNB_PROFILE_NO_WEAK, "%s", f->weak->str);
    else
        rule(r, "PASS", HNB_PROFILE_NO_WEAK, NULL);
}

static void decide_no_wait(const Facts *f, Report *r)
{
    (void)f;
    rule(r, "PASS", HNB_PROFILE_NO_WAIT, "the HNB connects with its local clock");
}

static void decide_local_clock(const Facts *f, Report *r)
{
    pass_if(r, HNB_PROFILE_LOCAL_CLOCK, f->time_checked, "validity checked against the HNB's local clock",
            "X509_V_FLAG_NO_CHECK_TIME is set");
}

static void decide_client_cert(const Facts *f, Report *r)
{
    if (f->ask)
        rule(r, "PASS", HNB_PROFILE_CLIENT_CERT, "the H(e)MS %s a client certificate",
             f->demand ? "demands" : "asks for");
    else
        rule(r, "FAIL", HNB_PROFILE_CLIENT_CERT, "the H(e)MS does not ask for a client certificate");
}

static void decide_identity(const Facts *f, Report *r)
{
    pass_if(r, HNB_PROFILE_IDENTITY, f->demand, "certificate identity <EUI-64>.<realm> must match the CWMP DeviceId",
            "an HNB without a certificate is not authenticated by its identity");
}

static void decide_hostname(const Facts *f, Report *r)
{
    (void)f;
    rule(r, "PASS", HNB_PROFILE_HOSTNAME, "SSL_set1_host");
}

static void (*const decide[HNB_PROFILE_RULE_COUNT])(const Facts *, Report *) = {
    [HNB_PROFILE_SSL3] = decide_ssl3,
    [HNB_PROFILE_TLS10] = decide_tls10,
    [HNB_PROFILE_VERSIONS] = decide_versions,
    [HNB_PROFILE_CERT_ONLY] = decide_cert_only,
    [HNB_PROFILE_TLS_TRANSPORT] = decide_tls_transport,
    [HNB_PROFILE_HTTPS_URL] = decide_https_url,
    [HNB_PROFILE_AES128_SHA] = decide_aes128_sha,
    [HNB_PROFILE_A5_ONLY] = decide_a5_only,
    [HNB_PROFILE_NO_WEAK] = decide_no_weak,
    [HNB_PROFILE_NO_WAIT] = decide_no_wait,
    [HNB_PROFILE_LOCAL_CLOCK] = decide_local_clock,
    [HNB_PROFILE_CLIENT_CERT] = decide_client_cert,
    [HNB_PROFILE_IDENTITY] = decide_identity,
    [HNB_PROFILE_HOSTNAME] = decide_hostname,
};

/* ---- the check ---------------------------------------------------------------------------------------------- */

/* The client and server contexts exactly as the engine builds them (less the certificates, which do not change what
 * is enabled), the server's verify mode set, and the client's enabled suites.  FALSE (nothing to free) on failure. */
static gboolean contexts(const HnbTlsConfig *cfg, SSL_CTX **cctx, SSL_CTX **sctx, STACK_OF(SSL_CIPHER) **ciphers,
                         GError **error)
{
    *cctx = tls_ctx_common(cfg, FALSE, NULL, error);
    *sctx = *cctx ? tls_ctx_common(cfg, TRUE, NULL, error) : NULL;
    SSL *ssl = *sctx ? SSL_new(*cctx) : NULL;
    *ciphers = ssl ? SSL_get1_supported_ciphers(ssl) : NULL;
    SSL_free(ssl);
    if (!*sctx) {
        SSL_CTX_free(*cctx);
        return FALSE;
    }
    if (!ssl) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "SSL_new");
        SSL_CTX_free(*cctx);
        SSL_CTX_free(*sctx);
        return FALSE;
    }
    ERR_clear_error();
    tls_server_verify_mode(*sctx, cfg);
    return TRUE;
}

gboolean hnb_tls_check_config(const HnbTlsConfig *cfg, GString *report, gboolean *compliant, GError **error)
{
    SSL_CTX *cctx, *sctx;
    STACK_OF(SSL_CIPHER) *ciphers;
    if (!contexts(cfg, &cctx, &sctx, &ciphers, error))
        return FALSE;
    g_autoptr(GString) names = g_string_new(NULL), bad = g_string_new(NULL), rc4 = g_string_new(NULL),
                       weak = g_string_new(NULL), shared = g_string_new(NULL);
    Facts f = {.names = names, .bad = bad, .rc4 = rc4, .weak = weak, .shared = shared};
    read_versions(&f, sctx);
    read_suites(&f, ciphers);
    read_authentication(&f, sctx, cctx);
    sk_SSL_CIPHER_free(ciphers);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    g_string_append_printf(report, "TS 33.320 8.3.4 TR-069 profile, [tls] profile = %s: versions %s..%s, security "
                           "level %d, suites: %s\n",
                           cfg->custom ? "custom" : "strict", hnb_tls_version_name(f.lo), hnb_tls_version_name(f.hi),
                           f.level, names->len ? names->str : "(none)");
    Report r = {report, TRUE};
    for (int k = 0; k < HNB_PROFILE_RULE_COUNT; k++)
        decide[k](&f, &r);
    g_string_append_printf(report, "%s\n", r.compliant ? "compliant" : cfg->custom ? "NOT compliant (profile = custom: "
                                                                                      "allowed, results marked)"
                                                                                    : "NOT compliant");
    *compliant = r.compliant;
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
