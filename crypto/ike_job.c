/* crypto/ike_job.c — IKEv2's public-key work and certificate checks for one tunnel set-up, as a pool job.  What it
 * is and is not: crypto/ike_job.h.
 *
 * Layout: the engine holds the DER of what every thread decodes into its own library context (the SeGW credential,
 * the operator root, the manufacturer CA and its CRL, the recovery CA and its CRL); a thread context (Thread) holds
 * those decoded copies, the three trust stores, a reusable verification context, a key-generation context of the
 * group and the fetched SHA-256 and HMAC.  A job (Setup) walks the exchange in order, each side working only from
 * what it would have received.
 */
#include "crypto/ike_job.h"
#include "crypto/libctx.h"
#include "crypto/openssl_error.h"

#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

static const struct {
    int id;
    const char *name;    /* hnbsim's name */
    const char *keytype; /* OpenSSL key type */
    const char *group;   /* OpenSSL group name (NULL: the key type is the group) */
} dh_groups[] = {
    {14, "modp-2048", "DH", "modp_2048"},
    {19, "p-256", "EC", "P-256"},
    {20, "p-384", "EC", "P-384"},
    {21, "p-521", "EC", "P-521"},
    {31, "curve25519", "X25519", NULL},
};

static int group_index(int id)
{
    for (size_t k = 0; k < G_N_ELEMENTS(dh_groups); k++)
        if (dh_groups[k].id == id)
            return (int)k;
    return -1;
}

const char *hnb_ike_dh_group_name(int group)
{
    int k = group_index(group);
    return k < 0 ? NULL : dh_groups[k].name;
}

const char *hnb_ike_side_name(HnbIkeSide s)
{
    return s == HNB_IKE_SIDE_HNB ? "hnb" : s == HNB_IKE_SIDE_SEGW ? "segw" : "-";
}

struct HnbIkeEngine {
    HnbPki *pki;
    int group; /* index into dh_groups */
    char *segw_host;
    /* DER that each thread decodes into its own library context */
    GBytes *segw_cert, *segw_key, *root, *mfr, *crl, *recovery, *recovery_crl;
};

typedef struct {
    HnbIkeEngine *e;
    OSSL_LIB_CTX *lc;
    X509 *segw_cert, *root, *mfr, *recovery;
    EVP_PKEY *segw_key;
    X509_CRL *crl, *recovery_crl;
    X509_STORE *hnb_trust;      /* operator root */
    X509_STORE *segw_trust;     /* manufacturer CA + CRL, X509_V_FLAG_CRL_CHECK */
    X509_STORE *recovery_trust; /* recovery CA + recovery CRL, X509_V_FLAG_CRL_CHECK: recovery set-ups only */
    X509_STORE_CTX *vctx;   /* reused by every verification (init / cleanup) */
    EVP_PKEY_CTX *kgen;     /* key generation in the group, reused for every ephemeral key */
    EVP_MD_CTX *md;         /* signatures and their verification */
    EVP_MAC *hmac;
} Thread;

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- DER in, objects of the thread's library context out ------------------------------------------------------ */

/* The DER of a certificate or CRL (it: ASN1_ITEM_rptr(X509) or (X509_CRL)), or NULL. */
static GBytes *der_of(const void *obj, const ASN1_ITEM *it)
{
    unsigned char *buf = NULL;
    int n = ASN1_item_i2d((const ASN1_VALUE *)obj, &buf, it);
    if (n <= 0)
        return NULL;
    GBytes *b = g_bytes_new(buf, (gsize)n);
    OPENSSL_free(buf);
    return b;
}

static GBytes *der_key(EVP_PKEY *k)
{
    unsigned char *buf = NULL;
    int n = i2d_PrivateKey(k, &buf);
    if (n <= 0)
        return NULL;
    GBytes *b = g_bytes_new(buf, (gsize)n);
    OPENSSL_clear_free(buf, (size_t)n);
    return b;
}

