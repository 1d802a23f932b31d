/* crypto/pki_params.c — the [pki] group: its schema, the parameters it fills, and the parsers for its values (the
 * epoch, the revoked index list, key types, the OUI and DNS names of TS 33.320 clause 8.3.3.1 identities).
 */
#include "crypto/pki_private.h"

#include <string.h>

const HnbKeySpec hnb_pki_schema[] = {
    {"pki", "epoch", HNB_KEY_STRING, 0, "2026-01-01T00:00:00Z", NULL, NULL, NULL,
     "absolute time of simulated t = 0 (ISO 8601); certificate validity is placed relative to it"},
    {"pki", "realm", HNB_KEY_STRING, 0, "hnb.operator.example", NULL, NULL, NULL,
     "realm of the device identities <EUI-64>.<realm> (TS 33.320 8.3.3.1)"},
    {"pki", "hems_fqdn", HNB_KEY_STRING, 0, "hems.operator.example", NULL, NULL, NULL,
     "H(e)MS host name: the HTTPS URL host and the server certificate's SAN dNSName"},
    {"pki", "segw_fqdn", HNB_KEY_STRING, 0, "segw.operator.example", NULL, NULL, NULL,
     "Security Gateway host name: its certificate's SAN dNSName, which the HNB checks in IKEv2 (TS 33.320 7.1, 7.3)"},
    {"pki", "oui", HNB_KEY_STRING, 0, "02484E", NULL, NULL, NULL,
     "OUI (6 hex digits) of the device EUI-64s; HNB i has extension i"},
    {"pki", "device_key", HNB_KEY_ENUM, 0, "ec-p256", NULL, NULL, "ec-p256|rsa-2048", "device key type"},
    {"pki", "ca_key", HNB_KEY_ENUM, 0, "rsa-2048", NULL, NULL, "ec-p256|rsa-2048",
     "operator root and manufacturer CA key type"},
    {"pki", "signing_key", HNB_KEY_ENUM, 0, "ec-p256", NULL, NULL, "ec-p256|rsa-2048",
     "software-signing key (ECDSA P-256 or RSA-PSS)"},
    {"pki", "hems_key", HNB_KEY_ENUM, 0, "rsa-2048", NULL, NULL, "rsa-2048|rsa-4096",
     "H(e)MS server key type (RSA: the clause 8.3.4 profile's cipher suites authenticate the server with RSA); "
     "rsa-4096 costs the server ~7x the private-key work of rsa-2048 per full handshake"},
    {"pki", "segw_key", HNB_KEY_ENUM, 0, "rsa-2048", NULL, NULL, "ec-p256|rsa-2048",
     "SeGW key type: it signs the SeGW's IKEv2 AUTH payload (TS 33.320 7.3; rsa-2048 like the H(e)MS's)"},
    {"pki", "ca_issued_before", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "365d", "0s", "36500d", NULL,
     "CA certificates are valid from this long before the epoch"},
    {"pki", "ca_lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "7300d", "1s", "36500d", NULL,
     "CA certificate validity period"},
    {"pki", "hems_issued_before", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "30d", "0s", "36500d", NULL,
     "the H(e)MS certificate is valid from this long before the epoch"},
    {"pki", "hems_lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "730d", "1s", "36500d", NULL,
     "H(e)MS certificate validity period"},
    {"pki", "hems_renewal_at", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0s", "0s", "36500d", NULL,
     "from this simulated time the H(e)MS presents a renewed certificate (0s: never renewed)"},
    {"pki", "hems_renewal_lead", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0s", "0s", "36500d", NULL,
     "the renewed H(e)MS certificate is valid from this long before it is put in use (the overlap with the old)"},
    {"pki", "segw_issued_before", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "30d", "0s", "36500d", NULL,
     "the SeGW certificate is valid from this long before the epoch (an HNB clock before it fails IKEv2, TS 33.320 "
     "7.3)"},
    {"pki", "segw_lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "730d", "1s", "36500d", NULL,
     "SeGW certificate validity period"},
    {"pki", "device_issued_before", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "30d", "0s", "36500d", NULL,
     "device certificates are valid from this long before the epoch"},
    {"pki", "device_lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "3650d", "1s", "36500d", NULL,
     "device certificate validity period"},
    {"pki", "recovery_issued_before", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "30d", "0s", "36500d", NULL,
     "the golden module's recovery certificates are valid from this long before the epoch"},
    {"pki", "recovery_lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "7300d", "1s", "36500d", NULL,
     "recovery certificate validity period (20 years: the read-only golden module cannot renew it, so it outlives "
     "the device certificate)"},
    {"pki", "signing_issued_before", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "30d", "0s", "36500d", NULL,
     "the software-signing certificate is valid from this long before the epoch"},
    {"pki", "signing_lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "3650d", "1s", "36500d", NULL,
     "software-signing certificate validity period"},
    {"pki", "crl_lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "3650d", "1s", "36500d", NULL,
     "the CRL's nextUpdate after the epoch (an expired CRL fails every device check)"},
    {"pki", "revoked", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "HNB indices whose device certificates are on the CRL, e.g. \"3,10-12\""},
    {"pki", "cache_dir", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "where generated keys and certificates are kept (empty: $XDG_CACHE_HOME/hnbsim)"},
    HNB_KEY_END,
};

