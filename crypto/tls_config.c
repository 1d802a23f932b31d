/* crypto/tls_config.c — the [tls] group: its schema, the strict TS 33.320 clause 8.3.4 defaults (TLS 1.2, the
 * RFC 5246 Appendix A.5 suites with AES128-SHA first, a demanded client certificate) and the values a scenario sets.
 */
#include "crypto/openssl_error.h"
#include "crypto/tls.h"

#include <string.h>
#include <openssl/err.h>

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