/* A certificate decoded in lc (d2i frees and clears x on failure). */
static X509 *decode_cert(OSSL_LIB_CTX *lc, const unsigned char *der, size_t len)
{
    X509 *x = X509_new_ex(lc, NULL);
    const unsigned char *p = der;
    if (!x || !d2i_X509(&x, &p, (long)len)) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static X509 *decode_cert_bytes(OSSL_LIB_CTX *lc, GBytes *b)
{
    gsize n;
    const unsigned char *d = g_bytes_get_data(b, &n);
    return decode_cert(lc, d, n);
}

/* A CRL decoded in lc, or NULL. */
static X509_CRL *decode_crl_bytes(OSSL_LIB_CTX *lc, GBytes *b)
{
    gsize n;
    const unsigned char *p = g_bytes_get_data(b, &n);
    X509_CRL *crl = X509_CRL_new_ex(lc, NULL);
    if (!crl || !d2i_X509_CRL(&crl, &p, (long)n)) {
        X509_CRL_free(crl);
        return NULL;
    }
    return crl;
}

/* A SeGW trust store: one CA and its CRL, which is checked (X509_V_FLAG_CRL_CHECK) for the leaf.  NULL on failure. */
static X509_STORE *device_store(X509 *ca, X509_CRL *crl)
{
    X509_STORE *s = X509_STORE_new();
    if (!s || X509_STORE_add_cert(s, ca) != 1 || X509_STORE_add_crl(s, crl) != 1 ||
        X509_STORE_set_flags(s, X509_V_FLAG_CRL_CHECK) != 1) {
        X509_STORE_free(s);
        return NULL;
    }
    return s;
}

/* ---- thread contexts ------------------------------------------------------------------------------------------- */

static void thread_free(Thread *t)
{
    if (!t)
        return;
    X509_STORE_CTX_free(t->vctx);
    X509_STORE_free(t->hnb_trust);
    X509_STORE_free(t->segw_trust);
    X509_STORE_free(t->recovery_trust);
    X509_free(t->segw_cert);
    X509_free(t->root);
    X509_free(t->mfr);
    X509_free(t->recovery);
    X509_CRL_free(t->crl);
    X509_CRL_free(t->recovery_crl);
    EVP_PKEY_free(t->segw_key);
    EVP_PKEY_CTX_free(t->kgen);
    EVP_MD_CTX_free(t->md);
    EVP_MAC_free(t->hmac);
    hnb_libctx_give_back(t->lc);
    g_free(t);
}

static Thread *thread_new(HnbIkeEngine *e, GError **error)
{
    Thread *t = g_new0(Thread, 1);
    t->e = e;
    const char *what = "OSSL_LIB_CTX_new";
    if (!(t->lc = hnb_libctx_take()))
        goto fail;
    what = "decoding the SeGW credential and the CAs";
    gsize n;
    const unsigned char *d = g_bytes_get_data(e->segw_key, &n), *p = d;
    if (!(t->segw_cert = decode_cert_bytes(t->lc, e->segw_cert)) || !(t->root = decode_cert_bytes(t->lc, e->root)) ||
        !(t->mfr = decode_cert_bytes(t->lc, e->mfr)) || !(t->recovery = decode_cert_bytes(t->lc, e->recovery)) ||
        !(t->segw_key = d2i_AutoPrivateKey_ex(NULL, &p, (long)n, t->lc, NULL)) ||
        !(t->crl = decode_crl_bytes(t->lc, e->crl)) || !(t->recovery_crl = decode_crl_bytes(t->lc, e->recovery_crl)))
        goto fail;
    what = "trust stores";
    if (!(t->hnb_trust = X509_STORE_new()) || X509_STORE_add_cert(t->hnb_trust, t->root) != 1 ||
        !(t->segw_trust = device_store(t->mfr, t->crl)) ||
        !(t->recovery_trust = device_store(t->recovery, t->recovery_crl)) ||
        !(t->vctx = X509_STORE_CTX_new_ex(t->lc, NULL)))
        goto fail;
    what = dh_groups[e->group].name;
    if (!(t->kgen = EVP_PKEY_CTX_new_from_name(t->lc, dh_groups[e->group].keytype, NULL)) ||
        EVP_PKEY_keygen_init(t->kgen) != 1 ||
        (dh_groups[e->group].group && EVP_PKEY_CTX_set_group_name(t->kgen, dh_groups[e->group].group) != 1))
        goto fail;
    what = "SHA-256 and HMAC";
    if (!(t->md = EVP_MD_CTX_new()) || !(t->hmac = EVP_MAC_fetch(t->lc, "HMAC", NULL)))
        goto fail;
    return t;
fail:
    hnb_set_openssl_error(error, HNB_ERROR_RUN, what);
    g_prefix_error(error, "IKE thread context: ");
    thread_free(t);
    return NULL;
}

void *hnb_ike_thread_init(void *engine)
{
    g_autoptr(GError) error = NULL;
    Thread *t = thread_new(engine, &error);
    /* the engine built one already: only resources can fail here, and the thread's jobs then report it */
    if (!t)
        g_warning("%s", error->message);
    return t;
}

void hnb_ike_thread_free(void *thread_ctx) { thread_free(thread_ctx); }

/* ---- the engine ------------------------------------------------------------------------------------------------ */

void hnb_ike_engine_free(HnbIkeEngine *e)
{
    if (!e)
        return;
    g_free(e->segw_host);
    /* not wiped: the same key sits unencrypted in the PKI cache and export (a simulation's key, not a secret) */
    g_clear_pointer(&e->segw_key, g_bytes_unref);
    g_clear_pointer(&e->segw_cert, g_bytes_unref);
    g_clear_pointer(&e->root, g_bytes_unref);
    g_clear_pointer(&e->mfr, g_bytes_unref);
    g_clear_pointer(&e->crl, g_bytes_unref);
    g_clear_pointer(&e->recovery, g_bytes_unref);
    g_clear_pointer(&e->recovery_crl, g_bytes_unref);
    g_free(e);
}

HnbIkeEngine *hnb_ike_engine_new(HnbPki *pki, int dh_group, const char *segw_host, GError **error)
{
    g_return_val_if_fail(pki != NULL, NULL);
    int k = group_index(dh_group);
    if (k < 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "IKE: Diffie-Hellman group %d is not one of 14 (modp-2048), 19 (p-256), 20 (p-384), 21 (p-521), "
                    "31 (curve25519)",
                    dh_group);
        return NULL;
    }
    HnbIkeEngine *e = g_new0(HnbIkeEngine, 1);
    e->pki = pki;
    e->group = k;
    e->segw_host = g_strdup(segw_host ? segw_host : hnb_pki_params(pki)->segw_fqdn);
    const HnbPkiCred *segw = hnb_pki_segw(pki);
    if (!(e->segw_cert = der_of(segw->cert, ASN1_ITEM_rptr(X509))) || !(e->segw_key = der_key(segw->key)) ||
        !(e->root = der_of(hnb_pki_root(pki)->cert, ASN1_ITEM_rptr(X509))) ||
        !(e->mfr = der_of(hnb_pki_mfr(pki)->cert, ASN1_ITEM_rptr(X509))) ||
        !(e->crl = der_of(hnb_pki_crl(pki), ASN1_ITEM_rptr(X509_CRL))) ||
        !(e->recovery = der_of(hnb_pki_recovery_ca(pki)->cert, ASN1_ITEM_rptr(X509))) ||
        !(e->recovery_crl = der_of(hnb_pki_recovery_crl(pki), ASN1_ITEM_rptr(X509_CRL)))) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "IKE: encoding the SeGW credential and the CAs");
        hnb_ike_engine_free(e);
        return NULL;
    }
    /* everything a thread needs, built once here so that a bad group or credential fails now, not in a worker */
    Thread *t = thread_new(e, error);
    if (!t) {
        hnb_ike_engine_free(e);
        return NULL;
    }
    thread_free(t);
    return e;
}

