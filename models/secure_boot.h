/* models/secure_boot.h — the HNB's TrE checking an image's signature (TS 33.320 6.1): secure boot verifies the
 * active bank's image before the HNB connects anywhere, and a downloaded image is verified before it is written.
 *
 * Each check is a real EVP verification of the signed release image against the verification certificate, run in the
 * worker pool between the event where the check starts (submit) and the one where it ends (join).  The HNB holds
 * either the genuine release image or one the attacker rewrote (the signed manifest over other content), which fails.
 * Nothing is kept per HNB: a check in flight is one small allocation, freed at its join.
 */
#ifndef HNB_SECURE_BOOT_H
#define HNB_SECURE_BOOT_H

#include <glib.h>
#include <stdint.h>
#include "crypto/pki.h"
#include "sim/pool.h"

typedef struct HnbSecureBoot HnbSecureBoot;

typedef struct {
    uint64_t checks;   /* images checked (real EVP verifications) */
    uint64_t rejected; /* checks that failed: rewritten images */
} HnbSecureBootStats;

/* The release image of image_bytes signed with the PKI's software-signing key.  pool and pki are borrowed and must
 * outlive the part's checks: free the pool (which runs what is queued) before hnb_secure_boot_free.  NULL with the
 * error if signing fails. */
HnbSecureBoot *hnb_secure_boot_new(HnbPool *pool, const HnbPki *pki, uint64_t image_bytes, GError **error);
void hnb_secure_boot_free(HnbSecureBoot *b); /* also frees checks whose join never came (the run ended) */

/* Start checking the image an HNB holds (`genuine` FALSE: rewritten by the attacker).  The returned token is non-zero
 * and fits the payload of an event arg (HNB_ARG); it must be joined exactly once. */
uint64_t hnb_secure_boot_submit(HnbSecureBoot *b, gboolean genuine);
/* Wait for the check: TRUE if the image verifies against the verification certificate in the TrE. */
gboolean hnb_secure_boot_join(HnbSecureBoot *b, uint64_t token);

const HnbSecureBootStats *hnb_secure_boot_stats(const HnbSecureBoot *b);

#endif