void hnb_pki_params_init(HnbPkiParams *p)
{
    memset(p, 0, sizeof *p);
    p->epoch = 1767225600; /* 2026-01-01T00:00:00Z */
    p->realm = g_strdup("hnb.operator.example");
    p->hems_fqdn = g_strdup("hems.operator.example");
    p->segw_fqdn = g_strdup("segw.operator.example");
    p->oui = g_strdup("02484E");
    p->device_key = HNB_PKI_KEY_EC_P256;
    p->ca_key = HNB_PKI_KEY_RSA_2048;
    p->signing_key = HNB_PKI_KEY_EC_P256;
    p->segw_key = HNB_PKI_KEY_RSA_2048;
    p->hems_key = HNB_PKI_KEY_RSA_2048;
    p->ca_issued_before = 365 * HNB_DAY;
    p->ca_lifetime = 7300 * HNB_DAY;
    p->hems_issued_before = 30 * HNB_DAY;
    p->hems_lifetime = 730 * HNB_DAY;
    p->segw_issued_before = 30 * HNB_DAY;
    p->segw_lifetime = 730 * HNB_DAY;
    p->device_issued_before = 30 * HNB_DAY;
    p->device_lifetime = 3650 * HNB_DAY;
    p->recovery_issued_before = 30 * HNB_DAY;
    p->recovery_lifetime = 7300 * HNB_DAY;
    p->signing_issued_before = 30 * HNB_DAY;
    p->signing_lifetime = 3650 * HNB_DAY;
    p->crl_lifetime = 3650 * HNB_DAY;
}

void hnb_pki_params_clear(HnbPkiParams *p)
{
    g_free(p->realm);
    g_free(p->hems_fqdn);
    g_free(p->segw_fqdn);
    g_free(p->oui);
    g_free(p->revoked);
    g_free(p->cache_dir);
    memset(p, 0, sizeof *p);
}

void pki_params_copy(HnbPkiParams *dst, const HnbPkiParams *src)
{
    *dst = *src;
    dst->realm = g_strdup(src->realm);
    dst->hems_fqdn = g_strdup(src->hems_fqdn);
    dst->segw_fqdn = g_strdup(src->segw_fqdn);
    dst->oui = g_strdup(src->oui);
    dst->cache_dir = g_strdup(src->cache_dir);
    dst->revoked = src->nrevoked ? g_memdup2(src->revoked, src->nrevoked * sizeof *src->revoked) : NULL;
}

gboolean hnb_pki_parse_epoch(const char *text, gint64 *out, GError **error)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, utc);
    if (!dt) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "\"%s\": expected an ISO 8601 date and time such as 2026-01-01T00:00:00Z", text);
        return FALSE;
    }
    *out = g_date_time_to_unix(dt);
    return TRUE;
}

int pki_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static gboolean parse_index(const char *s, uint32_t *out)
{
    char *end;
    if (!g_ascii_isdigit(*s))
        return FALSE;
    errno = 0;
    guint64 v = g_ascii_strtoull(s, &end, 10);
    if (errno || *end || v > UINT32_MAX)
        return FALSE;
    *out = (uint32_t)v;
    return TRUE;
}

/* Ranges are capped so that a typo cannot ask for billions of CRL entries. */
#define REVOKED_MAX 1000000

gboolean hnb_pki_parse_revoked(const char *text, uint32_t **out, guint *n, GError **error)
{
    g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    for (char **p = parts; *p; p++) {
        g_autofree char *item = g_strstrip(g_strdup(*p));
        if (!*item)
            continue;
        char *dash = strchr(item, '-');
        uint32_t lo, hi;
        if (dash) {
            *dash = '\0';
            g_strstrip(item);
            g_strstrip(dash + 1);
        }
        if (!parse_index(item, &lo) || !parse_index(dash ? dash + 1 : item, &hi) || hi < lo) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                        "\"%s\": expected HNB indices and ranges such as \"3,10-12\"", text);
            return FALSE;
        }
        if ((guint64)a->len + (hi - lo) + 1 > REVOKED_MAX) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "\"%s\": more than %d revoked devices", text,
                        REVOKED_MAX);
            return FALSE;
        }
        for (uint64_t v = lo; v <= hi; v++) {
            uint32_t x = (uint32_t)v;
            g_array_append_val(a, x);
        }
    }
    g_array_sort(a, pki_cmp_u32);
    guint w = 0;
    for (guint r = 0; r < a->len; r++)
        if (w == 0 || g_array_index(a, uint32_t, r) != g_array_index(a, uint32_t, w - 1))
            g_array_index(a, uint32_t, w++) = g_array_index(a, uint32_t, r);
    *n = w;
    *out = w ? g_memdup2(a->data, w * sizeof(uint32_t)) : NULL;
    return TRUE;
}

