/* crypto/pki_private.h — what the files of the PKI (crypto/pki*.c) share and nothing else includes: the HnbPki
 * object, the certificate maker, the cache's file helpers and the parsers of [pki] values.
 *
 * Locking: pki->lock guards the tables (devices, recovery_devices, foreign_devices, tools, keys, the parsed sets) and
 * stats; the CA set, the CRLs, the directories and the parameters are set in hnb_pki_new / hnb_pki_open_export and
 * read-only afterwards, so a device credential is read or made outside the lock (pki_device.c, obtain).
 */
#ifndef HNB_PKI_PRIVATE_H
#define HNB_PKI_PRIVATE_H

#include "crypto/openssl_error.h"
#include "crypto/pki.h"

#include <time.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* Bump when the generated material changes, so old caches are not reused. */
/* v2: the CA set gained the maintenance-tool CA (a v1 ca.pem would load without it)
 * v3: the CA set gained the SeGW credential
 * v4: the CA set gained the recovery CA (recovery credentials under rec/) */
#define PKI_FORMAT "hnbsim-pki-v4"
#define DEVICES_PER_DIR 1000

/* In functions with a GError **error and a `fail:` label: the OpenSSL error queue becomes the error, then cleanup. */
#define SSL_FAIL(what)                                                                                               \
    do {                                                                                                             \
        hnb_set_openssl_error(error, HNB_ERROR_RUN, what);                                                           \
        goto fail;                                                                                                   \
    } while (0)

/* Reading many keys fast.  OpenSSL 3.0 builds a chain of decoders for every PEM_read_bio_PrivateKey: ~500 µs of CPU
 * for a P-256 PKCS#8 key on the development VM (d2i_AutoPrivateKey likewise), nearly all of it finding and
 * instantiating decoders, where one decoder context per key type, kept and reused, decodes the same key in ~25 µs
 * (tools/bench/README.md, "Reading credentials").  Not thread-safe: each thread that reads device credentials has
 * its own (pki_device.c), a HnbPkiCredReader one for its one loop. */
typedef struct {
    OSSL_DECODER_CTX *ctx[2]; /* EC, RSA: made on first use */
    EVP_PKEY *out;            /* where a context writes what it decoded */
} PkiKeyDecoder;

/* The parsed credentials behind hnb_pki_device_ref (pki.h), one set per kind (device, recovery), under pki->lock: at
 * most cap, let go oldest first (FIFO, a ring: a fleet needs a credential at a full handshake, rarely twice in a
 * row).  Invariants: index maps exactly the hnb[] of slots [0, used) to slot + 1; cred[k] is owned (one reference). */
typedef struct {
    GHashTable *index;  /* HNB index -> slot + 1 */
    HnbPkiCred **cred;  /* [cap] */
    uint32_t *hnb;      /* [cap] */
    guint cap, used, hand; /* hand: the next slot to let go once full */
} PkiParsed;

struct HnbPki {
    HnbPkiParams p;
    char *dir; /* cache path of these parameters, NULL with no_cache */
    char *export_dir; /* opened with hnb_pki_open_export: devices come from dev<i>.pem/.key there */
    HnbPkiCred *root, *mfr, *foreign, *hems, *signing, *tool_ca, *segw, *recovery;
    HnbPkiCred *hems_renewed; /* in memory only (hems_renewal_at > 0) */
    X509_CRL *crl, *recovery_crl;
    GMutex lock; /* devices, recovery_devices, foreign_devices, tools, tool_keys, keys, stats */
    GHashTable *devices, *recovery_devices, *foreign_devices; /* index -> HnbPkiCred */
    GHashTable *tools;     /* "n/gen/region/nb/na" -> HnbPkiCred (memory only) */
    GHashTable *keys;      /* name -> EVP_PKEY (named keys, cached on disk under keys/) */
    PkiParsed parsed[2];   /* device, recovery: hnb_pki_device_ref's bounded set (under lock) */
    HnbPkiStats stats;
};

/* ---- parameters (pki_params.c) ------------------------------------------------------------------------------- */

/* A deep copy of src's strings and revoked list into dst (dst's old contents are not freed). */
void pki_params_copy(HnbPkiParams *dst, const HnbPkiParams *src);
/* qsort order of uint32_t. */
int pki_cmp_u32(const void *a, const void *b);
/* "rsa-2048" -> HNB_PKI_KEY_RSA_2048, anything else -> HNB_PKI_KEY_EC_P256 (the schema has checked the value). */
HnbPkiKeyType pki_key_type(const char *s);
/* s is exactly n hex digits. */
gboolean pki_is_hex(const char *s, size_t n);
/* A DNS name we accept: labels of letters, digits and hyphens separated by dots. */
gboolean pki_is_dns_name(const char *s);

/* ---- keys and certificates (pki_cert.c) ---------------------------------------------------------------------- */

typedef enum { PKI_ROLE_CA, PKI_ROLE_SERVER, PKI_ROLE_CLIENT, PKI_ROLE_SIGNING } PkiRole;

