/* crypto/pki_cas.c — the CA set: operator root, manufacturer CA, foreign CA, the H(e)MS, software-signing and SeGW
 * credentials, the maintenance-tool CA and the recovery CA, made once per parameter hash and kept as one file (ca.pem)
 * in the cache.  The file is published with link(2): the first of several concurrent runs wins and the others load
 * its file, since they must all sign devices with the same manufacturer key.
 */
#include "crypto/pki_private.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

/* The maintenance-tool CA: an intermediate under the operator root, so an HNB (which trusts the root) accepts a tool
 * as it accepts the H(e)MS, and the tool CA's own CRL revokes tools without touching the H(e)MS chain. */
HnbPkiCred *pki_make_tool_ca(HnbPki *pki, GError **error)
{
    const HnbPkiParams *p = &pki->p;
    return pki_make_cred(p, p->ca_key, "Operator", "Maintenance Tool CA", NULL, 3, p->ca_issued_before, p->ca_lifetime,
                         PKI_ROLE_CA, pki->root, error);
}

/* The SeGW is the operator's, so the operator root issues it (TS 33.320 §7.1: the HNB authenticates the SeGW with the
 * operator root it holds, as it does the H(e)MS).  The server role gives serverAuth and digitalSignature: what an
 * IKEv2 responder's certificate needs to sign AUTH (RFC 4945 §5.1.3.2 asks for no particular key usage). */
HnbPkiCred *pki_make_segw(HnbPki *pki, GError **error)
{
    const HnbPkiParams *p = &pki->p;
    return pki_make_cred(p, p->segw_key, "Operator", p->segw_fqdn, p->segw_fqdn, 4, p->segw_issued_before,
                         p->segw_lifetime, PKI_ROLE_SERVER, pki->root, error);
}

/* The recovery CA is a root of its own, not an intermediate under the manufacturer CA: a verifier trusting the
 * manufacturer CA (a normal session) then cannot chain a recovery certificate, and one trusting the recovery CA (a
 * recovery session) cannot chain a device certificate, so each credential is accepted only for its kind of session. */
HnbPkiCred *pki_make_recovery_ca(HnbPki *pki, GError **error)
{
    const HnbPkiParams *p = &pki->p;
    return pki_make_cred(p, p->ca_key, "HNB Manufacturer", "Recovery CA", NULL, 1, p->ca_issued_before,
                         p->ca_lifetime, PKI_ROLE_CA, NULL, error);
}

static gboolean make_cas(HnbPki *pki, GError **error)
{
    const HnbPkiParams *p = &pki->p;
    g_autofree char *root_cn = g_strdup_printf("Operator Root CA %s", p->hems_fqdn);
    if (!(pki->root = pki_make_cred(p, p->ca_key, "Operator", root_cn, NULL, 1, p->ca_issued_before, p->ca_lifetime,
                                    PKI_ROLE_CA, NULL, error)) ||
        !(pki->mfr = pki_make_cred(p, p->ca_key, "HNB Manufacturer", "Manufacturer CA", NULL, 1, p->ca_issued_before,
                                   p->ca_lifetime, PKI_ROLE_CA, NULL, error)) ||
        !(pki->foreign = pki_make_cred(p, p->ca_key, "Foreign", "Foreign CA", NULL, 1, p->ca_issued_before,
                                       p->ca_lifetime, PKI_ROLE_CA, NULL, error)) ||
        !(pki->hems = pki_make_cred(p, p->hems_key, "Operator", p->hems_fqdn, p->hems_fqdn, 2,
                                    p->hems_issued_before, p->hems_lifetime, PKI_ROLE_SERVER, pki->root, error)) ||
        !(pki->signing = pki_make_cred(p, p->signing_key, "HNB Manufacturer", "Software Signing", NULL,
                                       HNB_PKI_SIGNING_SERIAL, p->signing_issued_before, p->signing_lifetime,
                                       PKI_ROLE_SIGNING, pki->mfr, error)) ||
        !(pki->tool_ca = pki_make_tool_ca(pki, error)) || !(pki->segw = pki_make_segw(pki, error)) ||
        !(pki->recovery = pki_make_recovery_ca(pki, error)))
        return FALSE;
    pki->stats.ca_generated = 1;
    return TRUE;
}

