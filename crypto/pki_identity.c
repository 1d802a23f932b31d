/* crypto/pki_identity.c — H(e)NB identities (TS 33.320 clause 8.3.3.1): the EUI-64 of HNB i, the FQDN
 * <EUI-64>.<realm> its certificate carries, the CWMP DeviceId (OUI, serial) it claims, and the identity read back out
 * of a certificate, which the H(e)MS compares with the claim (clause 8.3.4).
 */
#include "crypto/pki_private.h"

#include <string.h>

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
    if (!oui || !serial || !realm || !pki_is_hex(oui, 6) || !pki_is_hex(serial, 10))
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
