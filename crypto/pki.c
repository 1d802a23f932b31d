/* crypto/pki.c — the simulated PKI as an object: building it from parameters (the cache directory named by their
 * hash, the CA set, the CRL, a renewed H(e)MS certificate), freeing it, and its accessors.  The parts live apart:
 * pki_params.c ([pki] group), pki_cert.c (keys and certificates), pki_files.c and pki_cas.c (the on-disk cache),
 * pki_crl.c, pki_identity.c, pki_device.c, pki_tool.c, pki_keys.c, pki_export.c and pki_import.c.
 */
#include "crypto/pki_private.h"

#include <errno.h>
#include <glib/gstdio.h>

/* The parameters that determine the generated material, as text; its SHA-256 names the cache directory. */
static char *params_key(const HnbPkiParams *p)
{
    static const char *const kt[] = {"ec-p256", "rsa-2048", "rsa-4096"};
    g_autofree char *text = g_strdup_printf(
        "%s\nepoch=%" G_GINT64_FORMAT "\nrealm=%s\nhems=%s\noui=%s\ndevice=%s\nca=%s\nsigning=%s\n"
        "ca=%" G_GINT64_FORMAT "+%" G_GINT64_FORMAT "\nhems=%" G_GINT64_FORMAT "+%" G_GINT64_FORMAT
        "\ndevice=%" G_GINT64_FORMAT "+%" G_GINT64_FORMAT "\nsigning=%" G_GINT64_FORMAT "+%" G_GINT64_FORMAT
        "\nsegw=%s %s %" G_GINT64_FORMAT "+%" G_GINT64_FORMAT "\nrecovery=%" G_GINT64_FORMAT "+%" G_GINT64_FORMAT
        "\n",
        PKI_FORMAT, p->epoch, p->realm, p->hems_fqdn, p->oui, kt[p->device_key], kt[p->ca_key], kt[p->signing_key],
        p->ca_issued_before, p->ca_lifetime, p->hems_issued_before, p->hems_lifetime, p->device_issued_before,
        p->device_lifetime, p->signing_issued_before, p->signing_lifetime, p->segw_fqdn, kt[p->segw_key],
        p->segw_issued_before, p->segw_lifetime, p->recovery_issued_before, p->recovery_lifetime);
    /* added after the others, and only when not the default: the caches of every earlier PKI keep their names */
    g_autofree char *full = p->hems_key == HNB_PKI_KEY_RSA_2048 ? g_strdup(text)
                                                                : g_strdup_printf("%shems_key=%s\n", text,
                                                                                  kt[p->hems_key]);
    char *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, full, -1);
    hex[16] = '\0';
    return hex;
}

void pki_tables_init(HnbPki *pki)
{
    pki->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)pki_cred_free);
    pki->recovery_devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)pki_cred_free);
    pki->foreign_devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)pki_cred_free);
    pki->tools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)pki_cred_free);
    pki->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)EVP_PKEY_free);
    for (size_t k = 0; k < G_N_ELEMENTS(pki->parsed); k++)
        pki->parsed[k] = (PkiParsed){.index = g_hash_table_new(g_direct_hash, g_direct_equal),
                                     .cap = HNB_PKI_PARSED_MAX};
}

HnbPki *hnb_pki_new(const HnbPkiParams *params, GError **error)
{
    g_return_val_if_fail(params && params->realm && params->hems_fqdn && params->segw_fqdn && params->oui, NULL);
    if (!pki_is_hex(params->oui, 6) || !pki_is_dns_name(params->realm) || !pki_is_dns_name(params->hems_fqdn) ||
        !pki_is_dns_name(params->segw_fqdn)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "PKI: bad oui \"%s\", realm \"%s\", H(e)MS name \"%s\" or SeGW name \"%s\"", params->oui,
                    params->realm, params->hems_fqdn, params->segw_fqdn);
        return NULL;
    }
    HnbPki *pki = g_new0(HnbPki, 1);
    pki_params_copy(&pki->p, params);
    g_free(pki->p.oui);
    pki->p.oui = g_ascii_strup(params->oui, -1);
    g_mutex_init(&pki->lock);
    pki_tables_init(pki);
    /* a test knob (tests/test-cli.c): a small bounded set of parsed credentials, so that a small fleet lets some go */
    const char *max = g_getenv("HNBSIM_PKI_PARSED_MAX");
    if (max && g_ascii_strtoull(max, NULL, 10) >= 1)
        hnb_pki_set_parsed_max(pki, (guint)MIN(g_ascii_strtoull(max, NULL, 10), G_MAXUINT));
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
    if (!pki_init_cas(pki, error) || !pki_make_crl(pki, error) || !pki_make_recovery_crl(pki, error)) {
        g_prefix_error(error, "PKI: ");
        hnb_pki_free(pki);
        return NULL;
    }
    /* the renewed H(e)MS certificate: serial 3, valid from renewal - lead (an issued_before that may be negative) */
    if (pki->p.hems_renewal_at > 0 &&
        !(pki->hems_renewed = pki_make_cred(&pki->p, pki->p.hems_key, "Operator", pki->p.hems_fqdn,
                                            pki->p.hems_fqdn, 3, pki->p.hems_renewal_lead - pki->p.hems_renewal_at,
                                            pki->p.hems_lifetime, PKI_ROLE_SERVER, pki->root, error))) {
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
    pki_drop_cas(pki);
    pki_cred_free(pki->hems_renewed);
    X509_CRL_free(pki->crl);
    X509_CRL_free(pki->recovery_crl);
    if (pki->devices)
        g_hash_table_destroy(pki->devices);
    if (pki->recovery_devices)
        g_hash_table_destroy(pki->recovery_devices);
    if (pki->foreign_devices)
        g_hash_table_destroy(pki->foreign_devices);
    if (pki->tools)
        g_hash_table_destroy(pki->tools);
    if (pki->keys)
        g_hash_table_destroy(pki->keys);
    for (size_t k = 0; k < G_N_ELEMENTS(pki->parsed); k++) {
        PkiParsed *ps = &pki->parsed[k];
        for (guint j = 0; j < ps->used; j++)
            pki_cred_free(ps->cred[j]);
        g_free(ps->cred);
        g_free(ps->hnb);
        if (ps->index)
            g_hash_table_destroy(ps->index);
    }
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
const HnbPkiCred *hnb_pki_segw(const HnbPki *pki) { return pki->segw; }
X509_CRL *hnb_pki_crl(const HnbPki *pki) { return pki->crl; }
const HnbPkiCred *hnb_pki_recovery_ca(const HnbPki *pki) { return pki->recovery; }
X509_CRL *hnb_pki_recovery_crl(const HnbPki *pki) { return pki->recovery_crl; }

void hnb_pki_stats(HnbPki *pki, HnbPkiStats *out)
{
    g_mutex_lock(&pki->lock);
    *out = pki->stats;
    g_mutex_unlock(&pki->lock);
}
