/* crypto/libctx.c — the idle per-thread library contexts, and the lean provider they load.  See libctx.h.
 *
 * The lean provider.  OpenSSL 3.0 decodes the public key of every certificate it parses (d2i_X509, inside libssl for
 * every peer certificate) through OSSL_DECODER_CTX_new_for_pkey, which in 3.0 has no cache: each call enumerates and
 * instantiates every key manager and every decoder of every provider in the library context, then builds the chain
 * of "extra" decoders — for the default provider 18 key managers and 40 decoders, to decode one EC or RSA key.  In a
 * fleet run that was ~19% of all CPU (perf, tools/bench/README.md).  No 3.0 API caches it; what it costs is what the
 * context offers.  So a lean context loads, instead of the default provider, a provider of ours whose algorithms are
 * the default provider's own (same implementation functions, same provider context: the default provider loaded into
 * an inner context of its own, one per lean context) minus the decoders no part of hnbsim asks for: it keeps the
 * DER decoders of the key types hnbsim's PKI makes and reads (RSA, EC; their PrivateKeyInfo, SubjectPublicKeyInfo and
 * type-specific structures) and the generic DER ones (PEM to DER, EncryptedPrivateKeyInfo, SubjectPublicKeyInfo to
 * its typed form).  Every other operation — key managers, signatures, ciphers, digests, KDFs, key exchange, RNG,
 * encoders, store — is the default provider's whole list, so what libssl negotiates and verifies is unchanged.
 *
 * What a lean context cannot do: decode a key of another type (DSA, DH, X25519/X448, Ed25519/Ed448, SM2, RSA-PSS) or
 * from MSBLOB/PVK.  A peer certificate with such a key parses without its public key and fails verification in
 * libssl; hnbsim's PKI makes only RSA and EC keys (crypto/pki_params.c), and its engine's peers are its PKI's.
 *
 * The default provider's algorithm implementations take the inner provider context as their first argument, so the
 * lean provider's context is that one (its query and capability functions then find the inner provider through a
 * small registry, below); internal fetches those implementations make (a signature's digest, say) go to the inner
 * context, which is as private to the thread as the lean one.
 */
#include "crypto/libctx.h"

#include <string.h>
#include <glib.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>

static GMutex idle_lock;
static GPtrArray *idle;

/* ---- the lean provider ---- */

#define LEAN_NAME "hnbsim-lean"
#define LEAN_MAX 64 /* lean contexts a process makes: one per thread that ran at once, with room */

typedef struct {
    void *provctx;               /* the inner default provider's context: the lean provider's own */
    OSSL_PROVIDER *inner;        /* the inner default provider */
    const OSSL_ALGORITHM *decoders; /* its decoders, filtered (g_new0; never freed, like the context) */
} Lean;

/* Append-only: an entry is written in full before the count that publishes it (release), read after an acquiring
 * load of the count, never changed or removed (contexts are never freed), so lookups take no lock. */
static Lean leans[LEAN_MAX];
static gint n_leans;
static GMutex lean_lock;            /* serializes makers */
static GPrivate pending = G_PRIVATE_INIT(NULL); /* the inner provider of the lean context being made */

static const Lean *lean_of(void *provctx)
{
    int n = g_atomic_int_get(&n_leans);
    for (int i = 0; i < n; i++)
        if (leans[i].provctx == provctx)
            return &leans[i];
    return NULL;
}

static gboolean decoder_kept(const OSSL_ALGORITHM *a)
{
    const char *name = a->algorithm_names, *prop = a->property_definition ? a->property_definition : "";
    if (!strstr(prop, "input=der") && !strstr(prop, "input=pem"))
        return FALSE; /* msblob, pvk */
    /* the first name is the decoder's key type ("RSA:rsaEncryption:...", "EC:id-ecPublicKey:...") or "DER" */
    size_t n = strcspn(name, ":");
    return (n == 3 && strncmp(name, "RSA", 3) == 0) || (n == 2 && strncmp(name, "EC", 2) == 0) ||
           (n == 3 && strncmp(name, "DER", 3) == 0);
}

static const OSSL_ALGORITHM *filter_decoders(OSSL_PROVIDER *inner)
{
    int no_cache = 0;
    const OSSL_ALGORITHM *all = OSSL_PROVIDER_query_operation(inner, OSSL_OP_DECODER, &no_cache);
    size_t n = 0, k = 0;
    while (all && all[n].algorithm_names)
        n++;
    OSSL_ALGORITHM *kept = g_new0(OSSL_ALGORITHM, n + 1); /* zeroed: the terminator */
    for (size_t i = 0; i < n; i++)
        if (decoder_kept(&all[i]))
            kept[k++] = all[i];
    if (all)
        OSSL_PROVIDER_unquery_operation(inner, OSSL_OP_DECODER, all);
    return kept;
}

