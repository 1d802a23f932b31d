/* crypto/pki_import.c — opening an export made by hnb_pki_export: the CA set and CRLs from its PEM files, the
 * parameters from its pki.ini, devices read from dev<i>.pem/.key (recovery credentials from rec-dev<i>.pem/.key) on
 * demand.
 */
#include "crypto/pki_private.h"

#include <string.h>

/* Reading many devices' keys: each through a kept decoder context (pki_private.h, PkiKeyDecoder).  The drive reads
 * a credential at each device's first session, so it keeps a reader (hnb_pki_cred_reader_new). */
struct HnbPkiCredReader {
    char *dir;
    PkiKeyDecoder dec;
};

/* The private key of PEM file `path` whose certificate holds `pub`: through the reader's decoder when there is one. */
static EVP_PKEY *read_key(HnbPkiCredReader *r, const char *path, const EVP_PKEY *pub)
{
    gchar *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    EVP_PKEY *k = pki_key_decoder_read(r ? &r->dec : NULL, pub ? EVP_PKEY_get_base_id(pub) : EVP_PKEY_NONE, data,
                                       len);
    g_free(data);
    return k;
}

static HnbPkiCred *open_cred_with(HnbPkiCredReader *r, const char *dir, const char *name, gboolean with_key,
                                  GError **error)
{
    g_autofree char *cn = g_strdup_printf("%s/%s.pem", dir, name);
    g_autofree char *kn = g_strdup_printf("%s/%s.key", dir, name);
    BIO *b = BIO_new_file(cn, "r");
    X509 *x = b ? pki_read_x509(b) : NULL;
    BIO_free(b);
    if (!x) {
        hnb_set_openssl_error(error, HNB_ERROR_INPUT, cn);
        return NULL;
    }
    EVP_PKEY *k = NULL;
    if (with_key) {
        k = read_key(r, kn, X509_get0_pubkey(x));
        if (!k || X509_check_private_key(x, k) != 1) {
            hnb_set_openssl_error(error, HNB_ERROR_INPUT, kn);
            X509_free(x);
            EVP_PKEY_free(k);
            return NULL;
        }
    }
    ERR_clear_error();
    return pki_cred_new(x, k);
}

static HnbPkiCred *open_cred(const char *dir, const char *name, gboolean with_key, GError **error)
{
    return open_cred_with(NULL, dir, name, with_key, error);
}

/* A CRL file of dir that `issuer` signed, or NULL with HNB_ERROR_INPUT naming the file. */
static X509_CRL *open_crl(const char *dir, const char *name, const HnbPkiCred *issuer, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    BIO *b = BIO_new_file(path, "r");
    X509_CRL *crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!crl || X509_CRL_verify(crl, issuer->key) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_INPUT, path);
        X509_CRL_free(crl);
        return NULL;
    }
    ERR_clear_error();
    return crl;
}

/* The recovery CA and its CRL: from recovery-ca.pem/.key and recovery-crl.pem, or, for an export made before the
 * recovery CA existed, made in memory (a fresh CA; its CRL lists the revoked set read from the device CRL). */
