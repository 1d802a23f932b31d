/* crypto/pki.c — the simulated PKI: generation, the on-disk cache, the CRL, identities, PEM export.
 *
 * The CA set (root, manufacturer, foreign CA; H(e)MS and signing credentials) is one file, ca.pem, made once per
 * parameter hash and published with link(2) so that the first of several concurrent runs wins and the others load
 * its file (they must all sign devices with the same manufacturer key).  Device files are published with rename(2):
 * two runs making the same device at once both produce valid credentials, and either file may win.
 */
#include "crypto/openssl_error.h"
#include "crypto/pki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* Bump when the generated material changes, so old caches are not reused. */
/* v2: the CA set gained the maintenance-tool CA (a v1 ca.pem would load without it) */
#define PKI_FORMAT "hnbsim-pki-v2"
#define DEVICES_PER_DIR 1000

const HnbKeySpec hnb_pki_schema[] = {
    {"pki", "epoch", HNB_KEY_STRING, 0, "2026-01-01T00:00:00Z", NULL, NULL, NULL,
     "absolute time of simulated t = 0 (ISO 8601); certificate validity is placed relative to it"},
    {"pki", "realm", HNB_KEY_STRING, 0, "hnb.operator.example", NULL, NULL, NULL,
     "realm of the device identities <EUI-64>.<realm> (TS 33.320 8.3.3.1)"},
    {"pki", "hems_fqdn", HNB_KEY_STRING, 0, "hems.operator.example", NULL, NULL, NULL,
     "H(e)MS host name: the HTTPS URL host and the server certificate's SAN dNSName"},
    {"pki", "oui", HNB_KEY_STRING, 0, "02484E", NULL, NULL, NULL,
     "OUI (6 hex digits) of the device EUI-64s; HNB i has extension i"},
    {"pki", "device_key", HNB_KEY_ENUM, 0, "ec-p256", NULL, NULL, "ec-p256|rsa-2048", "device key type"},
    {"pki", "ca_key", HNB_KEY_ENUM, 0, "rsa-2048", NULL, NULL, "ec-p256|rsa-2048",
     "operator root and manufacturer CA key type"},
    {"pki", "signing_key", HNB_KEY_ENUM, 0, "ec-p256", NULL, NULL, "ec-p256|rsa-2048",
     "software-signing key (ECDSA P-256 or RSA-PSS)"},
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
    {"pki", "device_issued_before", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "30d", "0s", "36500d", NULL,
     "device certificates are valid from this long before the epoch"},
    {"pki", "device_lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "3650d", "1s", "36500d", NULL,
     "device certificate validity period"},
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

/* ---- parameters ------------------------------------------------------------------------------------------------- */

void hnb_pki_params_init(HnbPkiParams *p)
{
    memset(p, 0, sizeof *p);
    p->epoch = 1767225600; /* 2026-01-01T00:00:00Z */
    p->realm = g_strdup("hnb.operator.example");
    p->hems_fqdn = g_strdup("hems.operator.example");
    p->oui = g_strdup("02484E");
    p->device_key = HNB_PKI_KEY_EC_P256;
    p->ca_key = HNB_PKI_KEY_RSA_2048;
    p->signing_key = HNB_PKI_KEY_EC_P256;
    p->ca_issued_before = 365 * HNB_DAY;
    p->ca_lifetime = 7300 * HNB_DAY;
    p->hems_issued_before = 30 * HNB_DAY;
    p->hems_lifetime = 730 * HNB_DAY;
    p->device_issued_before = 30 * HNB_DAY;
    p->device_lifetime = 3650 * HNB_DAY;
    p->signing_issued_before = 30 * HNB_DAY;
    p->signing_lifetime = 3650 * HNB_DAY;
    p->crl_lifetime = 3650 * HNB_DAY;
}

void hnb_pki_params_clear(HnbPkiParams *p)
{
    g_free(p->realm);
    g_free(p->hems_fqdn);
    g_free(p->oui);
    g_free(p->revoked);
    g_free(p->cache_dir);
    memset(p, 0, sizeof *p);
}

static void params_copy(HnbPkiParams *dst, const HnbPkiParams *src)
{
    *dst = *src;
    dst->realm = g_strdup(src->realm);
    dst->hems_fqdn = g_strdup(src->hems_fqdn);
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

static int cmp_u32(const void *a, const void *b)
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
    g_array_sort(a, cmp_u32);
    guint w = 0;
    for (guint r = 0; r < a->len; r++)
        if (w == 0 || g_array_index(a, uint32_t, r) != g_array_index(a, uint32_t, w - 1))
            g_array_index(a, uint32_t, w++) = g_array_index(a, uint32_t, r);
    *n = w;
    *out = w ? g_memdup2(a->data, w * sizeof(uint32_t)) : NULL;
    return TRUE;
}

static HnbPkiKeyType key_type(const char *s)
{
    return strcmp(s, "rsa-2048") == 0 ? HNB_PKI_KEY_RSA_2048 : HNB_PKI_KEY_EC_P256;
}

static gboolean is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return FALSE;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
    return TRUE;
}

/* A DNS name we accept: labels of letters, digits and hyphens separated by dots. */
static gboolean is_dns_name(const char *s)
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
    g_free(p->oui);
    p->oui = g_ascii_strup(hnb_scenario_string(sc, "pki", "oui"), -1);
    const char *bad = !is_dns_name(p->realm) ? "realm" : !is_dns_name(p->hems_fqdn) ? "hems_fqdn"
                      : !is_hex(p->oui, 6)   ? "oui"
                                             : NULL;
    if (bad) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: [pki] %s = \"%s\": expected %s", src, bad,
                    hnb_scenario_string(sc, "pki", bad),
                    strcmp(bad, "oui") == 0 ? "6 hex digits" : "a DNS name (letters, digits, '-', '.')");
        return FALSE;
    }
    p->device_key = key_type(hnb_scenario_string(sc, "pki", "device_key"));
    p->ca_key = key_type(hnb_scenario_string(sc, "pki", "ca_key"));
    p->signing_key = key_type(hnb_scenario_string(sc, "pki", "signing_key"));
    p->ca_issued_before = hnb_scenario_time(sc, "pki", "ca_issued_before");
    p->ca_lifetime = hnb_scenario_time(sc, "pki", "ca_lifetime");
    p->hems_issued_before = hnb_scenario_time(sc, "pki", "hems_issued_before");
    p->hems_lifetime = hnb_scenario_time(sc, "pki", "hems_lifetime");
    p->hems_renewal_at = hnb_scenario_time(sc, "pki", "hems_renewal_at");
    p->hems_renewal_lead = hnb_scenario_time(sc, "pki", "hems_renewal_lead");
    p->device_issued_before = hnb_scenario_time(sc, "pki", "device_issued_before");
    p->device_lifetime = hnb_scenario_time(sc, "pki", "device_lifetime");
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

