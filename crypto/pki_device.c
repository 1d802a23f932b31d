/* crypto/pki_device.c — per-HNB credentials: HNB i's device key and certificate and its golden module's recovery
 * credential, each made on first use and kept in the cache (DEVICES_PER_DIR files a directory, dev/ and rec/,
 * published with rename(2): two runs making the same credential at once both produce valid credentials and either
 * file may win), or read from an export; the foreign CA's devices likewise, in memory only.
 */
#include "crypto/pki_private.h"

#include <string.h>

/* The three kinds of per-HNB credential: they differ only in issuer, validity and where they are kept. */
typedef enum { KIND_DEVICE, KIND_RECOVERY, KIND_FOREIGN } Kind;

static const HnbPkiCred *kind_issuer(const HnbPki *pki, Kind kind)
{
    return kind == KIND_DEVICE ? pki->mfr : kind == KIND_RECOVERY ? pki->recovery : pki->foreign;
}

static HnbPkiCred *make_device(HnbPki *pki, uint32_t i, Kind kind, GError **error)
{
    g_autofree char *fqdn = hnb_pki_device_fqdn(pki, i);
    const HnbPkiParams *p = &pki->p;
    gboolean rec = kind == KIND_RECOVERY;
    /* the recovery certificate carries the device identity (TS 33.320 8.3.3.1), so the SeGW's IDi check and the
     * H(e)MS's DeviceId check apply to it unchanged */
    return pki_make_cred(p, p->device_key, kind == KIND_FOREIGN ? "Foreign" : "HNB Manufacturer", fqdn, fqdn,
                         (uint64_t)i + 1, rec ? p->recovery_issued_before : p->device_issued_before,
                         rec ? p->recovery_lifetime : p->device_lifetime, PKI_ROLE_CLIENT, kind_issuer(pki, kind),
                         error);
}

/* Does credential c name HNB i (clause 8.3.3.1 identity) and carry the signature of the issuer of its kind? */
static gboolean is_device_of(HnbPki *pki, uint32_t i, Kind kind, const HnbPkiCred *c)
{
    g_autofree char *want = hnb_pki_device_fqdn(pki, i);
    g_autofree char *have = hnb_pki_cert_identity(c->cert);
    return have && strcmp(have, want) == 0 && pki_signed_by(c->cert, kind_issuer(pki, kind));
}

/* A cached file is good when it parses, the key matches, the issuer of its kind signed it and it names HNB i. */
static HnbPkiCred *load_device(HnbPki *pki, uint32_t i, Kind kind, const char *path, PkiKeyDecoder *dec)
{
    gchar *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    HnbPkiCred *c = pki_read_cred_data(dec, pki_key_base_id(pki->p.device_key), data, len);
    g_free(data);
    ERR_clear_error();
    if (!c)
        return NULL;
    uint64_t serial = 0;
    const ASN1_INTEGER *sn = X509_get0_serialNumber(c->cert);
    if (!is_device_of(pki, i, kind, c) || ASN1_INTEGER_get_uint64(&serial, sn) != 1 || serial != (uint64_t)i + 1) {
        ERR_clear_error();
        pki_cred_free(c);
        return NULL;
    }
    return c;
}

static HnbPkiCred *device_from_cache(HnbPki *pki, uint32_t i, Kind kind, PkiKeyDecoder *dec, HnbPkiStats *st,
                                     GError **error)
{
    g_autofree char *sub =
        g_strdup_printf("%s/%s/%u", pki->dir, kind == KIND_RECOVERY ? "rec" : "dev", i / DEVICES_PER_DIR);
    g_autofree char *base = g_strdup_printf("%u.pem", i);
    g_autofree char *path = g_build_filename(sub, base, NULL);
    HnbPkiCred *c = load_device(pki, i, kind, path, dec);
    if (c) {
        st->devices_loaded++;
        return c;
    }
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_warning("PKI cache %s is corrupted; regenerating it", path);
        st->corrupted++;
    }
    if (!(c = make_device(pki, i, kind, error)))
        return NULL;
    st->devices_generated++;
    BIO *b = BIO_new(BIO_s_mem());
    gboolean ok = b && pki_write_cred(b, c);
    if (!ok)
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "writing a device credential");
    ok = ok && pki_publish(sub, base, b, error);
    BIO_free(b);
    if (!ok) {
        pki_cred_free(c);
        return NULL;
    }
    return c;
}

/* dev<i>.pem + dev<i>.key (rec-dev<i>.* for a recovery credential) of an exported directory, checked as a cache
 * file is */
