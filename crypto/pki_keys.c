/* crypto/pki_keys.c — named keys: long-lived keys (a maintenance tool's RSA key, the trust model's keys) generated
 * once per cache and kept under keys/, so that key generation (RSA above all) is not repeated in every run.
 */
#include "crypto/pki_private.h"

#include <string.h>

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
    BIO *b = pki_bio_from_file(path);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    if (k && EVP_PKEY_is_a(k, type == HNB_PKI_KEY_EC_P256 ? "EC" : "RSA") &&
        (type != HNB_PKI_KEY_RSA_4096) == (EVP_PKEY_get_bits(k) != 4096))
        return k;
    EVP_PKEY_free(k);
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_warning("PKI cache %s is corrupted; regenerating it", path);
        pki->stats.corrupted++;
    }
    if (!(k = pki_keygen(type))) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "key generation");
        return NULL;
    }
    BIO *w = BIO_new(BIO_s_mem());
    gboolean ok = w && PEM_write_bio_PrivateKey(w, k, NULL, NULL, 0, NULL, NULL) == 1;
    if (!ok)
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "writing a key");
    ok = ok && pki_publish(sub, base, w, error);
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
        k = pki->dir ? key_from_cache(pki, name, type, error) : pki_keygen(type);
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