static gboolean open_recovery(HnbPki *pki, const char *dir, GError **error)
{
    g_autofree char *ca_path = g_build_filename(dir, "recovery-ca.pem", NULL);
    if (!g_file_test(ca_path, G_FILE_TEST_EXISTS))
        return (pki->recovery = pki_make_recovery_ca(pki, error)) && pki_make_recovery_crl(pki, error);
    return (pki->recovery = open_cred(dir, "recovery-ca", TRUE, error)) &&
           (pki->recovery_crl = open_crl(dir, "recovery-crl.pem", pki->recovery, error));
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
    pki_tables_init(pki);
    pki->export_dir = g_strdup(dir);
    static const char *const keys[] = {"epoch", "realm", "hems_fqdn", "oui", "device_key"};
    char *v[G_N_ELEMENTS(keys)] = {0};
    gboolean ok = TRUE;
    for (size_t k = 0; k < G_N_ELEMENTS(keys) && ok; k++)
        ok = (v[k] = g_key_file_get_string(kf, "pki", keys[k], error)) != NULL;
    if (ok && !hnb_pki_parse_epoch(v[0], &pki->p.epoch, error))
        ok = FALSE;
    if (ok && (!pki_is_dns_name(v[1]) || !pki_is_dns_name(v[2]) || !pki_is_hex(v[3], 6))) {
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
        pki->p.device_key = pki_key_type(v[4]);
    }
    for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
        g_free(v[k]);
    if (!ok) {
        input_error(error, ini_path);
        hnb_pki_free(pki);
        return NULL;
    }
    if (!(pki->root = open_cred(dir, "root", TRUE, error)) || !(pki->mfr = open_cred(dir, "mfr", TRUE, error)) ||
        !(pki->foreign = open_cred(dir, "foreign", TRUE, error)) ||
        !(pki->hems = open_cred(dir, "hems", TRUE, error)) || !(pki->signing = open_cred(dir, "signing", TRUE, error))) {
        hnb_pki_free(pki);
        return NULL;
    }
    /* exports made before the SeGW existed: its segw_fqdn is the default, and a SeGW credential is made in memory
     * under the directory's root (as for the tool CA below) */
    g_autofree char *segw_fqdn = g_key_file_get_string(kf, "pki", "segw_fqdn", NULL);
    if (segw_fqdn && !pki_is_dns_name(segw_fqdn)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: bad segw_fqdn \"%s\"", ini_path, segw_fqdn);
        hnb_pki_free(pki);
        return NULL;
    }
    if (segw_fqdn) {
        g_free(pki->p.segw_fqdn);
        pki->p.segw_fqdn = g_steal_pointer(&segw_fqdn);
    }
    g_autofree char *segw_path = g_build_filename(dir, "segw.pem", NULL);
    if (g_file_test(segw_path, G_FILE_TEST_EXISTS) ? !(pki->segw = open_cred(dir, "segw", TRUE, error))
                                                   : !(pki->segw = pki_make_segw(pki, error))) {
        hnb_pki_free(pki);
        return NULL;
    }
    pki->p.segw_key = EVP_PKEY_is_a(pki->segw->key, "RSA") ? HNB_PKI_KEY_RSA_2048 : HNB_PKI_KEY_EC_P256;
    /* exports made before the tool CA existed: make one in memory under the directory's root */
    g_autofree char *tool_ca_path = g_build_filename(dir, "tool-ca.pem", NULL);
    if (g_file_test(tool_ca_path, G_FILE_TEST_EXISTS) ? !(pki->tool_ca = open_cred(dir, "tool-ca", TRUE, error))
                                                      : !(pki->tool_ca = pki_make_tool_ca(pki, error))) {
        hnb_pki_free(pki);
        return NULL;
    }
    if (!(pki->crl = open_crl(dir, "crl.pem", pki->mfr, error))) {
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
    g_array_sort(idx, pki_cmp_u32);
    pki->p.nrevoked = idx->len;
    pki->p.revoked = idx->len ? g_memdup2(idx->data, idx->len * sizeof(uint32_t)) : NULL;
    if (!open_recovery(pki, dir, error)) {
        hnb_pki_free(pki);
        return NULL;
    }
    return pki;
}

HnbPkiCred *hnb_pki_read_export_cred(const char *dir, const char *name, GError **error)
{
    return open_cred(dir, name, TRUE, error);
}

HnbPkiCredReader *hnb_pki_cred_reader_new(const char *dir)
{
    HnbPkiCredReader *r = g_new0(HnbPkiCredReader, 1);
    r->dir = g_strdup(dir);
    return r;
}

HnbPkiCred *hnb_pki_cred_reader_read(HnbPkiCredReader *r, const char *name, GError **error)
{
    return open_cred_with(r, r->dir, name, TRUE, error);
}

void hnb_pki_cred_reader_free(HnbPkiCredReader *r)
{
    if (!r)
        return;
    pki_key_decoder_clear(&r->dec);
    g_free(r->dir);
    g_free(r);
}

void hnb_pki_cred_free(HnbPkiCred *cred)
{
    pki_cred_free(cred);
}