/* ---- errors ------------------------------------------------------------------------------------------------------ */


#define SSL_FAIL(what)                                                                                               \
    do {                                                                                                             \
        hnb_set_openssl_error(error, HNB_ERROR_RUN, what);                                                           \
        goto fail;                                                                                                   \
    } while (0)

/* ---- credentials ------------------------------------------------------------------------------------------------- */

static void cred_free(HnbPkiCred *c)
{
    if (!c)
        return;
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    sk_X509_pop_free(c->chain, X509_free);
    g_free(c);
}

static HnbPkiCred *cred_new(X509 *cert, EVP_PKEY *key)
{
    HnbPkiCred *c = g_new0(HnbPkiCred, 1);
    c->cert = cert;
    c->key = key;
    c->chain = sk_X509_new_null();
    g_assert(c->chain);
    return c;
}

struct HnbPki {
    HnbPkiParams p;
    char *dir; /* cache path of these parameters, NULL with no_cache */
    char *export_dir; /* opened with hnb_pki_open_export: devices come from dev<i>.pem/.key there */
    HnbPkiCred *root, *mfr, *foreign, *hems, *signing, *tool_ca;
    HnbPkiCred *hems_renewed; /* in memory only (hems_renewal_at > 0) */
    X509_CRL *crl;
    GMutex lock; /* devices, foreign_devices, tools, tool_keys, keys, stats */
    GHashTable *devices, *foreign_devices; /* index -> HnbPkiCred */
    GHashTable *tools;     /* "n/gen/region/nb/na" -> HnbPkiCred (memory only) */
    GHashTable *keys;      /* name -> EVP_PKEY (named keys, cached on disk under keys/) */
    HnbPkiStats stats;
};

static EVP_PKEY *keygen(HnbPkiKeyType t)
{
    return t == HNB_PKI_KEY_RSA_2048 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
                                     : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* Unix seconds of simulated time t (ns since the epoch), rounded down. */
static time_t abs_time(const HnbPkiParams *p, HnbTime t)
{
    HnbTime s = t / HNB_SEC - (t % HNB_SEC < 0);
    return (time_t)(p->epoch + s);
}

static gboolean add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return FALSE;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

typedef enum { ROLE_CA, ROLE_SERVER, ROLE_CLIENT, ROLE_SIGNING } Role;

/* A certificate for `key` named cn (and SAN dns if given), issued by `issuer` (NULL: self-signed). */
static X509 *make_cert(const HnbPkiParams *p, EVP_PKEY *key, const char *org, const char *cn, const char *dns,
                       uint64_t serial, HnbTime issued_before, HnbTime lifetime, Role role, const HnbPkiCred *issuer,
                       GError **error)
{
    X509 *x = X509_new();
    ASN1_INTEGER *sn = NULL;
    if (!x)
        SSL_FAIL("X509_new");
    if (X509_set_version(x, 2) != 1)
        SSL_FAIL("X509_set_version");
    sn = ASN1_INTEGER_new();
    if (!sn || ASN1_INTEGER_set_uint64(sn, serial) != 1 || X509_set_serialNumber(x, sn) != 1)
        SSL_FAIL("certificate serial");
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1)
        SSL_FAIL("certificate subject");
    if (X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : name) != 1)
        SSL_FAIL("certificate issuer");
    if (!ASN1_TIME_set(X509_getm_notBefore(x), abs_time(p, -issued_before)) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), abs_time(p, lifetime - issued_before)))
        SSL_FAIL("certificate validity");
    if (X509_set_pubkey(x, key) != 1)
        SSL_FAIL("X509_set_pubkey");
    X509 *icert = issuer ? issuer->cert : x;
    gboolean ok = add_ext(x, icert, NID_subject_key_identifier, "hash") &&
                  add_ext(x, icert, NID_authority_key_identifier, "keyid:always");
    switch (role) {
    case ROLE_CA:
        ok = ok && add_ext(x, icert, NID_basic_constraints, "critical,CA:TRUE") &&
             add_ext(x, icert, NID_key_usage, "critical,keyCertSign,cRLSign");
        break;
    case ROLE_SERVER:
        ok = ok && add_ext(x, icert, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, icert, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
             add_ext(x, icert, NID_ext_key_usage, "serverAuth");
        break;
    case ROLE_CLIENT:
        ok = ok && add_ext(x, icert, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, icert, NID_key_usage,
                     EVP_PKEY_is_a(key, "RSA") ? "critical,digitalSignature,keyEncipherment"
                                               : "critical,digitalSignature") &&
             add_ext(x, icert, NID_ext_key_usage, "clientAuth");
        break;
    case ROLE_SIGNING:
        ok = ok && add_ext(x, icert, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, icert, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, icert, NID_ext_key_usage, "codeSigning");
        break;
    }
    if (ok && dns) {
        g_autofree char *san = g_strdup_printf("DNS:%s", dns);
        ok = add_ext(x, icert, NID_subject_alt_name, san);
    }
    if (!ok)
        SSL_FAIL("certificate extensions");
    if (X509_sign(x, issuer ? issuer->key : key, EVP_sha256()) <= 0)
        SSL_FAIL("X509_sign");
    ASN1_INTEGER_free(sn);
    return x;
fail:
    ASN1_INTEGER_free(sn);
    X509_free(x);
    return NULL;
}

static HnbPkiCred *make_cred(const HnbPkiParams *p, HnbPkiKeyType kt, const char *org, const char *cn,
                             const char *dns, uint64_t serial, HnbTime issued_before, HnbTime lifetime, Role role,
                             const HnbPkiCred *issuer, GError **error)
{
    EVP_PKEY *key = keygen(kt);
    if (!key) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "key generation");
        return NULL;
    }
    X509 *x = make_cert(p, key, org, cn, dns, serial, issued_before, lifetime, role, issuer, error);
    if (!x) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return cred_new(x, key);
}

/* ---- files ------------------------------------------------------------------------------------------------------- */

static gboolean write_cred(BIO *b, const HnbPkiCred *c)
{
    return PEM_write_bio_PrivateKey(b, c->key, NULL, NULL, 0, NULL, NULL) == 1 && PEM_write_bio_X509(b, c->cert) == 1;
}

/* Read a key then a certificate; NULL when the file ends or is damaged. */
static HnbPkiCred *read_cred(BIO *b)
{
    EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    X509 *x = key ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    if (!key || !x || X509_check_private_key(x, key) != 1) {
        EVP_PKEY_free(key);
        X509_free(x);
        return NULL;
    }
    return cred_new(x, key);
}

/* Write `data` to a unique temporary file in dir; returns its path. */
static char *write_temp(const char *dir, const char *base, const void *data, size_t len, GError **error)
{
    g_autofree char *tmpl = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    int fd = g_mkstemp_full(tmpl, O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", tmpl, g_strerror(e));
        return NULL;
    }
    const char *d = data;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, d + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            g_unlink(tmpl);
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", tmpl, g_strerror(e));
            return NULL;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        int e = errno;
        g_unlink(tmpl);
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", tmpl, g_strerror(e));
        return NULL;
    }
    return g_steal_pointer(&tmpl);
}

