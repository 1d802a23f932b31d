/* crypto/pki_crl.c — certificate revocation lists: the manufacturer CA's CRL of revoked devices ([pki] revoked, checked
 * by the H(e)MS with X509_V_FLAG_CRL_CHECK), the recovery CA's CRL of the same devices and the tool CA's CRLs of
 * revoked maintenance tools.
 */
#include "crypto/pki_private.h"

/* A CRL of `issuer` listing `serials`, thisUpdate = this_update, nextUpdate = next_update (simulated times). */
X509_CRL *pki_sign_crl(const HnbPkiParams *p, const HnbPkiCred *issuer, const uint64_t *serials, guint n,
                       HnbTime this_update, HnbTime next_update, GError **error)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *last = ASN1_TIME_set(NULL, pki_abs_time(p, this_update));
    ASN1_TIME *next = ASN1_TIME_set(NULL, pki_abs_time(p, next_update));
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

/* A CRL of `issuer` revoking the devices of [pki] revoked (device and recovery serials are index + 1). */
static X509_CRL *revoked_devices_crl(HnbPki *pki, const HnbPkiCred *issuer, GError **error)
{
    const HnbPkiParams *p = &pki->p;
    g_autofree uint64_t *serials = g_new(uint64_t, p->nrevoked ? p->nrevoked : 1);
    for (guint k = 0; k < p->nrevoked; k++)
        serials[k] = (uint64_t)p->revoked[k] + 1;
    return pki_sign_crl(p, issuer, serials, p->nrevoked, -HNB_DAY, p->crl_lifetime, error);
}

gboolean pki_make_crl(HnbPki *pki, GError **error)
{
    pki->crl = revoked_devices_crl(pki, pki->mfr, error);
    return pki->crl != NULL;
}

/* An operator revoking a stolen HNB revokes both its credentials: a thief must not get a tunnel by booting the
 * golden module. */
gboolean pki_make_recovery_crl(HnbPki *pki, GError **error)
{
    pki->recovery_crl = revoked_devices_crl(pki, pki->recovery, error);
    return pki->recovery_crl != NULL;
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

X509_CRL *hnb_pki_tool_crl(HnbPki *pki, const uint64_t *serials, guint n, HnbTime this_update, GError **error)
{
    return pki_sign_crl(&pki->p, pki->tool_ca, serials, n, this_update, this_update + pki->p.crl_lifetime, error);
}
