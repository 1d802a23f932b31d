/* models/secure_boot.c — the TrE's image signature checks as pool jobs (see secure_boot.h).
 *
 * State: the signed release image, the content digests of the genuine image and of the attacker's, and the set of
 * checks in flight (so that the ones still queued when the run ends are freed).  A token is the check's address: a
 * user-space pointer fits the 56 bits of an event arg's payload.
 */
#include "models/secure_boot.h"
#include "crypto/image.h"

struct HnbSecureBoot {
    HnbPool *pool;                      /* borrowed from the ACS's TLS part */
    X509 *cert;                         /* the verification certificate (the PKI's) */
    HnbSignedImage release;             /* the genuine release image, signed with the software-signing key */
    uint8_t genuine[32], rewritten[32]; /* content digests of the genuine image and of the attacker's */
    GHashTable *in_flight;              /* checks submitted, not yet joined */
    HnbSecureBootStats st;
};

typedef struct {
    HnbImageJob job;
    uint64_t ticket;
} Check;

HnbSecureBoot *hnb_secure_boot_new(HnbPool *pool, const HnbPki *pki, uint64_t image_bytes, GError **error)
{
    g_return_val_if_fail(pool != NULL && pki != NULL, NULL);
    HnbSecureBoot *b = g_new0(HnbSecureBoot, 1);
    b->pool = pool;
    b->cert = hnb_pki_signing(pki)->cert;
    b->in_flight = g_hash_table_new(NULL, NULL);
    HnbImageManifest m;
    hnb_image_manifest_init(&m, "hnb-release", "1.0", image_bytes, "release");
    if (!hnb_image_sign(&b->release, &m, hnb_pki_signing(pki)->key, error)) {
        hnb_secure_boot_free(b);
        return NULL;
    }
    hnb_image_content_digest("release", b->genuine);
    hnb_image_content_digest("rewritten by the attacker", b->rewritten);
    return b;
}

void hnb_secure_boot_free(HnbSecureBoot *b)
{
    if (!b)
        return;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, b->in_flight);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_free(key);
    g_hash_table_destroy(b->in_flight);
    hnb_image_signed_clear(&b->release);
    g_free(b);
}

uint64_t hnb_secure_boot_submit(HnbSecureBoot *b, gboolean genuine)
{
    /* one per booting or installing HNB: allocated here, freed at the join (not per idle HNB) */
    Check *c = g_new0(Check, 1);
    c->job.image = &b->release;
    c->job.cert = b->cert;
    c->job.content = genuine ? b->genuine : b->rewritten;
    c->ticket = hnb_pool_submit(b->pool, hnb_image_job_run, &c->job);
    g_hash_table_add(b->in_flight, c);
    b->st.checks++;
    G_STATIC_ASSERT(sizeof(uintptr_t) <= sizeof(uint64_t));
    g_assert(((uint64_t)(uintptr_t)c >> 56) == 0); /* fits the payload of an event arg (user-space pointers do) */
    return (uint64_t)(uintptr_t)c;
}

gboolean hnb_secure_boot_join(HnbSecureBoot *b, uint64_t token)
{
    Check *c = (Check *)(uintptr_t)token;
    hnb_pool_join(b->pool, c->ticket);
    gboolean ok = c->job.reason == HNB_IMAGE_OK;
    if (!ok)
        b->st.rejected++;
    g_hash_table_remove(b->in_flight, c);
    g_free(c);
    return ok;
}

const HnbSecureBootStats *hnb_secure_boot_stats(const HnbSecureBoot *b)
{
    return &b->st;
}