HnbPki *hnb_ike_engine_pki(HnbIkeEngine *e) { return e->pki; }
int hnb_ike_engine_dh_group(const HnbIkeEngine *e) { return dh_groups[e->group].id; }

/* ---- one set-up ------------------------------------------------------------------------------------------------ */

/* Keying material of the IKE SA (RFC 7296 §2.14) for PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128 and ENCR_AES_CBC-128:
 * SK_d 32 | SK_ai 32 | SK_ar 32 | SK_ei 16 | SK_er 16 | SK_pi 32 | SK_pr 32 = 192 octets, six prf+ blocks. */
#define PRF_LEN 32
#define KEYMAT_LEN 192
#define SK_PI_AT 128
#define SK_PR_AT 160
#define NONCE_LEN 32
#define SPI_LEN 8
#define OCTETS_MAX 1024 /* the largest signed octets: MODP-2048's 256-octet KE, nonces, SPIs and a MAC */

typedef struct {
    uint8_t ni[NONCE_LEN], nr[NONCE_LEN], spii[SPI_LEN], spir[SPI_LEN];
    uint16_t group;
} Public; /* what both sides know of the exchange besides the KE payloads */

/* One side's view: its ephemeral key, the KE payloads, g^ir and SK_pi / SK_pr. */
typedef struct {
    EVP_PKEY *eph;
    unsigned char *ke;      /* own public value as sent (OPENSSL_free) */
    size_t ke_len;
    unsigned char *gir;     /* the shared secret (OPENSSL_clear_free) */
    size_t gir_len;
    uint8_t keymat[KEYMAT_LEN];
} Side;