static gboolean bio_contents(BIO *b, char **data, size_t *len)
{
    BUF_MEM *bm;
    if (BIO_get_mem_ptr(b, &bm) != 1)
        return FALSE;
    *data = bm->data;
    *len = bm->length;
    return TRUE;
}

static BIO *bio_from_file(const char *path)
{
    gchar *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem && BIO_write(mem, data, (int)len) != (int)len) {
        BIO_free(mem);
        mem = NULL;
    }
    g_free(data);
    return mem;
}

/* Publish a memory BIO's contents as sub/base (sub created) by rename(2): of several runs writing the same file at
 * once, one complete file wins. */
static gboolean publish(const char *sub, const char *base, BIO *b, GError **error)
{
    g_autofree char *path = g_build_filename(sub, base, NULL);
    char *data;
    size_t len;
    if (g_mkdir_with_parents(sub, 0700) != 0) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "PKI cache %s: %s", sub, g_strerror(e));
        return FALSE;
    }
    if (!bio_contents(b, &data, &len)) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, path);
        return FALSE;
    }
    g_autofree char *tmp = write_temp(sub, base, data, len, error);
    if (!tmp)
        return FALSE;
    if (g_rename(tmp, path) != 0) {
        int e = errno;
        g_unlink(tmp);
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

/* ---- the CA set -------------------------------------------------------------------------------------------------- */

static gboolean signed_by(X509 *x, const HnbPkiCred *issuer)
{
    int r = X509_verify(x, issuer->key);
    ERR_clear_error();
    return r == 1;
}

/* The maintenance-tool CA: an intermediate under the operator root, so an HNB (which trusts the root) accepts a tool
 * as it accepts the H(e)MS, and the tool CA's own CRL revokes tools without touching the H(e)MS chain. */
static HnbPkiCred *make_tool_ca(HnbPki *pki, GError **error)
{
    const HnbPkiParams *p = &pki->p;
    return make_cred(p, p->ca_key, "Operator", "Maintenance Tool CA", NULL, 3, p->ca_issued_before, p->ca_lifetime,
                     ROLE_CA, pki->root, error);
}

static gboolean make_cas(HnbPki *pki, GError **error)
{
    const HnbPkiParams *p = &pki->p;
    g_autofree char *root_cn = g_strdup_printf("Operator Root CA %s", p->hems_fqdn);
    if (!(pki->root = make_cred(p, p->ca_key, "Operator", root_cn, NULL, 1, p->ca_issued_before, p->ca_lifetime,
                                ROLE_CA, NULL, error)) ||
        !(pki->mfr = make_cred(p, p->ca_key, "HNB Manufacturer", "Manufacturer CA", NULL, 1, p->ca_issued_before,
                               p->ca_lifetime, ROLE_CA, NULL, error)) ||
        !(pki->foreign = make_cred(p, p->ca_key, "Foreign", "Foreign CA", NULL, 1, p->ca_issued_before,
                                   p->ca_lifetime, ROLE_CA, NULL, error)) ||
        !(pki->hems = make_cred(p, HNB_PKI_KEY_RSA_2048, "Operator", p->hems_fqdn, p->hems_fqdn, 2,
                                p->hems_issued_before, p->hems_lifetime, ROLE_SERVER, pki->root, error)) ||
        !(pki->signing = make_cred(p, p->signing_key, "HNB Manufacturer", "Software Signing", NULL,
                                   HNB_PKI_SIGNING_SERIAL, p->signing_issued_before, p->signing_lifetime,
                                   ROLE_SIGNING, pki->mfr, error)) ||
        !(pki->tool_ca = make_tool_ca(pki, error)))
        return FALSE;
    pki->stats.ca_generated = 1;
    return TRUE;
}

static void drop_cas(HnbPki *pki)
{
    cred_free(pki->root);
    cred_free(pki->mfr);
    cred_free(pki->foreign);
    cred_free(pki->hems);
    cred_free(pki->signing);
    cred_free(pki->tool_ca);
    pki->root = pki->mfr = pki->foreign = pki->hems = pki->signing = pki->tool_ca = NULL;
}

static gboolean load_cas(HnbPki *pki, const char *path)
{
    BIO *b = bio_from_file(path);
    if (!b)
        return FALSE;
    pki->root = read_cred(b);
    pki->mfr = read_cred(b);
    pki->foreign = read_cred(b);
    pki->hems = read_cred(b);
    pki->signing = read_cred(b);
    pki->tool_ca = read_cred(b);
    BIO_free(b);
    ERR_clear_error();
    if (pki->root && pki->mfr && pki->foreign && pki->hems && pki->signing && pki->tool_ca &&
        signed_by(pki->root->cert, pki->root) && signed_by(pki->mfr->cert, pki->mfr) &&
        signed_by(pki->foreign->cert, pki->foreign) && signed_by(pki->hems->cert, pki->root) &&
        signed_by(pki->signing->cert, pki->mfr) && signed_by(pki->tool_ca->cert, pki->root))
        return TRUE;
    drop_cas(pki);
    return FALSE;
}

static gboolean cas_to_pem(HnbPki *pki, BIO *b)
{
    return write_cred(b, pki->root) && write_cred(b, pki->mfr) && write_cred(b, pki->foreign) &&
           write_cred(b, pki->hems) && write_cred(b, pki->signing) && write_cred(b, pki->tool_ca);
}

/* Load ca.pem, or make the set and publish it (first writer wins). */
static gboolean init_cas(HnbPki *pki, GError **error)
{
    if (!pki->dir)
        return make_cas(pki, error);
    g_autofree char *path = g_build_filename(pki->dir, "ca.pem", NULL);
    if (load_cas(pki, path))
        return TRUE;
    gboolean existed = g_file_test(path, G_FILE_TEST_EXISTS);
    if (existed) {
        g_warning("PKI cache %s is corrupted; regenerating the CAs (and with them every device)", path);
        pki->stats.corrupted++;
    }
    if (!make_cas(pki, error))
        return FALSE;
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    size_t len;
    if (!b || !cas_to_pem(pki, b) || !bio_contents(b, &data, &len)) {
        BIO_free(b);
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "writing the CA set");
        return FALSE;
    }
    g_autofree char *tmp = write_temp(pki->dir, "ca.pem", data, len, error);
    BIO_free(b);
    if (!tmp)
        return FALSE;
    if (existed) {
        if (g_rename(tmp, path) != 0) {
            int e = errno;
            g_unlink(tmp);
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", path, g_strerror(e));
            return FALSE;
        }
        return TRUE;
    }
    if (link(tmp, path) == 0) {
        g_unlink(tmp);
        return TRUE;
    }
    int e = errno;
    g_unlink(tmp);
    if (e != EEXIST) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    /* another run published its set first: use that one */
    drop_cas(pki);
    pki->stats.ca_generated = 0;
    if (load_cas(pki, path))
        return TRUE;
    g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: unreadable after a concurrent run wrote it", path);
    return FALSE;
}

