/* crypto/keyset.h — the verification key set a TrE holds, and its signed updates (TUF-style thresholds and versions).
 *
 * A key set is what the TrE trusts to verify software: n public keys, a threshold k and a version.  A single
 * verification certificate (the TrE modes `fixed` and `updatable`) is a set of one key with k = 1; `chained` is the
 * TUF root-rotation scheme with k of n.  The rules, all checked with real signatures (image.h's primitive: ECDSA
 * P-256, or RSA-PSS for RSA keys, over SHA-256):
 *   - an image verifies when at least k of its signatures verify, each by a DISTINCT key of the set: a signature by a
 *     key outside the set counts nothing, nor does a second signature by the same key;
 *   - an update (a new set) is accepted when at least k distinct keys of the CURRENT set signed its canonical text and
 *     its version is above the current one (rollback refused), and it is well formed (1 <= k <= n, distinct keys).
 *
 * Canonical text (what an update signs): "hnbsim-keyset 1\nversion=V\nthreshold=K\n" then "key=<hex DER SPKI>\n"
 * per key, in order.
 */
#ifndef HNB_KEYSET_H
#define HNB_KEYSET_H

#include <glib.h>
#include <stdint.h>
#include <openssl/types.h>
#include "crypto/image.h"

#define HNB_KEYSET_MAX 16

typedef struct {
    uint32_t version;
    unsigned threshold, n;
    EVP_PKEY *keys[HNB_KEYSET_MAX]; /* one reference each */
    uint8_t ids[HNB_KEYSET_MAX][32]; /* SHA-256 of each key's DER SubjectPublicKeyInfo (hnb_image_key_id) */
} HnbKeySet;

/* Take a reference to n keys.  HNB_ERROR_INPUT when n or threshold is out of range or a key appears twice. */
gboolean hnb_keyset_init(HnbKeySet *ks, uint32_t version, unsigned threshold, EVP_PKEY *const *keys, unsigned n,
                         GError **error);
void hnb_keyset_clear(HnbKeySet *ks);
char *hnb_keyset_text(const HnbKeySet *ks); /* the canonical text; newly allocated */

typedef struct {
    uint8_t key_id[32];
    unsigned char *sig; /* OPENSSL_malloc'ed */
    size_t siglen;
} HnbKeySig;

/* A signed update: the new set's canonical text and its signatures. */
typedef struct {
    char *text;
    HnbKeySig sigs[HNB_KEYSET_MAX];
    unsigned nsigs;
} HnbKeySetUpdate;

/* Sign `next` with each of `signers` (they need not belong to any set: what counts is decided at acceptance). */
gboolean hnb_keyset_update_sign(HnbKeySetUpdate *out, const HnbKeySet *next, EVP_PKEY *const *signers,
                                unsigned nsigners, GError **error);
void hnb_keyset_update_clear(HnbKeySetUpdate *u);

typedef enum {
    HNB_KEYSET_OK,
    HNB_KEYSET_THRESHOLD, /* fewer than k distinct keys of the current set signed it (or signatures do not verify) */
    HNB_KEYSET_ROLLBACK,  /* its version is not above the current one */
    HNB_KEYSET_MALFORMED, /* the text does not parse as a well-formed set */
    HNB_KEYSET_VERDICT_COUNT
} HnbKeySetVerdict;
const char *hnb_keyset_verdict_name(HnbKeySetVerdict v); /* "ok" "threshold" "rollback" "malformed" */

/* Check an update against the current set; on HNB_KEYSET_OK *next (may be NULL) receives the new set (clear it). */
HnbKeySetVerdict hnb_keyset_accept(const HnbKeySet *current, const HnbKeySetUpdate *u, HnbKeySet *next);

/* An image signed by several keys: one HnbSignedImage per signer, all over the same manifest. */
typedef struct {
    HnbSignedImage sigs[HNB_KEYSET_MAX];
    unsigned nsigs;
} HnbThresholdImage;

gboolean hnb_keyset_image_sign(HnbThresholdImage *out, const HnbImageManifest *m, EVP_PKEY *const *signers,
                               unsigned nsigners, GError **error);
void hnb_keyset_image_clear(HnbThresholdImage *img);
/* HNB_IMAGE_OK when at least k distinct keys of ks signed the manifest and the content (NULL: not checked) matches;
 * HNB_IMAGE_WRONG_KEY when fewer did; HNB_IMAGE_CORRUPTED when the signatures are over different manifests or the
 * content differs.  *valid (may be NULL): the distinct keys of ks whose signature verified. */
HnbImageReason hnb_keyset_image_verify(const HnbKeySet *ks, const HnbThresholdImage *img, const uint8_t content[32],
                                       unsigned *valid);

#endif