static void side_clear(Side *s)
{
    EVP_PKEY_free(s->eph);
    OPENSSL_free(s->ke);
    OPENSSL_clear_free(s->gir, s->gir_len);
    OPENSSL_cleanse(s->keymat, sizeof s->keymat);
    memset(s, 0, sizeof *s);
}

typedef struct {
    HnbIkeJob *job;
    Thread *t;
    uint64_t segw_t0; /* start of the SeGW step running now (0: the HNB's turn) */
} Run;

static void segw_begin(Run *r) { r->segw_t0 = cpu_ns(); }
static void segw_end(Run *r)
{
    r->job->segw_cpu_ns += cpu_ns() - r->segw_t0;
    r->segw_t0 = 0;
}

/* A modelled refusal by `side`. */
static void refuse(Run *r, HnbTlsReason reason, HnbIkeSide side, const char *detail)
{
    r->job->reason = reason;
    r->job->side = side;
    g_strlcpy(r->job->detail, detail, sizeof r->job->detail);
}

/* OpenSSL could not do what was asked: not a modelled outcome.  The error queue becomes the job's error. */
static void broke(Run *r, const char *what)
{
    hnb_set_openssl_error(&r->job->error, HNB_ERROR_RUN, what);
    g_prefix_error(&r->job->error, "IKE set-up of HNB %u: ", r->job->hnb);
    r->job->reason = HNB_TLS_OTHER;
    r->job->side = HNB_IKE_SIDE_NONE;
    g_strlcpy(r->job->detail, r->job->error->message, sizeof r->job->detail);
}

/* Nonces and SPIs: SHA-256 of a label and (HNB, attempt), so a retry is a new exchange and a rerun the same one. */
static void derive_public(const HnbIkeJob *job, uint16_t group, Public *pub)
{
    static const char *const labels[] = {"hnbsim ike Ni", "hnbsim ike Nr", "hnbsim ike SPIi", "hnbsim ike SPIr"};
    uint8_t *outs[] = {pub->ni, pub->nr, pub->spii, pub->spir};
    size_t lens[] = {NONCE_LEN, NONCE_LEN, SPI_LEN, SPI_LEN};
    uint8_t in[8];
    for (int b = 0; b < 4; b++) {
        in[b] = (uint8_t)(job->hnb >> (8 * b));
        in[4 + b] = (uint8_t)(job->attempt >> (8 * b));
    }
    for (size_t k = 0; k < G_N_ELEMENTS(labels); k++) {
        g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
        g_checksum_update(c, (const guchar *)labels[k], (gssize)strlen(labels[k]));
        g_checksum_update(c, in, sizeof in);
        uint8_t d[32];
        gsize n = sizeof d;
        g_checksum_get_digest(c, d, &n);
        memcpy(outs[k], d, lens[k]);
    }
    pub->group = group;
}

/* prf = HMAC-SHA-256 (PRF_HMAC_SHA2_256, RFC 4868) over the concatenation of up to three pieces. */
static gboolean prf(Thread *t, const uint8_t *key, size_t klen, const uint8_t *a, size_t alen, const uint8_t *b,
                    size_t blen, const uint8_t *c, size_t clen, uint8_t out[PRF_LEN])
{
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0), OSSL_PARAM_END};
    EVP_MAC_CTX *m = EVP_MAC_CTX_new(t->hmac);
    size_t n = 0;
    gboolean ok = m && EVP_MAC_init(m, key, klen, params) == 1 && (!alen || EVP_MAC_update(m, a, alen) == 1) &&
                  (!blen || EVP_MAC_update(m, b, blen) == 1) && (!clen || EVP_MAC_update(m, c, clen) == 1) &&
                  EVP_MAC_final(m, out, &n, PRF_LEN) == 1 && n == PRF_LEN;
    EVP_MAC_CTX_free(m);
    return ok;
}