/* ---- CRL --------------------------------------------------------------------------------------------------------- */

/* A CRL of `issuer` listing `serials`, thisUpdate = this_update, nextUpdate = next_update (simulated times). */
static X509_CRL *sign_crl(const HnbPkiParams *p, const HnbPkiCred *issuer, const uint64_t *serials, guint n,
                          HnbTime this_update, HnbTime next_update, GError **error)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *last = ASN1_TIME_set(NULL, abs_time(p, this_update));
    ASN1_TIME *next = ASN1_TIME_set(NULL, abs_time(p, next_update));
    if (!crl || !last || !next || X509_CRL_set_version(crl, 1) != 1 ||
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer->cert)) != 1 ||
        X509_CRL_set1_lastUpdate(crl, last) != 1 || X509_CRL_set1_nextUpdate(crl, next) != 1)
        SSL_FAIL("CRL");
    for (guint k = 0; k < n; k++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *sn = ASN1_INTEGER_new();
        gboolean ok = r && sn && ASN1_INTEGER_set_uint64(sn, serials[k]) == 1 &&
                      X509_REVOKED_set_serialNumber(r, sn) == 1 && X509_REVOKED_set_revocationDate(r, last) == 1 &&
                      X509_CRL_add0_revoked(crl, r) == 1;
        ASN1_INTEGER_free(sn);
        if (!ok) {
            X509_REVOKED_free(r);
            SSL_FAIL("CRL entry");
        }
    }
    if (X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, issuer->key, EVP_sha256()) <= 0)
        SSL_FAIL("CRL signature");
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    return crl;
fail:
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
    return NULL;
}

/* The manufacturer CA's CRL of revoked devices (device serials are index + 1). */
static gboolean make_crl(HnbPki *pki, GError **error)
{
    const HnbPkiParams *p = &pki->p;
    g_autofree uint64_t *serials = g_new(uint64_t, p->nrevoked ? p->nrevoked : 1);
    for (guint k = 0; k < p->nrevoked; k++)
        serials[k] = (uint64_t)p->revoked[k] + 1;
    pki->crl = sign_crl(p, pki->mfr, serials, p->nrevoked, -HNB_DAY, p->crl_lifetime, error);
    return pki->crl != NULL;
}

/* ---- construction ------------------------------------------------------------------------------------------------ */

/* The parameters that determine the generated material, as text; its SHA-256 names the cache directory. */
static char *params_key(const HnbPkiParams *p)
{
    static const char *const kt[] = {"ec-p256", "rsa-2048"};
    g_autofree char *text = g_strdup_printf(
        "%s\nepoch=%" G_GINT64_FORMAT "\nrealm=%s\nhems=%s\noui=%s\ndevice=%s\nca=%s\nsigning=%s\n"
        "ca=%" G_GINT64_FORMAT "+%" G_GINT64_FORMAT "\nhems=%" G_GINT64_FORMAT "+%" G_GINT64_FORMAT
        "\ndevice=%" G_GINT64_FORMAT "+%" G_GINT64_FORMAT "\nsigning=%" G_GINT64_FORMAT "+%" G_GINT64_FORMAT "\n",
        PKI_FORMAT, p->epoch, p->realm, p->hems_fqdn, p->oui, kt[p->device_key], kt[p->ca_key], kt[p->signing_key],
        p->ca_issued_before, p->ca_lifetime, p->hems_issued_before, p->hems_lifetime, p->device_issued_before,
        p->device_lifetime, p->signing_issued_before, p->signing_lifetime);
    char *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    hex[16] = '\0';
    return hex;
}

static void tables_init(HnbPki *pki)
{
    pki->tools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)cred_free);
    pki->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)EVP_PKEY_free);
}

HnbPki *hnb_pki_new(const HnbPkiParams *params, GError **error)
{
    g_return_val_if_fail(params && params->realm && params->hems_fqdn && params->oui, NULL);
    if (!is_hex(params->oui, 6) || !is_dns_name(params->realm) || !is_dns_name(params->hems_fqdn)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "PKI: bad oui \"%s\", realm \"%s\" or H(e)MS name \"%s\"",
                    params->oui, params->realm, params->hems_fqdn);
        return NULL;
    }
    HnbPki *pki = g_new0(HnbPki, 1);
    params_copy(&pki->p, params);
    g_free(pki->p.oui);
    pki->p.oui = g_ascii_strup(params->oui, -1);
    g_mutex_init(&pki->lock);
    pki->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)cred_free);
    pki->foreign_devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)cred_free);
    tables_init(pki);
    if (!params->no_cache) {
        const char *base = params->cache_dir && *params->cache_dir ? params->cache_dir : NULL;
        g_autofree char *def = base ? NULL : g_build_filename(g_get_user_cache_dir(), "hnbsim", NULL);
        g_autofree char *key = params_key(&pki->p);
        pki->dir = g_build_filename(base ? base : def, key, NULL);
        if (g_mkdir_with_parents(pki->dir, 0700) != 0) {
            int e = errno;
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "PKI cache %s: %s", pki->dir, g_strerror(e));
            hnb_pki_free(pki);
            return NULL;
        }
    }
    if (!init_cas(pki, error) || !make_crl(pki, error)) {
        g_prefix_error(error, "PKI: ");
        hnb_pki_free(pki);
        return NULL;
    }
    /* the renewed H(e)MS certificate: serial 3, valid from renewal - lead (an issued_before that may be negative) */
    if (pki->p.hems_renewal_at > 0 &&
        !(pki->hems_renewed = make_cred(&pki->p, HNB_PKI_KEY_RSA_2048, "Operator", pki->p.hems_fqdn,
                                        pki->p.hems_fqdn, 3, pki->p.hems_renewal_lead - pki->p.hems_renewal_at,
                                        pki->p.hems_lifetime, ROLE_SERVER, pki->root, error))) {
        g_prefix_error(error, "PKI: renewed H(e)MS certificate: ");
        hnb_pki_free(pki);
        return NULL;
    }
    return pki;
}

void hnb_pki_free(HnbPki *pki)
{
    if (!pki)
        return;
    drop_cas(pki);
    cred_free(pki->hems_renewed);
    X509_CRL_free(pki->crl);
    if (pki->devices)
        g_hash_table_destroy(pki->devices);
    if (pki->foreign_devices)
        g_hash_table_destroy(pki->foreign_devices);
    if (pki->tools)
        g_hash_table_destroy(pki->tools);
    if (pki->keys)
        g_hash_table_destroy(pki->keys);
    g_mutex_clear(&pki->lock);
    g_free(pki->dir);
    g_free(pki->export_dir);
    hnb_pki_params_clear(&pki->p);
    g_free(pki);
}

