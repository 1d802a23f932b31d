/* crypto/sign_job.c — one real signature of the signing-server model: manifest, sign, verify.  See sign_job.h. */
#include "crypto/sign_job.h"

/* The image's pseudo-content: one per (variant, release), so a manifest of one variant never verifies against
 * another's image. */
static void job_seed(const HnbSignJob *job, char *buf, size_t n)
{
    if (job->release == HNB_SIGN_EMERGENCY)
        g_snprintf(buf, n, "hnb variant %u emergency fix", job->variant);
    else
        g_snprintf(buf, n, "hnb variant %u release %u", job->variant, job->release);
}

void hnb_sign_job_init(HnbSignJob *job, EVP_PKEY *key, X509 *cert, uint32_t release, uint32_t variant,
                       uint64_t image_size)
{
    *job = (HnbSignJob){.key = key, .cert = cert, .release = release, .variant = variant, .image_size = image_size,
                        .reason = HNB_IMAGE_CORRUPTED};
}

void hnb_sign_job_content(const HnbSignJob *job, uint8_t out[32])
{
    char seed[96];
    job_seed(job, seed, sizeof seed);
    hnb_image_content_digest(seed, out);
}

void hnb_sign_job_run(void *p, void *thread_ctx)
{
    HnbSignJob *job = p;
    (void)thread_ctx;
    char seed[96], name[32], version[32];
    job_seed(job, seed, sizeof seed);
    g_snprintf(name, sizeof name, "hnb-variant-%u", job->variant);
    if (job->release == HNB_SIGN_EMERGENCY)
        g_strlcpy(version, "emergency-fix", sizeof version);
    else
        g_snprintf(version, sizeof version, "r%u", job->release);
    HnbImageManifest m;
    hnb_image_manifest_init(&m, name, version, job->image_size, seed);
    if (!hnb_image_sign(&job->image, &m, job->key, &job->error)) {
        job->reason = HNB_IMAGE_CORRUPTED;
        return;
    }
    uint8_t content[32];
    hnb_image_content_digest(seed, content);
    /* no certificate: a per-server key (signer.h), verified against its own public half */
    job->reason = job->cert ? hnb_image_verify(&job->image, job->cert, content, NULL)
                            : hnb_image_verify_key(&job->image, job->key, content, NULL);
    if (!job->keep)
        hnb_image_signed_clear(&job->image);
}

void hnb_sign_job_clear(HnbSignJob *job)
{
    hnb_image_signed_clear(&job->image);
    g_clear_error(&job->error);
}