/* SKEYSEED = prf(Ni | Nr, g^ir); keymat = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (RFC 7296 §2.13, §2.14). */
static gboolean derive_keys(Thread *t, const Public *pub, Side *s)
{
    uint8_t nn[2 * NONCE_LEN], seed[2 * NONCE_LEN + 2 * SPI_LEN], skeyseed[PRF_LEN];
    memcpy(nn, pub->ni, NONCE_LEN);
    memcpy(nn + NONCE_LEN, pub->nr, NONCE_LEN);
    memcpy(seed, nn, sizeof nn);
    memcpy(seed + sizeof nn, pub->spii, SPI_LEN);
    memcpy(seed + sizeof nn + SPI_LEN, pub->spir, SPI_LEN);
    if (!prf(t, nn, sizeof nn, s->gir, s->gir_len, NULL, 0, NULL, 0, skeyseed))
        return FALSE;
    /* T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) */
    for (uint8_t blk = 1; blk <= KEYMAT_LEN / PRF_LEN; blk++) {
        uint8_t *prev = blk == 1 ? NULL : s->keymat + (blk - 2) * PRF_LEN;
        if (!prf(t, skeyseed, sizeof skeyseed, prev, prev ? PRF_LEN : 0, seed, sizeof seed, &blk, 1,
                 s->keymat + (blk - 1) * PRF_LEN))
            return FALSE;
    }
    OPENSSL_cleanse(skeyseed, sizeof skeyseed);
    return TRUE;
}

/* IKE_SA_INIT, one side's half: a fresh ephemeral key in the group and its public value as the KE payload. */
static gboolean make_ke(Thread *t, Side *s)
{
    if (EVP_PKEY_keygen(t->kgen, &s->eph) != 1)
        return FALSE;
    s->ke_len = EVP_PKEY_get1_encoded_public_key(s->eph, &s->ke);
    return s->ke_len > 0;
}

/* The peer's KE payload as a key: its group's parameters with the received public value, which derive_set_peer
 * then checks (point on the curve, value in range) as a receiver must. */
static EVP_PKEY *peer_key(Thread *t, const Side *own, const unsigned char *ke, size_t len)
{
    if (!dh_groups[t->e->group].group)
        return EVP_PKEY_new_raw_public_key_ex(t->lc, dh_groups[t->e->group].keytype, NULL, ke, len);
    EVP_PKEY *peer = EVP_PKEY_new();
    if (!peer || EVP_PKEY_copy_parameters(peer, own->eph) != 1 || EVP_PKEY_set1_encoded_public_key(peer, ke, len) != 1) {
        EVP_PKEY_free(peer);
        return NULL;
    }
    return peer;
}

/* g^ir from own key and the peer's KE payload (MODP: padded to the prime's length, as §2.14 requires). */
static gboolean derive_secret(Thread *t, Side *s, const unsigned char *peer_ke, size_t peer_len)
{
    EVP_PKEY *peer = peer_key(t, s, peer_ke, peer_len);
    EVP_PKEY_CTX *dc = peer ? EVP_PKEY_CTX_new_from_pkey(t->lc, s->eph, NULL) : NULL;
    gboolean ok = dc && EVP_PKEY_derive_init(dc) == 1 &&
                  (strcmp(dh_groups[t->e->group].keytype, "DH") != 0 || EVP_PKEY_CTX_set_dh_pad(dc, 1) == 1) &&
                  EVP_PKEY_derive_set_peer(dc, peer) == 1 && EVP_PKEY_derive(dc, NULL, &s->gir_len) == 1 &&
                  (s->gir = OPENSSL_malloc(s->gir_len)) != NULL && EVP_PKEY_derive(dc, s->gir, &s->gir_len) == 1;
    EVP_PKEY_CTX_free(dc);
    EVP_PKEY_free(peer);
    return ok;
}

/* The signed octets of §2.15 as one side builds them: a stand-in of its first message (SPIi | SPIr | group | its KE
 * | its nonce; SPIr is zero in message 1) | the peer's nonce | prf(SK_p, IDType | RESERVED | ID), ID_FQDN = 2. */
static size_t signed_octets(Thread *t, const Public *pub, gboolean initiator, const unsigned char *ke, size_t ke_len,
                            const uint8_t *sk_p, const char *id, uint8_t out[OCTETS_MAX])
{
    static const uint8_t zero_spi[SPI_LEN];
    size_t n = 0;
    if (ke_len > OCTETS_MAX - (2 * SPI_LEN + 2 + 2 * NONCE_LEN + PRF_LEN))
        return 0;
    memcpy(out + n, pub->spii, SPI_LEN), n += SPI_LEN;
    memcpy(out + n, initiator ? zero_spi : pub->spir, SPI_LEN), n += SPI_LEN;
    out[n++] = (uint8_t)(pub->group >> 8);
    out[n++] = (uint8_t)pub->group;
    memcpy(out + n, ke, ke_len), n += ke_len;
    memcpy(out + n, initiator ? pub->ni : pub->nr, NONCE_LEN), n += NONCE_LEN;
    memcpy(out + n, initiator ? pub->nr : pub->ni, NONCE_LEN), n += NONCE_LEN;
    const uint8_t id_head[4] = {2, 0, 0, 0};
    if (!prf(t, sk_p, PRF_LEN, id_head, sizeof id_head, (const uint8_t *)id, strlen(id), NULL, 0, out + n))
        return 0;
    return n + PRF_LEN;
}