const HnbPkiParams *hnb_pki_params(const HnbPki *pki) { return &pki->p; }
const char *hnb_pki_cache_path(const HnbPki *pki) { return pki->dir; }
const HnbPkiCred *hnb_pki_root(const HnbPki *pki) { return pki->root; }
const HnbPkiCred *hnb_pki_mfr(const HnbPki *pki) { return pki->mfr; }
const HnbPkiCred *hnb_pki_foreign(const HnbPki *pki) { return pki->foreign; }
const HnbPkiCred *hnb_pki_hems(const HnbPki *pki) { return pki->hems; }
const HnbPkiCred *hnb_pki_hems_renewed(const HnbPki *pki) { return pki->hems_renewed; }

const HnbPkiCred *hnb_pki_hems_at(const HnbPki *pki, HnbTime t)
{
    return pki->hems_renewed && t >= pki->p.hems_renewal_at ? pki->hems_renewed : pki->hems;
}
const HnbPkiCred *hnb_pki_signing(const HnbPki *pki) { return pki->signing; }
const HnbPkiCred *hnb_pki_tool_ca(const HnbPki *pki) { return pki->tool_ca; }
X509_CRL *hnb_pki_crl(const HnbPki *pki) { return pki->crl; }

void hnb_pki_stats(HnbPki *pki, HnbPkiStats *out)
{
    g_mutex_lock(&pki->lock);
    *out = pki->stats;
    g_mutex_unlock(&pki->lock);
}

gboolean hnb_pki_is_revoked(const HnbPki *pki, uint32_t i)
{
    guint lo = 0, hi = pki->p.nrevoked;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (pki->p.revoked[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < pki->p.nrevoked && pki->p.revoked[lo] == i;
}

/* ---- identities -------------------------------------------------------------------------------------------------- */

void hnb_pki_eui64(const HnbPki *pki, uint32_t i, char out[17])
{
    g_snprintf(out, 17, "%s%010" G_GINT64_MODIFIER "X", pki->p.oui, (guint64)i);
}

char *hnb_pki_device_fqdn(const HnbPki *pki, uint32_t i)
{
    char eui[17];
    hnb_pki_eui64(pki, i, eui);
    return g_strdup_printf("%s.%s", eui, pki->p.realm);
}

void hnb_pki_device_id(const HnbPki *pki, uint32_t i, char oui[7], char serial[11])
{
    char eui[17];
    hnb_pki_eui64(pki, i, eui);
    memcpy(oui, eui, 6);
    oui[6] = '\0';
    memcpy(serial, eui + 6, 11);
}

char *hnb_pki_claimed_identity(const char *oui, const char *serial, const char *realm)
{
    if (!oui || !serial || !realm || !is_hex(oui, 6) || !is_hex(serial, 10))
        return NULL;
    g_autofree char *s = g_strdup_printf("%s%s", oui, serial);
    g_autofree char *up = g_ascii_strup(s, -1);
    return g_strdup_printf("%s.%s", up, realm);
}

/* "<16 hex>.<something>" */
static gboolean identity_form(const char *s)
{
    if (strlen(s) <= 17 || s[16] != '.')
        return FALSE;
    for (int i = 0; i < 16; i++)
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
    return TRUE;
}

char *hnb_pki_cert_identity(X509 *cert)
{
    if (!cert)
        return NULL;
    char cn[256];
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    if (n <= 0 || (size_t)n != strlen(cn))
        return NULL;
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    char *found = NULL;
    for (int k = 0; sans && k < sk_GENERAL_NAME_num(sans) && !found; k++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, k);
        if (g->type != GEN_DNS)
            continue;
        const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
        int len = ASN1_STRING_length(g->d.dNSName);
        if (len <= 0 || memchr(d, 0, (size_t)len))
            continue;
        g_autofree char *dns = g_strndup((const char *)d, (gsize)len);
        if (identity_form(dns) && g_ascii_strcasecmp(dns, cn) == 0) {
            /* the 16 hex digits in upper case, the realm as written */
            found = g_strdup(dns);
            for (int c = 0; c < 16; c++)
                found[c] = g_ascii_toupper(found[c]);
        }
    }
    GENERAL_NAMES_free(sans);
    return found;
}

/* ---- devices ----------------------------------------------------------------------------------------------------- */

static HnbPkiCred *make_device(HnbPki *pki, uint32_t i, const HnbPkiCred *issuer, GError **error)
{
    g_autofree char *fqdn = hnb_pki_device_fqdn(pki, i);
    const HnbPkiParams *p = &pki->p;
    return make_cred(p, p->device_key, issuer == pki->mfr ? "HNB Manufacturer" : "Foreign", fqdn, fqdn,
                     (uint64_t)i + 1, p->device_issued_before, p->device_lifetime, ROLE_CLIENT, issuer, error);
}

/* A cached device file is good when it parses, the key matches, our manufacturer CA signed it and it names HNB i. */
static HnbPkiCred *load_device(HnbPki *pki, uint32_t i, const char *path)
{
    BIO *b = bio_from_file(path);
    if (!b)
        return NULL;
    HnbPkiCred *c = read_cred(b);
    BIO_free(b);
    ERR_clear_error();
    if (!c)
        return NULL;
    g_autofree char *want = hnb_pki_device_fqdn(pki, i);
    g_autofree char *have = hnb_pki_cert_identity(c->cert);
    uint64_t serial = 0;
    const ASN1_INTEGER *sn = X509_get0_serialNumber(c->cert);
    if (!have || strcmp(have, want) != 0 || ASN1_INTEGER_get_uint64(&serial, sn) != 1 || serial != (uint64_t)i + 1 ||
        !signed_by(c->cert, pki->mfr)) {
        ERR_clear_error();
        cred_free(c);
        return NULL;
    }
    return c;
}

static HnbPkiCred *device_from_cache(HnbPki *pki, uint32_t i, GError **error)
{
    g_autofree char *sub = g_strdup_printf("%s/dev/%u", pki->dir, i / DEVICES_PER_DIR);
    g_autofree char *base = g_strdup_printf("%u.pem", i);
    g_autofree char *path = g_build_filename(sub, base, NULL);
    HnbPkiCred *c = load_device(pki, i, path);
    if (c) {
        pki->stats.devices_loaded++;
        return c;
    }
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_warning("PKI cache %s is corrupted; regenerating it", path);
        pki->stats.corrupted++;
    }
    if (!(c = make_device(pki, i, pki->mfr, error)))
        return NULL;
    pki->stats.devices_generated++;
    BIO *b = BIO_new(BIO_s_mem());
    gboolean ok = b && write_cred(b, c);
    if (!ok)
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "writing a device credential");
    ok = ok && publish(sub, base, b, error);
    BIO_free(b);
    if (!ok) {
        cred_free(c);
        return NULL;
    }
    return c;
}

