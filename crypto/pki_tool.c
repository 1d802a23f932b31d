/* crypto/pki_tool.c — local maintenance tools: certificates under the tool CA, scoped to a region's host name
 * (or all regions by a wildcard), which an HNB accepts as it accepts the H(e)MS (clause 8.3.4 chain and name checks).
 * Memory only: a tool's certificate is cheap once its named key exists.
 */
#include "crypto/pki_private.h"

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
        X509 *x = pki_make_cert(&pki->p, key, "Operator Maintenance", cn, dns, HNB_PKI_TOOL_SERIAL(n, gen), -not_before,
                                not_after - not_before, PKI_ROLE_SERVER, pki->tool_ca, error);
        if (x) {
            EVP_PKEY_up_ref(key);
            c = pki_cred_new(x, key);
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