void pki_drop_cas(HnbPki *pki)
{
    pki_cred_free(pki->root);
    pki_cred_free(pki->mfr);
    pki_cred_free(pki->foreign);
    pki_cred_free(pki->hems);
    pki_cred_free(pki->signing);
    pki_cred_free(pki->tool_ca);
    pki_cred_free(pki->segw);
    pki_cred_free(pki->recovery);
    pki->root = pki->mfr = pki->foreign = pki->hems = pki->signing = pki->tool_ca = pki->segw = pki->recovery = NULL;
}

static gboolean load_cas(HnbPki *pki, const char *path)
{
    BIO *b = pki_bio_from_file(path);
    if (!b)
        return FALSE;
    pki->root = pki_read_cred(b);
    pki->mfr = pki_read_cred(b);
    pki->foreign = pki_read_cred(b);
    pki->hems = pki_read_cred(b);
    pki->signing = pki_read_cred(b);
    pki->tool_ca = pki_read_cred(b);
    pki->segw = pki_read_cred(b);
    pki->recovery = pki_read_cred(b);
    BIO_free(b);
    ERR_clear_error();
    if (pki->root && pki->mfr && pki->foreign && pki->hems && pki->signing && pki->tool_ca && pki->segw &&
        pki->recovery && pki_signed_by(pki->recovery->cert, pki->recovery) &&
        pki_signed_by(pki->root->cert, pki->root) && pki_signed_by(pki->mfr->cert, pki->mfr) &&
        pki_signed_by(pki->foreign->cert, pki->foreign) && pki_signed_by(pki->hems->cert, pki->root) &&
        pki_signed_by(pki->signing->cert, pki->mfr) && pki_signed_by(pki->tool_ca->cert, pki->root) &&
        pki_signed_by(pki->segw->cert, pki->root))
        return TRUE;
    pki_drop_cas(pki);
    return FALSE;
}

static gboolean cas_to_pem(HnbPki *pki, BIO *b)
{
    return pki_write_cred(b, pki->root) && pki_write_cred(b, pki->mfr) && pki_write_cred(b, pki->foreign) &&
           pki_write_cred(b, pki->hems) && pki_write_cred(b, pki->signing) && pki_write_cred(b, pki->tool_ca) &&
           pki_write_cred(b, pki->segw) && pki_write_cred(b, pki->recovery);
}

/* Load ca.pem, or make the set and publish it (first writer wins). */
gboolean pki_init_cas(HnbPki *pki, GError **error)
{
    if (!pki->dir)
        return make_cas(pki, error);
    g_autofree char *path = g_build_filename(pki->dir, "ca.pem", NULL);
    if (load_cas(pki, path))
        return TRUE;
    gboolean existed = g_file_test(path, G_FILE_TEST_EXISTS);
    /* it may have been published by a concurrent run between the load and the test (link(2) makes a whole file
     * appear at once): read it again before calling it corrupted and replacing the set that run signs devices with */
    if (existed && load_cas(pki, path))
        return TRUE;
    if (existed) {
        g_warning("PKI cache %s is corrupted; regenerating the CAs (and with them every device)", path);
        pki->stats.corrupted++;
    }
    if (!make_cas(pki, error))
        return FALSE;
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    size_t len;
    if (!b || !cas_to_pem(pki, b) || !pki_bio_contents(b, &data, &len)) {
        BIO_free(b);
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "writing the CA set");
        return FALSE;
    }
    g_autofree char *tmp = pki_write_temp(pki->dir, "ca.pem", data, len, error);
    BIO_free(b);
    if (!tmp)
        return FALSE;
    if (existed)
        return pki_rename_temp(tmp, path, error);
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
    pki_drop_cas(pki);
    pki->stats.ca_generated = 0;
    if (load_cas(pki, path))
        return TRUE;
    g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: unreadable after a concurrent run wrote it", path);
    return FALSE;
}