/* dev<i>.pem + dev<i>.key of an exported directory, checked as a cache file is */
static HnbPkiCred *device_from_export(HnbPki *pki, uint32_t i)
{
    g_autofree char *cn = g_strdup_printf("%s/dev%u.pem", pki->export_dir, i);
    g_autofree char *kn = g_strdup_printf("%s/dev%u.key", pki->export_dir, i);
    gchar *cert = NULL, *key = NULL;
    gsize clen, klen;
    if (!g_file_get_contents(kn, &key, &klen, NULL) || !g_file_get_contents(cn, &cert, &clen, NULL)) {
        g_free(key);
        return NULL;
    }
    g_autofree char *both = g_strconcat(key, cert, NULL);
    g_free(key);
    g_free(cert);
    BIO *b = BIO_new_mem_buf(both, -1);
    HnbPkiCred *c = NULL;
    if (b) {
        c = read_cred(b);
        BIO_free(b);
    }
    ERR_clear_error();
    if (!c)
        return NULL;
    g_autofree char *want = hnb_pki_device_fqdn(pki, i);
    g_autofree char *have = hnb_pki_cert_identity(c->cert);
    if (!have || strcmp(have, want) != 0 || !signed_by(c->cert, pki->mfr)) {
        g_warning("%s does not hold HNB %u's certificate from this PKI; making one in memory", cn, i);
        cred_free(c);
        return NULL;
    }
    return c;
}

/* Generation happens under the lock: simple, and it is a one-time cost per device per cache. */
static const HnbPkiCred *device_get(HnbPki *pki, GHashTable *table, uint32_t i, gboolean foreign, GError **error)
{
    g_mutex_lock(&pki->lock);
    HnbPkiCred *c = g_hash_table_lookup(table, GUINT_TO_POINTER(i));
    if (!c) {
        if (foreign)
            c = make_device(pki, i, pki->foreign, error);
        else if (pki->export_dir && (c = device_from_export(pki, i)))
            pki->stats.devices_loaded++;
        else if (pki->dir)
            c = device_from_cache(pki, i, error);
        else if ((c = make_device(pki, i, pki->mfr, error)))
            pki->stats.devices_generated++;
        if (c)
            g_hash_table_insert(table, GUINT_TO_POINTER(i), c);
        else
            g_prefix_error(error, "PKI device %u: ", i);
    }
    g_mutex_unlock(&pki->lock);
    return c;
}

const HnbPkiCred *hnb_pki_device(HnbPki *pki, uint32_t i, GError **error)
{
    return device_get(pki, pki->devices, i, FALSE, error);
}

const HnbPkiCred *hnb_pki_foreign_device(HnbPki *pki, uint32_t i, GError **error)
{
    return device_get(pki, pki->foreign_devices, i, TRUE, error);
}

/* ---- maintenance tools ------------------------------------------------------------------------------------------ */

char *hnb_pki_tool_host(const HnbPki *pki, uint32_t region)
{
    return g_strdup_printf("region-%u.tools.%s", region, pki->p.realm);
}

const HnbPkiCred *hnb_pki_tool(HnbPki *pki, uint32_t n, uint32_t gen, int region, HnbTime not_before,
                               HnbTime not_after, GError **error)
{
    g_return_val_if_fail(n < HNB_PKI_TOOL_MAX && gen < HNB_PKI_TOOL_MAX && not_before < not_after, NULL);
    g_autofree char *id = g_strdup_printf("%u/%u/%d/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, n, gen, region,
                                          not_before, not_after);
    /* RSA: the clause 8.3.4 suites (AES128-SHA, DHE-RSA-*) need an RSA server key; a named key, so the slow RSA
     * generation happens once per cache, not once per run */
    char name[24];
    g_snprintf(name, sizeof name, "tool-%u", n);
    EVP_PKEY *key = hnb_pki_key(pki, name, HNB_PKI_KEY_RSA_2048, error);
    if (!key)
        return NULL;
    g_mutex_lock(&pki->lock);
    HnbPkiCred *c = g_hash_table_lookup(pki->tools, id);
    if (!c) {
        g_autofree char *cn = g_strdup_printf("tool-%u", n);
        /* the scope is the name the HNB checks (SSL_set1_host): one region, or every region by a wildcard */
        g_autofree char *dns = region >= 0 ? hnb_pki_tool_host(pki, (uint32_t)region)
                                           : g_strdup_printf("*.tools.%s", pki->p.realm);
        X509 *x = make_cert(&pki->p, key, "Operator Maintenance", cn, dns, HNB_PKI_TOOL_SERIAL(n, gen), -not_before,
                            not_after - not_before, ROLE_SERVER, pki->tool_ca, error);
        if (x) {
            EVP_PKEY_up_ref(key);
            c = cred_new(x, key);
            X509_up_ref(pki->tool_ca->cert);
            sk_X509_push(c->chain, pki->tool_ca->cert);
            g_hash_table_insert(pki->tools, g_steal_pointer(&id), c);
        } else {
            g_prefix_error(error, "PKI tool %u: ", n);
        }
    }
    g_mutex_unlock(&pki->lock);
    return c;
}

X509_CRL *hnb_pki_tool_crl(HnbPki *pki, const uint64_t *serials, guint n, HnbTime this_update, GError **error)
{
    return sign_crl(&pki->p, pki->tool_ca, serials, n, this_update, this_update + pki->p.crl_lifetime, error);
}

/* ---- named keys -------------------------------------------------------------------------------------------------- */

static gboolean key_name_ok(const char *name)
{
    if (!*name || strlen(name) > 64 || name[0] == '.')
        return FALSE;
    for (const char *c = name; *c; c++)
        if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '-' && *c != '.')
            return FALSE;
    return TRUE;
}

/* keys/<name>.pem of the cache (under the lock): read it, or make the key and publish it by rename(2) (two runs
 * making it at once both get a valid key; either file may win, and nothing in a result depends on key bytes). */