static const OSSL_ALGORITHM *lean_query(void *provctx, int op, int *no_cache)
{
    const Lean *l = lean_of(provctx);
    *no_cache = 0;
    if (!l)
        return NULL;
    if (op == OSSL_OP_DECODER)
        return l->decoders;
    /* the default provider's tables are static (no_cache 0): safe to hand out as ours */
    return OSSL_PROVIDER_query_operation(l->inner, op, no_cache);
}

static int lean_capabilities(void *provctx, const char *capability, OSSL_CALLBACK *cb, void *arg)
{
    const Lean *l = lean_of(provctx);
    return l ? OSSL_PROVIDER_get_capabilities(l->inner, capability, cb, arg) : 0;
}

static const OSSL_PARAM *lean_gettable_params(void *provctx)
{
    const Lean *l = lean_of(provctx);
    return l ? OSSL_PROVIDER_gettable_params(l->inner) : NULL;
}

static int lean_get_params(void *provctx, OSSL_PARAM params[])
{
    const Lean *l = lean_of(provctx);
    return l ? OSSL_PROVIDER_get_params(l->inner, params) : 0;
}

/* The inner context owns the provider context: nothing to tear down here. */
static void lean_teardown(void *provctx) { (void)provctx; }

static const OSSL_DISPATCH lean_dispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))lean_query},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, (void (*)(void))lean_capabilities},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))lean_gettable_params},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))lean_get_params},
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))lean_teardown},
    {0, NULL},
};

/* Called by OSSL_PROVIDER_load in lean_new, on its thread, under lean_lock. */
static int lean_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in, const OSSL_DISPATCH **out,
                     void **provctx)
{
    (void)handle;
    (void)in;
    OSSL_PROVIDER *inner = g_private_get(&pending);
    int n = g_atomic_int_get(&n_leans);
    if (!inner || n >= LEAN_MAX)
        return 0;
    leans[n] = (Lean){.provctx = OSSL_PROVIDER_get0_provider_ctx(inner), .inner = inner,
                      .decoders = filter_decoders(inner)};
    g_atomic_int_set(&n_leans, n + 1);
    *out = lean_dispatch;
    *provctx = leans[n].provctx;
    return 1;
}

/* A lean context and its inner one, or NULL (OpenSSL's error queue says why); neither is ever freed once the lean
 * provider is registered (the registry points into them). */
static OSSL_LIB_CTX *lean_new(void)
{
    OSSL_LIB_CTX *inner_lc = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *inner = inner_lc ? OSSL_PROVIDER_load(inner_lc, "default") : NULL;
    OSSL_LIB_CTX *lc = inner ? OSSL_LIB_CTX_new() : NULL;
    if (!lc) {
        OSSL_LIB_CTX_free(inner_lc); /* nothing was made in it yet */
        return NULL;
    }
    g_mutex_lock(&lean_lock);
    int before = g_atomic_int_get(&n_leans);
    g_private_set(&pending, inner);
    gboolean ok = OSSL_PROVIDER_add_builtin(lc, LEAN_NAME, lean_init) && OSSL_PROVIDER_load(lc, LEAN_NAME);
    g_private_set(&pending, NULL);
    gboolean registered = g_atomic_int_get(&n_leans) != before;
    g_mutex_unlock(&lean_lock);
    if (!ok && !registered) { /* nothing points into either context */
        OSSL_LIB_CTX_free(lc);
        OSSL_LIB_CTX_free(inner_lc);
    }
    /* failed after lean_init registered them (OpenSSL's activation steps after init): the registry points into
     * both, so they are kept, unused */
    return ok ? lc : NULL;
}

/* ---- the idle contexts ---- */

OSSL_LIB_CTX *hnb_libctx_take(void)
{
    OSSL_LIB_CTX *lc = NULL;
    g_mutex_lock(&idle_lock);
    if (idle && idle->len > 0)
        lc = g_ptr_array_steal_index_fast(idle, idle->len - 1);
    g_mutex_unlock(&idle_lock);
    return lc ? lc : lean_new();
}

void hnb_libctx_give_back(OSSL_LIB_CTX *lc)
{
    if (!lc)
        return;
    g_mutex_lock(&idle_lock);
    if (!idle)
        idle = g_ptr_array_new();
    g_ptr_array_add(idle, lc);
    g_mutex_unlock(&idle_lock);
}

OSSL_LIB_CTX *hnb_libctx_shared(void)
{
    static gsize once;
    static OSSL_LIB_CTX *shared;
    if (g_once_init_enter(&once)) {
        shared = lean_new();
        g_once_init_leave(&once, 1);
    }
    return shared;
}