/* A credential owning cert and key, with an empty chain. */
HnbPkiCred *pki_cred_new(X509 *cert, EVP_PKEY *key);
void pki_cred_free(HnbPkiCred *c);
/* A fresh key of type t, or NULL. */
EVP_PKEY *pki_keygen(HnbPkiKeyType t);
/* Unix seconds of simulated time t (ns since the epoch), rounded down. */
time_t pki_abs_time(const HnbPkiParams *p, HnbTime t);
/* A certificate for `key` named O=org, CN=cn (and SAN dns if given) with the extensions of `role`, valid from
 * issued_before before the epoch for `lifetime`, signed with SHA-256 by `issuer` (NULL: self-signed). */
X509 *pki_make_cert(const HnbPkiParams *p, EVP_PKEY *key, const char *org, const char *cn, const char *dns,
                    uint64_t serial, HnbTime issued_before, HnbTime lifetime, PkiRole role, const HnbPkiCred *issuer,
                    GError **error);
/* A new key of type kt and its certificate (pki_make_cert), or NULL with error set. */
HnbPkiCred *pki_make_cred(const HnbPkiParams *p, HnbPkiKeyType kt, const char *org, const char *cn, const char *dns,
                          uint64_t serial, HnbTime issued_before, HnbTime lifetime, PkiRole role,
                          const HnbPkiCred *issuer, GError **error);
/* x's signature verifies with issuer's key (a cache file made under other keys does not). */
gboolean pki_signed_by(X509 *x, const HnbPkiCred *issuer);

/* ---- the on-disk cache (pki_files.c, pki_cas.c) -------------------------------------------------------------- */

/* Write a credential as a PEM key then certificate. */
gboolean pki_write_cred(BIO *b, const HnbPkiCred *c);
/* Read a key then a certificate; NULL when the file ends or is damaged. */
HnbPkiCred *pki_read_cred(BIO *b);
/* The next CERTIFICATE block of b (blocks before it skipped, as PEM_read_bio_X509 does), parsed in the process's lean
 * context (crypto/libctx.h: one lean public-key decode instead of OpenSSL 3.0's whole decoder chain) or, for a key
 * type the lean context does not decode, in the default one; NULL when there is none or it is damaged (OpenSSL's
 * error queue says why). */
X509 *pki_read_x509(BIO *b);

void pki_key_decoder_clear(PkiKeyDecoder *d);
/* The first PEM private key of data[0..len) of base type `type` (EVP_PKEY_EC, EVP_PKEY_RSA) through d's context for
 * it, else (d NULL, another type, a context that fails) OpenSSL's general path; NULL if neither reads one. */
EVP_PKEY *pki_key_decoder_read(PkiKeyDecoder *d, int type, const char *data, size_t len);
/* pki_read_cred of data[0..len) (a PEM key then its certificate) with the key read by pki_key_decoder_read. */
HnbPkiCred *pki_read_cred_data(PkiKeyDecoder *d, int type, const char *data, size_t len);
/* The EVP_PKEY base type of a key type (EVP_PKEY_EC or EVP_PKEY_RSA). */
int pki_key_base_id(HnbPkiKeyType t);
/* Write `data` to a unique temporary file in dir; returns its path. */
char *pki_write_temp(const char *dir, const char *base, const void *data, size_t len, GError **error);
/* Move a temporary file written by pki_write_temp over `path` (atomic); on failure the temporary is removed. */
gboolean pki_rename_temp(const char *tmp, const char *path, GError **error);
/* A memory BIO's contents (owned by the BIO). */
gboolean pki_bio_contents(BIO *b, char **data, size_t *len);
/* A memory BIO holding a file's contents, or NULL if it cannot be read. */
BIO *pki_bio_from_file(const char *path);
/* Publish a memory BIO's contents as sub/base (sub created) by rename(2): of several runs writing the same file at
 * once, one complete file wins. */
gboolean pki_publish(const char *sub, const char *base, BIO *b, GError **error);
/* The maintenance-tool CA: an intermediate under the operator root (serial 3). */
HnbPkiCred *pki_make_tool_ca(HnbPki *pki, GError **error);
/* The SeGW credential: RSA-2048 or EC P-256 per segw_key under the operator root (serial 4), SAN segw_fqdn. */
HnbPkiCred *pki_make_segw(HnbPki *pki, GError **error);
/* The recovery CA: self-signed (serial 1), key type ca_key, the CA validity. */
HnbPkiCred *pki_make_recovery_ca(HnbPki *pki, GError **error);
/* Load ca.pem, or make the set and publish it (first writer wins); with no cache, make it in memory. */
gboolean pki_init_cas(HnbPki *pki, GError **error);
/* Free the CA set's credentials. */
void pki_drop_cas(HnbPki *pki);

/* ---- revocation (pki_crl.c) ---------------------------------------------------------------------------------- */

/* A CRL of `issuer` listing `serials`, thisUpdate = this_update, nextUpdate = next_update (simulated times). */
X509_CRL *pki_sign_crl(const HnbPkiParams *p, const HnbPkiCred *issuer, const uint64_t *serials, guint n,
                       HnbTime this_update, HnbTime next_update, GError **error);
/* The manufacturer CA's CRL of revoked devices (device serials are index + 1) into pki->crl. */
gboolean pki_make_crl(HnbPki *pki, GError **error);
/* The recovery CA's CRL of the same revoked devices into pki->recovery_crl. */
gboolean pki_make_recovery_crl(HnbPki *pki, GError **error);

/* ---- construction (pki.c) ------------------------------------------------------------------------------------ */

/* The device, recovery, foreign, tools and keys tables of a new PKI. */
void pki_tables_init(HnbPki *pki);

#endif