static HnbPkiCred *device_from_export(HnbPki *pki, uint32_t i, Kind kind, PkiKeyDecoder *dec)
{
    const char *prefix = kind == KIND_RECOVERY ? "rec-dev" : "dev";
    g_autofree char *cn = g_strdup_printf("%s/%s%u.pem", pki->export_dir, prefix, i);
    g_autofree char *kn = g_strdup_printf("%s/%s%u.key", pki->export_dir, prefix, i);
    gchar *cert = NULL, *key = NULL;
    gsize clen, klen;
    if (!g_file_get_contents(kn, &key, &klen, NULL) || !g_file_get_contents(cn, &cert, &clen, NULL)) {
        g_free(key);
        return NULL;
    }
    g_autofree char *both = g_strconcat(key, cert, NULL);
    g_free(key);
    g_free(cert);
    HnbPkiCred *c = pki_read_cred_data(dec, pki_key_base_id(pki->p.device_key), both, strlen(both));
    ERR_clear_error();
    if (!c)
        return NULL;
    if (!is_device_of(pki, i, kind, c)) {
        g_warning("%s does not hold HNB %u's certificate from this PKI; making one in memory", cn, i);
        pki_cred_free(c);
        return NULL;
    }
    return c;
}

/* The calling thread's key decoder (pki_files.c), for reads outside the PKI's lock; freed when the thread ends. */
static void keydec_free(gpointer p)
{
    pki_key_decoder_clear(p);
    g_free(p);
}
static GPrivate thread_keydec = G_PRIVATE_INIT(keydec_free);

static PkiKeyDecoder *thread_decoder(void)
{
    PkiKeyDecoder *d = g_private_get(&thread_keydec);
    if (!d) {
        d = g_new0(PkiKeyDecoder, 1);
        g_private_set(&thread_keydec, d);
    }
    return d;
}

static void stats_add(HnbPkiStats *to, const HnbPkiStats *d)
{
    to->devices_generated += d->devices_generated;
    to->devices_loaded += d->devices_loaded;
    to->corrupted += d->corrupted;
}

/* HNB i's credential of `kind`, read from the export or the cache or made; *again: the export or cache gives the
 * same one back later.  Called WITHOUT the PKI's lock: it reads only what is read-only after hnb_pki_new (the
 * parameters, the issuers, the directories), decodes with the thread's own decoder and counts into *st, which the
 * caller adds to the PKI's stats under the lock.  Reading (~0.2 ms) and making (~0.8 ms: a key and a signature) a
 * credential under the lock made every other worker that needed one wait: a first 1M run makes ~1.3M.  Two threads
 * obtaining the same credential at once both get a valid one (the cache's publication is atomic, crypto/pki_files.c);
 * the caller keeps the first one put in its table. */
static HnbPkiCred *obtain(HnbPki *pki, uint32_t i, Kind kind, gboolean *again, HnbPkiStats *st, GError **error)
{
    HnbPkiCred *c = NULL;
    *again = FALSE;
    if (kind == KIND_FOREIGN) {
        c = make_device(pki, i, kind, error);
    } else if (pki->export_dir && (c = device_from_export(pki, i, kind, thread_decoder()))) {
        st->devices_loaded++;
        *again = TRUE;
    } else if (pki->dir) {
        c = device_from_cache(pki, i, kind, thread_decoder(), st, error);
        *again = c != NULL;
    } else if ((c = make_device(pki, i, kind, error))) {
        st->devices_generated++;
    }
    if (!c)
        g_prefix_error(error, kind == KIND_RECOVERY ? "PKI recovery credential %u: " : "PKI device %u: ", i);
    return c;
}

static const HnbPkiCred *device_get(HnbPki *pki, GHashTable *table, uint32_t i, Kind kind, GError **error)
{
    g_mutex_lock(&pki->lock);
    HnbPkiCred *c = g_hash_table_lookup(table, GUINT_TO_POINTER(i));
    g_mutex_unlock(&pki->lock);
    if (c)
        return c;
    gboolean again;
    HnbPkiStats st = {0};
    HnbPkiCred *made = obtain(pki, i, kind, &again, &st, error);
    g_mutex_lock(&pki->lock);
    stats_add(&pki->stats, &st);
    if (made && !(c = g_hash_table_lookup(table, GUINT_TO_POINTER(i)))) /* another thread may have put one */
        g_hash_table_insert(table, GUINT_TO_POINTER(i), c = g_steal_pointer(&made));
    g_mutex_unlock(&pki->lock);
    pki_cred_free(made); /* NULL-safe: the one not kept */
    return c;
}

