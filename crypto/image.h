/* crypto/image.h — signed software-image manifests (TS 33.320 §6.1 device integrity, secure boot and downloads).
 *
 * A manifest names an image (name, version, size, SHA-256 of its content) and is signed with the PKI's
 * software-signing key (ECDSA P-256 with SHA-256, or RSA-PSS with SHA-256); the TrE verifies it with the verification
 * certificate it holds.  Both are real EVP operations (EVP_DigestSign / EVP_DigestVerify).  In the simulation the
 * image content itself is never materialised: its digest is SHA-256 over a seed string, so a "corrupted" image is one
 * whose content digest differs from the manifest's.  `hnbsim acs --image` signs the manifest of a real file (the
 * digest of its bytes) and serves it in the text form below.
 *
 * The signed blob carries the signer's key id (SHA-256 of its SubjectPublicKeyInfo) so that a verifier can tell a
 * manifest signed by another key (wrong_key) from a damaged signature or manifest (bad_signature).
 */
#ifndef HNB_IMAGE_H
#define HNB_IMAGE_H

#include <glib.h>
#include <stdint.h>
#include <openssl/types.h>

typedef enum {
    HNB_IMAGE_OK,
    HNB_IMAGE_BAD_SIGNATURE, /* the signature does not verify (manifest or signature altered) */
    HNB_IMAGE_WRONG_KEY,     /* signed by a key other than the verification certificate's */
    HNB_IMAGE_CORRUPTED,     /* the image content does not match the manifest's digest, or the blob is unreadable */
    HNB_IMAGE_REASON_COUNT
} HnbImageReason;

const char *hnb_image_reason_name(HnbImageReason r); /* "ok" "bad_signature" "wrong_key" "corrupted" */

typedef struct {
    char name[64];
    char version[32];
    uint64_t size;
    uint8_t sha256[32]; /* of the image content */
} HnbImageManifest;

/* The deterministic pseudo-content digest of an image: SHA-256("hnbsim-image\0" seed). */
void hnb_image_content_digest(const char *seed, uint8_t out[32]);
/* name/version are truncated to fit; content digest from `seed`. */
void hnb_image_manifest_init(HnbImageManifest *m, const char *name, const char *version, uint64_t size,
                             const char *seed);
/* The same for a real file: `sha256` is the digest of its bytes (`hnbsim acs --image`). */
void hnb_image_manifest_init_digest(HnbImageManifest *m, const char *name, const char *version, uint64_t size,
                                    const uint8_t sha256[32]);

/* The signed form: canonical manifest text + key id + signature. */
typedef struct {
    char *text;          /* "name=...\nversion=...\nsize=...\nsha256=<hex>\n" (the signed bytes) */
    uint8_t key_id[32];  /* SHA-256 of the signer's DER SubjectPublicKeyInfo */
    unsigned char *sig;
    size_t siglen;
} HnbSignedImage;

gboolean hnb_image_sign(HnbSignedImage *out, const HnbImageManifest *m, EVP_PKEY *key, GError **error);
void hnb_image_signed_clear(HnbSignedImage *s);
gboolean hnb_image_signed_copy(HnbSignedImage *dst, const HnbSignedImage *src);

/* The signed manifest as a file beside the image (`hnbsim acs` serves it at /images/NAME.manifest): the signed text,
 * then "key-id=<64 hex>\n" and "signature=<base64>\n".  Text, so an operator can read what was signed.  from_text
 * takes exactly that form (at most HNB_IMAGE_MANIFEST_MAX bytes) and fills *out (clear it after); FALSE on anything
 * else, *out left cleared.  Whether the signature holds is hnb_image_verify's question, not the parser's. */
#define HNB_IMAGE_MANIFEST_MAX 4096
char *hnb_image_signed_to_text(const HnbSignedImage *s);
gboolean hnb_image_signed_from_text(HnbSignedImage *out, const char *text, size_t len);

/* Verify with the verification certificate's public key; `content` is the digest of the image actually present
 * (NULL: skip the content check, e.g. a manifest-only check).  The parsed manifest goes to *m when not NULL. */
HnbImageReason hnb_image_verify(const HnbSignedImage *s, X509 *cert, const uint8_t content[32], HnbImageManifest *m);

/* The same with a bare public key (a key of a TrE verification key set, crypto/keyset.h). */
HnbImageReason hnb_image_verify_key(const HnbSignedImage *s, EVP_PKEY *key, const uint8_t content[32],
                                    HnbImageManifest *m);

/* The signature primitive under both, for other signed objects (key-set updates): SHA-256 with ECDSA, or RSA-PSS
 * (salt = digest length) for RSA keys.  sign_data fills the signer's key id and an OPENSSL_malloc'ed signature. */
gboolean hnb_image_sign_data(EVP_PKEY *key, const void *data, size_t len, uint8_t key_id[32], unsigned char **sig,
                             size_t *siglen, GError **error);
gboolean hnb_image_verify_data(EVP_PKEY *key, const void *data, size_t len, const unsigned char *sig, size_t siglen);
/* SHA-256 of the key's DER SubjectPublicKeyInfo (what HnbSignedImage.key_id holds). */
gboolean hnb_image_key_id(EVP_PKEY *key, uint8_t out[32]);

/* As a pool job (HnbJobFn; thread_ctx unused). */
typedef struct {
    const HnbSignedImage *image; /* in */
    X509 *cert;                  /* in: the TrE's verification certificate */
    const uint8_t *content;      /* in: digest of the content present, or NULL */
    gboolean measure;            /* in: fill cpu_ns (two system calls a check: a fleet's secure boot does not ask) */
    HnbImageReason reason;       /* out */
    uint64_t cpu_ns;             /* out, with measure: CLOCK_THREAD_CPUTIME_ID */
} HnbImageJob;
void hnb_image_job_run(void *job, void *thread_ctx);

#endif