static gboolean sign(Thread *t, EVP_PKEY *key, const uint8_t *msg, size_t len, unsigned char **sig, size_t *sig_len)
{
    gboolean ok = EVP_DigestSignInit_ex(t->md, NULL, "SHA256", t->lc, NULL, key, NULL) == 1 &&
                  EVP_DigestSign(t->md, NULL, sig_len, msg, len) == 1 && (*sig = OPENSSL_malloc(*sig_len)) &&
                  EVP_DigestSign(t->md, *sig, sig_len, msg, len) == 1;
    EVP_MD_CTX_reset(t->md);
    return ok;
}

/* 1: the signature verifies; 0: it does not (a modelled outcome); -1: OpenSSL could not check it. */
static int verify(Thread *t, EVP_PKEY *pub, const uint8_t *msg, size_t len, const unsigned char *sig, size_t sig_len)
{
    int r = EVP_DigestVerifyInit_ex(t->md, NULL, "SHA256", t->lc, NULL, pub, NULL) == 1
                ? EVP_DigestVerify(t->md, sig, sig_len, msg, len)
                : -1;
    EVP_MD_CTX_reset(t->md);
    if (r == 0)
        ERR_clear_error();
    return r == 1 ? 1 : r == 0 ? 0 : -1;
}

/* Unix seconds of simulated time `when`, rounded down (as hnb_tls_set_time does). */
static time_t abs_time(const HnbPki *pki, HnbTime when)
{
    HnbTime s = when / HNB_SEC - (when % HNB_SEC < 0);
    return (time_t)(hnb_pki_params(pki)->epoch + s);
}

/* Verify `cert` to `store` at `when` (and its name against host, if given): *reason is HNB_TLS_OK or why not, with
 * OpenSSL's words in detail.  FALSE only when OpenSSL could not check at all (the job's error is set, broke()). */