HnbPkiCred *hnb_pki_cred_ref(const HnbPkiCred *c)
{
    if (!c)
        return NULL;
    X509_up_ref(c->cert);
    EVP_PKEY_up_ref(c->key);
    HnbPkiCred *r = pki_cred_new(c->cert, c->key);
    for (int k = 0; k < sk_X509_num(c->chain); k++) {
        X509 *x = sk_X509_value(c->chain, k);
        X509_up_ref(x);
        sk_X509_push(r->chain, x);
    }
    return r;
}

/* Keep c (owned) as HNB i's in the set, letting the oldest go when it is full; returns c. */
static const HnbPkiCred *parsed_put(HnbPki *pki, PkiParsed *ps, uint32_t i, HnbPkiCred *c)
{
    if (!ps->cred) {
        ps->cred = g_new0(HnbPkiCred *, ps->cap);
        ps->hnb = g_new0(uint32_t, ps->cap);
    }
    guint slot;
    if (ps->used < ps->cap) {
        slot = ps->used++;
    } else {
        slot = ps->hand;
        ps->hand = (ps->hand + 1) % ps->cap;
        g_hash_table_remove(ps->index, GUINT_TO_POINTER(ps->hnb[slot]));
        pki_cred_free(ps->cred[slot]);
        pki->stats.parsed_dropped++;
    }
    ps->cred[slot] = c;
    ps->hnb[slot] = i;
    g_hash_table_insert(ps->index, GUINT_TO_POINTER(i), GUINT_TO_POINTER(slot + 1));
    return c;
}

/* HNB i's credential in the parsed set or the memory-only table, or NULL; lock held. */
static const HnbPkiCred *parsed_find(PkiParsed *ps, GHashTable *kept, uint32_t i)
{
    const HnbPkiCred *c = g_hash_table_lookup(kept, GUINT_TO_POINTER(i));
    guint slot = c ? 0 : GPOINTER_TO_UINT(g_hash_table_lookup(ps->index, GUINT_TO_POINTER(i)));
    return slot ? ps->cred[slot - 1] : c;
}

HnbPkiCred *hnb_pki_device_ref(HnbPki *pki, uint32_t i, gboolean recovery, GError **error)
{
    Kind kind = recovery ? KIND_RECOVERY : KIND_DEVICE;
    GHashTable *kept = recovery ? pki->recovery_devices : pki->devices;
    PkiParsed *ps = &pki->parsed[recovery ? 1 : 0];
    g_mutex_lock(&pki->lock);
    HnbPkiCred *out = hnb_pki_cred_ref(parsed_find(ps, kept, i));
    g_mutex_unlock(&pki->lock);
    if (out)
        return out;
    gboolean again;
    HnbPkiStats st = {0};
    HnbPkiCred *made = obtain(pki, i, kind, &again, &st, error); /* outside the lock: see obtain */
    g_mutex_lock(&pki->lock);
    stats_add(&pki->stats, &st);
    const HnbPkiCred *c = parsed_find(ps, kept, i); /* another thread may have put one meanwhile */
    if (!c && made && again)
        c = parsed_put(pki, ps, i, g_steal_pointer(&made));
    else if (!c && made) /* memory only: nothing could give this one back, so it is kept as hnb_pki_device keeps it */
        g_hash_table_insert(kept, GUINT_TO_POINTER(i), (gpointer)(c = g_steal_pointer(&made)));
    out = hnb_pki_cred_ref(c);
    g_mutex_unlock(&pki->lock);
    pki_cred_free(made); /* NULL-safe: the one not kept */
    return out;
}

void hnb_pki_set_parsed_max(HnbPki *pki, guint n)
{
    g_return_if_fail(n >= 1);
    g_mutex_lock(&pki->lock);
    for (size_t k = 0; k < G_N_ELEMENTS(pki->parsed); k++)
        if (!pki->parsed[k].cred) /* a set in use keeps its size */
            pki->parsed[k].cap = n;
    g_mutex_unlock(&pki->lock);
}

const HnbPkiCred *hnb_pki_device(HnbPki *pki, uint32_t i, GError **error)
{
    return device_get(pki, pki->devices, i, KIND_DEVICE, error);
}

const HnbPkiCred *hnb_pki_recovery_device(HnbPki *pki, uint32_t i, GError **error)
{
    return device_get(pki, pki->recovery_devices, i, KIND_RECOVERY, error);
}

const HnbPkiCred *hnb_pki_foreign_device(HnbPki *pki, uint32_t i, GError **error)
{
    return device_get(pki, pki->foreign_devices, i, KIND_FOREIGN, error);
}
