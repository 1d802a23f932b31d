/* tests/pki-common.h — the default PKI in memory (no cache), for the tests that need one as it comes (header-only,
 * each test is its own program). */
#ifndef HNB_TEST_PKI_COMMON_H
#define HNB_TEST_PKI_COMMON_H

#include "crypto/pki.h"

#include <glib.h>

static inline HnbPki *test_pki_default(void)
{
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    p.no_cache = TRUE;
    g_autoptr(GError) error = NULL;
    HnbPki *k = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    hnb_pki_params_clear(&p);
    return k;
}

#endif
