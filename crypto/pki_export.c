/* crypto/pki_export.c — `hnbsim pki --out DIR`: the PKI as PEM files for real peers (s_server, s_client, hnbsim
 * acs and probe), with a README naming each file and pki.ini to reopen it (pki_import.c).
 */
#include "crypto/pki_private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

typedef struct {
    const char *dir;
    GString *readme;
    GError **error;
} Export;

static gboolean export_bio(Export *x, const char *name, BIO *b, const char *what)
{
    char *data;
    size_t len;
    if (!pki_bio_contents(b, &data, &len)) {
        hnb_set_openssl_error(x->error, HNB_ERROR_RUN, name);
        return FALSE;
    }
    g_autofree char *path = g_build_filename(x->dir, name, NULL);
    g_autofree char *tmp = pki_write_temp(x->dir, name, data, len, x->error);
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

/* HNB i's device (dev<i>.*) or recovery (rec-dev<i>.*) certificate and key. */
static gboolean export_device(Export *x, HnbPki *pki, uint32_t i, gboolean recovery)
{
    const HnbPkiCred *c = recovery ? hnb_pki_recovery_device(pki, i, x->error) : hnb_pki_device(pki, i, x->error);
    if (!c)
        return FALSE;
    const char *prefix = recovery ? "rec-dev" : "dev";
    g_autofree char *fqdn = hnb_pki_device_fqdn(pki, i);
    g_autofree char *cn = g_strdup_printf("%s%u.pem", prefix, i), *kn = g_strdup_printf("%s%u.key", prefix, i);
    g_autofree char *what = g_strdup_printf("%s certificate of HNB %u: %s%s", recovery ? "recovery" : "device", i,
                                            fqdn, hnb_pki_is_revoked(pki, i) ? " (revoked)" : "");
    return export_pem(x, cn, c->cert, NULL, NULL, NULL, what) && export_pem(x, kn, NULL, NULL, c->key, NULL, "its key");
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
                           "The HNB trusts root.pem; the H(e)MS and the SeGW trust mfr.pem and check crl.pem,\n"
                           "and in a recovery session (the golden module) recovery-ca.pem and recovery-crl.pem.\n"
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
        !export_pem(&x, "segw.pem", pki->segw->cert, NULL, NULL, NULL,
                    "SeGW certificate (IKEv2, TS 33.320 7.3; issued by the root)") ||
        !export_pem(&x, "segw.key", NULL, NULL, pki->segw->key, NULL, "SeGW key") ||
        !export_pem(&x, "tool-ca.pem", pki->tool_ca->cert, NULL, NULL, NULL,
                    "maintenance-tool CA (issued by the root; issues tool-<n> certificates)") ||
        !export_pem(&x, "tool-ca.key", NULL, NULL, pki->tool_ca->key, NULL, "its key") ||
        !export_pem(&x, "recovery-ca.pem", pki->recovery->cert, NULL, NULL, NULL,
                    "recovery CA (issues the golden modules' recovery certificates)") ||
        !export_pem(&x, "recovery-ca.key", NULL, NULL, pki->recovery->key, NULL, "its key") ||
        !export_pem(&x, "recovery-crl.pem", NULL, NULL, NULL, pki->recovery_crl,
                    "CRL of the recovery CA (the same revoked devices)") ||
        !export_pem(&x, "foreign.pem", pki->foreign->cert, NULL, NULL, NULL, "a CA nobody trusts") ||
        !export_pem(&x, "foreign.key", NULL, NULL, pki->foreign->key, NULL, "its key"))
        return FALSE;
    const HnbPkiCred *fd = hnb_pki_foreign_device(pki, 0, error);
    if (!fd ||
        !export_pem(&x, "foreign-dev0.pem", fd->cert, NULL, NULL, NULL, "HNB 0's identity, issued by the foreign CA") ||
        !export_pem(&x, "foreign-dev0.key", NULL, NULL, fd->key, NULL, "its key"))
        return FALSE;
    for (uint32_t i = 0; i < ndevices; i++)
        if (!export_device(&x, pki, i, FALSE) || !export_device(&x, pki, i, TRUE))
            return FALSE;
    {
        static const char *const kt[] = {"ec-p256", "rsa-2048", "rsa-4096"};
        g_autoptr(GString) ini = g_string_new(NULL);
        g_string_append_printf(ini,
                               "# hnbsim PKI parameters (read by hnb_pki_open_export / hnbsim acs --pki)\n[pki]\n"
                               "epoch = %s\nrealm = %s\nhems_fqdn = %s\nsegw_fqdn = %s\noui = %s\ndevice_key = %s\n",
                               epoch, p->realm, p->hems_fqdn, p->segw_fqdn, p->oui, kt[p->device_key]);
        BIO *b = BIO_new(BIO_s_mem());
        gboolean ok = b && BIO_write(b, ini->str, (int)ini->len) == (int)ini->len &&
                      export_bio(&x, "pki.ini", b, "the parameters (epoch, realm, H(e)MS and SeGW names, OUI, device key type)");
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
