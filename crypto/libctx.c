/* crypto/libctx.c — the idle per-thread library contexts.  See libctx.h. */
#include "crypto/libctx.h"

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>

static GMutex idle_lock;
static GPtrArray *idle;

OSSL_LIB_CTX *hnb_libctx_take(void)
{
    OSSL_LIB_CTX *lc = NULL;
    g_mutex_lock(&idle_lock);
    if (idle && idle->len > 0)
        lc = g_ptr_array_steal_index_fast(idle, idle->len - 1);
    g_mutex_unlock(&idle_lock);
    if (lc)
        return lc;
    lc = OSSL_LIB_CTX_new();
    if (!lc || !OSSL_PROVIDER_load(lc, "default")) {
        OSSL_LIB_CTX_free(lc); /* nothing was made in it yet */
        return NULL;
    }
    return lc;
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