HnbPkiKeyType pki_key_type(const char *s)
{
    return strcmp(s, "rsa-2048") == 0 ? HNB_PKI_KEY_RSA_2048
           : strcmp(s, "rsa-4096") == 0 ? HNB_PKI_KEY_RSA_4096
                                        : HNB_PKI_KEY_EC_P256;
}

gboolean pki_is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return FALSE;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
    return TRUE;
}

/* A DNS name we accept: labels of letters, digits and hyphens separated by dots. */
gboolean pki_is_dns_name(const char *s)
{
    if (!*s || strlen(s) > 253 || *s == '.' || s[strlen(s) - 1] == '.')
        return FALSE;
    for (const char *c = s; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && !(*c == '.' && c[1] != '.'))
            return FALSE;
    return TRUE;
}

gboolean hnb_pki_params_from_scenario(HnbPkiParams *p, const HnbScenario *sc, GError **error)
{
    hnb_pki_params_clear(p);
    hnb_pki_params_init(p);
    const char *src = hnb_scenario_source(sc);
    if (!hnb_pki_parse_epoch(hnb_scenario_string(sc, "pki", "epoch"), &p->epoch, error)) {
        g_prefix_error(error, "%s: [pki] epoch = ", src);
        return FALSE;
    }
    g_free(p->realm);
    p->realm = g_strdup(hnb_scenario_string(sc, "pki", "realm"));
    g_free(p->hems_fqdn);
    p->hems_fqdn = g_strdup(hnb_scenario_string(sc, "pki", "hems_fqdn"));
    g_free(p->segw_fqdn);
    p->segw_fqdn = g_strdup(hnb_scenario_string(sc, "pki", "segw_fqdn"));
    g_free(p->oui);
    p->oui = g_ascii_strup(hnb_scenario_string(sc, "pki", "oui"), -1);
    const char *bad = !pki_is_dns_name(p->realm)       ? "realm"
                      : !pki_is_dns_name(p->hems_fqdn) ? "hems_fqdn"
                      : !pki_is_dns_name(p->segw_fqdn) ? "segw_fqdn"
                      : !pki_is_hex(p->oui, 6)         ? "oui"
                                                       : NULL;
    if (bad) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: [pki] %s = \"%s\": expected %s", src, bad,
                    hnb_scenario_string(sc, "pki", bad),
                    strcmp(bad, "oui") == 0 ? "6 hex digits" : "a DNS name (letters, digits, '-', '.')");
        return FALSE;
    }
    p->device_key = pki_key_type(hnb_scenario_string(sc, "pki", "device_key"));
    p->ca_key = pki_key_type(hnb_scenario_string(sc, "pki", "ca_key"));
    p->signing_key = pki_key_type(hnb_scenario_string(sc, "pki", "signing_key"));
    p->segw_key = pki_key_type(hnb_scenario_string(sc, "pki", "segw_key"));
    p->hems_key = pki_key_type(hnb_scenario_string(sc, "pki", "hems_key"));
    p->ca_issued_before = hnb_scenario_time(sc, "pki", "ca_issued_before");
    p->ca_lifetime = hnb_scenario_time(sc, "pki", "ca_lifetime");
    p->hems_issued_before = hnb_scenario_time(sc, "pki", "hems_issued_before");
    p->hems_lifetime = hnb_scenario_time(sc, "pki", "hems_lifetime");
    p->hems_renewal_at = hnb_scenario_time(sc, "pki", "hems_renewal_at");
    p->hems_renewal_lead = hnb_scenario_time(sc, "pki", "hems_renewal_lead");
    p->segw_issued_before = hnb_scenario_time(sc, "pki", "segw_issued_before");
    p->segw_lifetime = hnb_scenario_time(sc, "pki", "segw_lifetime");
    p->device_issued_before = hnb_scenario_time(sc, "pki", "device_issued_before");
    p->device_lifetime = hnb_scenario_time(sc, "pki", "device_lifetime");
    p->recovery_issued_before = hnb_scenario_time(sc, "pki", "recovery_issued_before");
    p->recovery_lifetime = hnb_scenario_time(sc, "pki", "recovery_lifetime");
    p->signing_issued_before = hnb_scenario_time(sc, "pki", "signing_issued_before");
    p->signing_lifetime = hnb_scenario_time(sc, "pki", "signing_lifetime");
    p->crl_lifetime = hnb_scenario_time(sc, "pki", "crl_lifetime");
    if (!hnb_pki_parse_revoked(hnb_scenario_string(sc, "pki", "revoked"), &p->revoked, &p->nrevoked, error)) {
        g_prefix_error(error, "%s: [pki] revoked = ", src);
        return FALSE;
    }
    const char *cd = hnb_scenario_string(sc, "pki", "cache_dir");
    p->cache_dir = *cd ? g_strdup(cd) : NULL;
    return TRUE;
}