static EVP_PKEY *key_from_cache(HnbPki *pki, const char *name, HnbPkiKeyType type, GError **error)
{
    g_autofree char *sub = g_build_filename(pki->dir, "keys", NULL);
    g_autofree char *base = g_strdup_printf("%s.pem", name);
    g_autofree char *path = g_build_filename(sub, base, NULL);
    BIO *b = bio_from_file(path);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    if (k && EVP_PKEY_is_a(k, type == HNB_PKI_KEY_RSA_2048 ? "RSA" : "EC"))
        return k;
    EVP_PKEY_free(k);
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_warning("PKI cache %s is corrupted; regenerating it", path);
        pki->stats.corrupted++;
    }
    if (!(k = keygen(type))) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "key generation");
        return NULL;
    }
    BIO *w = BIO_new(BIO_s_mem());
    gboolean ok = w && PEM_write_bio_PrivateKey(w, k, NULL, NULL, 0, NULL, NULL) == 1;
    if (!ok)
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "writing a key");
    ok = ok && publish(sub, base, w, error);
    BIO_free(w);
    if (!ok) {
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

EVP_PKEY *hnb_pki_key(HnbPki *pki, const char *name, HnbPkiKeyType type, GError **error)
{
    g_return_val_if_fail(key_name_ok(name), NULL);
    g_mutex_lock(&pki->lock);
    EVP_PKEY *k = g_hash_table_lookup(pki->keys, name);
    if (!k) {
        k = pki->dir ? key_from_cache(pki, name, type, error) : keygen(type);
        if (k)
            g_hash_table_insert(pki->keys, g_strdup(name), k);
        else if (!pki->dir)
            hnb_set_openssl_error(error, HNB_ERROR_RUN, "key generation");
        if (!k)
            g_prefix_error(error, "PKI key %s: ", name);
    }
    g_mutex_unlock(&pki->lock);
    return k;
}

/* ---- export ------------------------------------------------------------------------------------------------------ */

typedef struct {
    const char *dir;
    GString *readme;
    GError **error;
} Export;

static gboolean export_bio(Export *x, const char *name, BIO *b, const char *what)
{
    char *data;
    size_t len;
    if (!bio_contents(b, &data, &len)) {
        hnb_set_openssl_error(x->error, HNB_ERROR_RUN, name);
        return FALSE;
    }
    g_autofree char *path = g_build_filename(x->dir, name, NULL);
    g_autofree char *tmp = write_temp(x->dir, name, data, len, x->error);
    if (!tmp)
        return FALSE;
    if (g_rename(tmp, path) != 0) {
        int e = errno;
        g_unlink(tmp);
        g_set_error(x->error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    /* keys stay 0600 (mkstemp); certificates and CRLs are public */
    if (!strstr(name, ".key"))
        g_chmod(path, 0644);
    g_string_append_printf(x->readme, "%-22s %s\n", name, what);
    return TRUE;
}

/* Write certificate(s) (cert, then extra) or a key to `name`. */
static gboolean export_pem(Export *x, const char *name, X509 *cert, X509 *extra, EVP_PKEY *key, X509_CRL *crl,
                           const char *what)
{
    BIO *b = BIO_new(BIO_s_mem());
    gboolean ok = b && (!cert || PEM_write_bio_X509(b, cert) == 1) && (!extra || PEM_write_bio_X509(b, extra) == 1) &&
                  (!key || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1) &&
                  (!crl || PEM_write_bio_X509_CRL(b, crl) == 1);
    if (!ok) {
        BIO_free(b);
        hnb_set_openssl_error(x->error, HNB_ERROR_RUN, name);
        return FALSE;
    }
    ok = export_bio(x, name, b, what);
    BIO_free(b);
    return ok;
}

gboolean hnb_pki_export(HnbPki *pki, const char *dir, uint32_t ndevices, gboolean force, GError **error)
{
    if (g_file_test(dir, G_FILE_TEST_EXISTS)) {
        if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: exists and is not a directory", dir);
            return FALSE;
        }
        g_autoptr(GDir) d = g_dir_open(dir, 0, error);
        if (!d) {
            g_prefix_error(error, "%s: ", dir);
            return FALSE;
        }
        if (g_dir_read_name(d) && !force) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: directory is not empty (use --force to write into it)",
                        dir);
            return FALSE;
        }
    } else if (g_mkdir_with_parents(dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", dir, g_strerror(e));
        return FALSE;
    }
    const HnbPkiParams *p = &pki->p;
    g_autoptr(GString) readme = g_string_new(NULL);
    g_autofree char *epoch = NULL;
    {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(p->epoch);
        epoch = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
    }
    g_string_append_printf(readme,
                           "hnbsim PKI (TS 33.320): PEM files for external tools.\n"
                           "epoch %s, realm %s, H(e)MS %s, device keys %s.\n"
                           "The HNB trusts root.pem; the H(e)MS trusts mfr.pem and checks crl.pem.\n"
                           "Private keys (*.key) are unencrypted PKCS#8.\n\n",
                           epoch, p->realm, p->hems_fqdn, p->device_key == HNB_PKI_KEY_EC_P256 ? "ec-p256" : "rsa-2048");
    Export x = {dir, readme, error};
    if (!export_pem(&x, "root.pem", pki->root->cert, NULL, NULL, NULL, "operator root CA certificate") ||
        !export_pem(&x, "root.key", NULL, NULL, pki->root->key, NULL, "operator root CA key") ||
        !export_pem(&x, "hems.pem", pki->hems->cert, NULL, NULL, NULL, "H(e)MS server certificate") ||
        !export_pem(&x, "hems.key", NULL, NULL, pki->hems->key, NULL, "H(e)MS server key") ||
        !export_pem(&x, "hems-chain.pem", pki->hems->cert, pki->root->cert, NULL, NULL,
                    "H(e)MS certificate followed by the root CA") ||
        !export_pem(&x, "mfr.pem", pki->mfr->cert, NULL, NULL, NULL, "manufacturer CA certificate (device issuer)") ||
        !export_pem(&x, "mfr.key", NULL, NULL, pki->mfr->key, NULL, "manufacturer CA key") ||
        !export_pem(&x, "crl.pem", NULL, NULL, NULL, pki->crl, "CRL of the manufacturer CA (revoked devices)") ||
        !export_pem(&x, "signing.pem", pki->signing->cert, NULL, NULL, NULL,
                    "software image verification certificate (held by the TrE)") ||
        !export_pem(&x, "signing.key", NULL, NULL, pki->signing->key, NULL, "software-signing key") ||
        !export_pem(&x, "tool-ca.pem", pki->tool_ca->cert, NULL, NULL, NULL,
                    "maintenance-tool CA (issued by the root; issues tool-<n> certificates)") ||
        !export_pem(&x, "tool-ca.key", NULL, NULL, pki->tool_ca->key, NULL, "its key") ||
        !export_pem(&x, "foreign.pem", pki->foreign->cert, NULL, NULL, NULL, "a CA nobody trusts") ||
        !export_pem(&x, "foreign.key", NULL, NULL, pki->foreign->key, NULL, "its key"))
        return FALSE;
    const HnbPkiCred *fd = hnb_pki_foreign_device(pki, 0, error);
    if (!fd ||
        !export_pem(&x, "foreign-dev0.pem", fd->cert, NULL, NULL, NULL, "HNB 0's identity, issued by the foreign CA") ||
        !export_pem(&x, "foreign-dev0.key", NULL, NULL, fd->key, NULL, "its key"))
        return FALSE;
    for (uint32_t i = 0; i < ndevices; i++) {
        const HnbPkiCred *c = hnb_pki_device(pki, i, error);
        if (!c)
            return FALSE;
        g_autofree char *fqdn = hnb_pki_device_fqdn(pki, i);
        g_autofree char *cn = g_strdup_printf("dev%u.pem", i), *kn = g_strdup_printf("dev%u.key", i);
        g_autofree char *what = g_strdup_printf("device certificate of HNB %u: %s%s", i, fqdn,
                                                hnb_pki_is_revoked(pki, i) ? " (revoked)" : "");
        if (!export_pem(&x, cn, c->cert, NULL, NULL, NULL, what) ||
            !export_pem(&x, kn, NULL, NULL, c->key, NULL, "its key"))
            return FALSE;
    }
    {
        static const char *const kt[] = {"ec-p256", "rsa-2048"};
        g_autoptr(GString) ini = g_string_new(NULL);
        g_string_append_printf(ini,
                               "# hnbsim PKI parameters (read by hnb_pki_open_export / hnbsim acs --pki)\n[pki]\n"
                               "epoch = %s\nrealm = %s\nhems_fqdn = %s\noui = %s\ndevice_key = %s\n",
                               epoch, p->realm, p->hems_fqdn, p->oui, kt[p->device_key]);
        BIO *b = BIO_new(BIO_s_mem());
        gboolean ok = b && BIO_write(b, ini->str, (int)ini->len) == (int)ini->len &&
                      export_bio(&x, "pki.ini", b, "the parameters (epoch, realm, H(e)MS name, OUI, device key type)");
        BIO_free(b);
        if (!ok)
            return FALSE;
    }
    g_autofree char *rpath = g_build_filename(dir, "README.txt", NULL);
    g_string_append(readme, "README.txt             this file\n");
    if (!g_file_set_contents(rpath, readme->str, (gssize)readme->len, error))
        return FALSE;
    return TRUE;
}

/* ---- opening an export ------------------------------------------------------------------------------------------- */

static HnbPkiCred *open_cred(const char *dir, const char *name, gboolean with_key, GError **error)
{
    g_autofree char *cn = g_strdup_printf("%s/%s.pem", dir, name);
    g_autofree char *kn = g_strdup_printf("%s/%s.key", dir, name);
    BIO *b = BIO_new_file(cn, "r");
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!x) {
        hnb_set_openssl_error(error, HNB_ERROR_INPUT, cn);
        return NULL;
    }
    EVP_PKEY *k = NULL;
    if (with_key) {
        b = BIO_new_file(kn, "r");
        k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        if (!k || X509_check_private_key(x, k) != 1) {
            hnb_set_openssl_error(error, HNB_ERROR_INPUT, kn);
            X509_free(x);
            EVP_PKEY_free(k);
            return NULL;
        }
    }
    ERR_clear_error();
    return cred_new(x, k);
}