static gboolean verify_chain(Run *r, X509_STORE *store, X509 *cert, HnbTime when, const char *host,
                             HnbTlsReason *reason, char *detail, size_t detail_len)
{
    Thread *t = r->t;
    if (X509_STORE_CTX_init(t->vctx, store, cert, NULL) != 1) {
        broke(r, "X509_STORE_CTX_init");
        return FALSE;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(t->vctx);
    X509_VERIFY_PARAM_set_time(vp, abs_time(t->e->pki, when)); /* sets X509_V_FLAG_USE_CHECK_TIME */
    if (host) {
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (X509_VERIFY_PARAM_set1_host(vp, host, 0) != 1) {
            X509_STORE_CTX_cleanup(t->vctx);
            broke(r, "X509_VERIFY_PARAM_set1_host");
            return FALSE;
        }
    }
    int ok = X509_verify_cert(t->vctx);
    int v = X509_STORE_CTX_get_error(t->vctx);
    X509_STORE_CTX_cleanup(t->vctx);
    if (ok == 1) {
        *reason = HNB_TLS_OK;
        return TRUE;
    }
    if (v == X509_V_OK) { /* failed without a verification error: OpenSSL itself failed */
        broke(r, "X509_verify_cert");
        return FALSE;
    }
    ERR_clear_error();
    g_snprintf(detail, detail_len, "certificate verify failed: %s", X509_verify_cert_error_string(v));
    *reason = hnb_tls_reason_from_verify(v);
    return TRUE;
}

/* What a side does with the peer's CERT and AUTH payloads: decode the certificate (DER, as received), verify its
 * chain at `when` (and its name against host, if given), check the identity it carries against the claimed ID (the
 * SeGW's check of IDi; NULL: none), then verify AUTH over the octets this side built from its own view.  TRUE if the
 * peer is accepted; otherwise the job has its outcome (or its error). */
static gboolean accept_peer(Run *r, HnbIkeSide side, X509_STORE *store, const unsigned char *der, size_t der_len,
                            HnbTime when, const char *host, const char *claimed_id, const uint8_t *octets,
                            size_t octets_len, const unsigned char *auth, size_t auth_len)
{
    gboolean at_hnb = side == HNB_IKE_SIDE_HNB;
    char detail[160];
    HnbTlsReason reason;
    gboolean ok = FALSE;
    X509 *peer = decode_cert(r->t->lc, der, der_len);
    if (!peer) {
        broke(r, at_hnb ? "HNB: decoding the CERT payload" : "SeGW: decoding the CERT payload");
        return FALSE;
    }
    if (!verify_chain(r, store, peer, when, host, &reason, detail, sizeof detail))
        goto out;
    if (reason != HNB_TLS_OK) {
        refuse(r, reason, side, detail);
        goto out;
    }
    if (claimed_id) {
        g_autofree char *have = hnb_pki_cert_identity(peer);
        if (!have || strcmp(have, claimed_id) != 0) {
            g_snprintf(detail, sizeof detail, "ID %s, certificate identity %s", claimed_id, have ? have : "(none)");
            refuse(r, HNB_TLS_IDENTITY_MISMATCH, side, detail);
            goto out;
        }
    }
    int v = verify(r->t, X509_get0_pubkey(peer), octets, octets_len, auth, auth_len);
    if (v < 0)
        broke(r, at_hnb ? "HNB: verifying AUTH" : "SeGW: verifying AUTH");
    else if (v == 0)
        refuse(r, HNB_TLS_BAD_SIGNATURE, side,
               at_hnb ? "the SeGW's AUTH signature does not verify" : "the HNB's AUTH signature does not verify");
    ok = v == 1;
out:
    X509_free(peer);
    return ok;
}

/* The exchange; returns when the job has its outcome. */
static void setup(Run *r)
{
    HnbIkeJob *job = r->job;
    Thread *t = r->t;
    HnbIkeEngine *e = t->e;
    HnbPki *pki = e->pki;
    Public pub;
    Side hnb = {0}, segw = {0};
    unsigned char *dev_der = NULL, *auth_i = NULL, *auth_r = NULL, *segw_der = NULL;
    size_t auth_i_len = 0, auth_r_len = 0;
    uint8_t octets[OCTETS_MAX];
    size_t octets_len;
    int dev_der_len, segw_der_len;
    g_autofree char *idi = hnb_pki_device_fqdn(pki, job->hnb);
    const char *idr = hnb_pki_params(pki)->segw_fqdn;

    GError *dev_error = NULL;
    gboolean recovery = (job->flags & HNB_IKE_JOB_RECOVERY_CERT) != 0;
    /* the credential the HNB presents: the foreign CA's (test knob), else that of the set-up's kind, or with
     * HNB_IKE_JOB_CROSS_CERT that of the other kind */
    gboolean present_recovery = recovery != ((job->flags & HNB_IKE_JOB_CROSS_CERT) != 0);
    /* a reference for this set-up (freed at out): the PKI keeps a bounded set parsed (pki.h, hnb_pki_device_ref) */
    g_autoptr(HnbPkiCred) dev = job->flags & HNB_IKE_JOB_FOREIGN_CERT
                                    ? hnb_pki_cred_ref(hnb_pki_foreign_device(pki, job->hnb, &dev_error))
                                    : hnb_pki_device_ref(pki, job->hnb, present_recovery, &dev_error);
    /* the SeGW trusts the recovery CA in a recovery set-up and the manufacturer CA otherwise, never both: each
     * credential is accepted only for its kind of set-up (crypto/pki.h, "Recovery") */
    X509_STORE *dev_trust = recovery ? t->recovery_trust : t->segw_trust;
    if (!dev) {
        job->error = dev_error;
        g_prefix_error(&job->error, "IKE set-up of HNB %u: ", job->hnb);
        job->reason = HNB_TLS_OTHER;
        g_strlcpy(job->detail, job->error->message, sizeof job->detail);
        return;
    }
    derive_public(job, (uint16_t)dh_groups[e->group].id, &pub);

    /* IKE_SA_INIT request: HDR, SAi1, KEi, Ni */
    if (!make_ke(t, &hnb)) {
        broke(r, "HNB: ephemeral key");
        goto out;
    }
    /* IKE_SA_INIT response: HDR, SAr1, KEr, Nr [, CERTREQ]; the SeGW derives g^ir and SKEYSEED at once */
    segw_begin(r);
    if (!make_ke(t, &segw) || !derive_secret(t, &segw, hnb.ke, hnb.ke_len) || !derive_keys(t, &pub, &segw)) {
        broke(r, "SeGW: key exchange");
        goto out;
    }
    segw_end(r);
    if (!derive_secret(t, &hnb, segw.ke, segw.ke_len) || !derive_keys(t, &pub, &hnb)) {
        broke(r, "HNB: key exchange");
        goto out;
    }
    /* both ends of one in-process exchange: anything but equal secrets is a bug in this file or in OpenSSL */
    if (hnb.gir_len != segw.gir_len || CRYPTO_memcmp(hnb.gir, segw.gir, hnb.gir_len) != 0) {
        broke(r, "the two Diffie-Hellman secrets differ");
        goto out;
    }

    /* IKE_AUTH request: HDR, SK {IDi, CERT, AUTH, ...}; the device signs with the key its TrE holds */
    dev_der_len = i2d_X509(dev->cert, &dev_der);
    if (dev_der_len <= 0 ||
        !(octets_len = signed_octets(t, &pub, TRUE, hnb.ke, hnb.ke_len, hnb.keymat + SK_PI_AT, idi, octets)) ||
        !sign(t, dev->key, octets, octets_len, &auth_i, &auth_i_len)) {
        broke(r, "HNB: AUTH payload");
        goto out;
    }

    /* the SeGW: the device (or recovery) certificate's chain, CRL and validity at its clock, then the identity, then
     * AUTH */
    segw_begin(r);
    if (!(octets_len = signed_octets(t, &pub, TRUE, hnb.ke, hnb.ke_len, segw.keymat + SK_PI_AT, idi, octets))) {
        broke(r, "SeGW: octets");
        goto out;
    }
    if (!accept_peer(r, HNB_IKE_SIDE_SEGW, dev_trust, dev_der, (size_t)dev_der_len, job->segw_time, NULL, idi,
                     octets, octets_len, auth_i, auth_i_len))
        goto out;
    /* IKE_AUTH response: HDR, SK {IDr, CERT, AUTH, ...} */
    if (!(octets_len = signed_octets(t, &pub, FALSE, segw.ke, segw.ke_len, segw.keymat + SK_PR_AT, idr, octets)) ||
        !sign(t, t->segw_key, octets, octets_len, &auth_r, &auth_r_len) ||
        (segw_der_len = i2d_X509(t->segw_cert, &segw_der)) <= 0) {
        broke(r, "SeGW: AUTH and CERT payloads");
        goto out;
    }
    segw_end(r);

    /* the HNB: the SeGW certificate's chain, name and validity at its own clock, then AUTH */
    if (!(octets_len = signed_octets(t, &pub, FALSE, segw.ke, segw.ke_len, hnb.keymat + SK_PR_AT, idr, octets))) {
        broke(r, "HNB: octets");
        goto out;
    }
    accept_peer(r, HNB_IKE_SIDE_HNB, t->hnb_trust, segw_der, (size_t)segw_der_len, job->hnb_clock, e->segw_host, NULL,
                octets, octets_len, auth_r, auth_r_len);
out:
    if (r->segw_t0)
        segw_end(r);
    side_clear(&hnb);
    side_clear(&segw);
    OPENSSL_free(dev_der);
    OPENSSL_free(segw_der);
    OPENSSL_free(auth_i);
    OPENSSL_free(auth_r);
    OPENSSL_cleanse(octets, sizeof octets);
}

void hnb_ike_job_init(HnbIkeJob *job, HnbIkeEngine *engine, uint32_t hnb, uint32_t attempt, HnbTime hnb_clock,
                      HnbTime segw_time)
{
    *job = (HnbIkeJob){.engine = engine, .hnb = hnb, .attempt = attempt, .hnb_clock = hnb_clock,
                       .segw_time = segw_time};
}

void hnb_ike_job_run(void *vjob, void *thread_ctx)
{
    HnbIkeJob *job = vjob;
    uint64_t t0 = cpu_ns();
    job->reason = HNB_TLS_OK;
    job->side = HNB_IKE_SIDE_NONE;
    job->detail[0] = '\0';
    job->segw_cpu_ns = 0;
    g_clear_error(&job->error);
    if (!thread_ctx) {
        g_set_error(&job->error, HNB_ERROR, HNB_ERROR_RUN, "IKE set-up of HNB %u: the worker has no thread context",
                    job->hnb);
        job->reason = HNB_TLS_OTHER;
        g_strlcpy(job->detail, job->error->message, sizeof job->detail);
    } else {
        Run r = {job, thread_ctx, 0};
        setup(&r);
    }
    job->cpu_ns = cpu_ns() - t0;
}

void hnb_ike_job_run_once(HnbIkeJob *job)
{
    void *t = hnb_ike_thread_init(job->engine);
    hnb_ike_job_run(job, t);
    hnb_ike_thread_free(t);
}

void hnb_ike_job_clear(HnbIkeJob *job) { g_clear_error(&job->error); }
