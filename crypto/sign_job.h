/* crypto/sign_job.h — the signing-server model's real signature: what one HSM signature in the simulation does.
 *
 * Each image a signing server signs is an hnb_image manifest (image.h) for one HNB variant and one release (or the
 * emergency fix), signed with the PKI's software-signing key and at once verified against the verification
 * certificate the TrE holds, with the image's content digest.  The job is pure (its outcome depends only on its
 * inputs, never on key bytes or timing), so it runs in the worker pool between the HSM's start and end events.
 */
#ifndef HNB_SIGN_JOB_H
#define HNB_SIGN_JOB_H

#include <glib.h>
#include <stdint.h>
#include "crypto/image.h"

#define HNB_SIGN_EMERGENCY UINT32_MAX /* release number of the emergency fix */

typedef struct {
    /* in */
    EVP_PKEY *key;   /* the software-signing key (or a signing server's own key) */
    X509 *cert;      /* the verification certificate; NULL: verify against key's public half */
    uint32_t release; /* release number, or HNB_SIGN_EMERGENCY */
    uint32_t variant;
    uint64_t image_size;
    gboolean keep;   /* keep the signed image in .image (tests); otherwise it is freed once verified */
    /* out */
    HnbImageReason reason;
    HnbSignedImage image;
    GError *error; /* signing itself failed (an OpenSSL failure, not a modelled outcome) */
} HnbSignJob;

/* Fill a job (outputs cleared). */
void hnb_sign_job_init(HnbSignJob *job, EVP_PKEY *key, X509 *cert, uint32_t release, uint32_t variant,
                       uint64_t image_size);
/* HnbJobFn: build the manifest, sign, verify. */
void hnb_sign_job_run(void *job, void *thread_ctx);
/* The content digest of the image the job signs (what a genuine HNB would hold). */
void hnb_sign_job_content(const HnbSignJob *job, uint8_t out[32]);
/* Free what the job holds (signed image, error). */
void hnb_sign_job_clear(HnbSignJob *job);

#endif