/* Re-file a GKeyFile error as bad input, naming the file. */
static void input_error(GError **error, const char *path)
{
    if (error && *error) {
        GError *e = *error;
        *error = NULL;
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: %s", path, e->message);
        g_error_free(e);
    }
}

HnbPki *hnb_pki_open_export(const char *dir, GError **error)
{
    g_autofree char *ini_path = g_build_filename(dir, "pki.ini", NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: no such directory (make one with `hnbsim pki --out DIR`)",
                    dir);
        return NULL;
    }
    if (!g_key_file_load_from_file(kf, ini_path, G_KEY_FILE_NONE, error)) {
        input_error(error, ini_path);
        return NULL;
    }
    HnbPki *pki = g_new0(HnbPki, 1);
    hnb_pki_params_init(&pki->p);
    pki->p.no_cache = TRUE;
    g_mutex_init(&pki->lock);
    pki->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)cred_free);
    pki->foreign_devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)cred_free);
    tables_init(pki);
    pki->export_dir = g_strdup(dir);
    static const char *const keys[] = {"epoch", "realm", "hems_fqdn", "oui", "device_key"};
    char *v[G_N_ELEMENTS(keys)] = {0};
    gboolean ok = TRUE;
    for (size_t k = 0; k < G_N_ELEMENTS(keys) && ok; k++)
        ok = (v[k] = g_key_file_get_string(kf, "pki", keys[k], error)) != NULL;
    if (ok && !hnb_pki_parse_epoch(v[0], &pki->p.epoch, error))
        ok = FALSE;
    if (ok && (!is_dns_name(v[1]) || !is_dns_name(v[2]) || !is_hex(v[3], 6))) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "bad realm, hems_fqdn or oui");
        ok = FALSE;
    }
    if (ok) {
        g_free(pki->p.realm);
        g_free(pki->p.hems_fqdn);
        g_free(pki->p.oui);
        pki->p.realm = g_strdup(v[1]);
        pki->p.hems_fqdn = g_strdup(v[2]);
        pki->p.oui = g_ascii_strup(v[3], -1);
        pki->p.device_key = key_type(v[4]);
    }
    for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
        g_free(v[k]);
    if (!ok) {
        input_error(error, ini_path);
        hnb_pki_free(pki);
        return NULL;
    }
    g_autofree char *crl_path = g_build_filename(dir, "crl.pem", NULL);
    if (!(pki->root = open_cred(dir, "root", TRUE, error)) || !(pki->mfr = open_cred(dir, "mfr", TRUE, error)) ||
        !(pki->foreign = open_cred(dir, "foreign", TRUE, error)) ||
        !(pki->hems = open_cred(dir, "hems", TRUE, error)) || !(pki->signing = open_cred(dir, "signing", TRUE, error))) {
        hnb_pki_free(pki);
        return NULL;
    }
    /* exports made before the tool CA existed: make one in memory under the directory's root */
    g_autofree char *tool_ca_path = g_build_filename(dir, "tool-ca.pem", NULL);
    if (g_file_test(tool_ca_path, G_FILE_TEST_EXISTS) ? !(pki->tool_ca = open_cred(dir, "tool-ca", TRUE, error))
                                                      : !(pki->tool_ca = make_tool_ca(pki, error))) {
        hnb_pki_free(pki);
        return NULL;
    }
    BIO *b = BIO_new_file(crl_path, "r");
    pki->crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!pki->crl || X509_CRL_verify(pki->crl, pki->mfr->key) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_INPUT, crl_path);
        hnb_pki_free(pki);
        return NULL;
    }
    /* the revoked set, from the CRL (device serials are index + 1) */
    STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(pki->crl);
    g_autoptr(GArray) idx = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (int k = 0; k < sk_X509_REVOKED_num(rev); k++) {
        uint64_t sn;
        if (ASN1_INTEGER_get_uint64(&sn, X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(rev, k))) == 1 &&
            sn >= 1 && sn <= (uint64_t)UINT32_MAX + 1) {
            uint32_t i = (uint32_t)(sn - 1);
            g_array_append_val(idx, i);
        }
    }
    ERR_clear_error();
    g_array_sort(idx, cmp_u32);
    pki->p.nrevoked = idx->len;
    pki->p.revoked = idx->len ? g_memdup2(idx->data, idx->len * sizeof(uint32_t)) : NULL;
    return pki;
}
