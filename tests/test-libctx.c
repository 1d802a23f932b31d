/* tests/test-libctx.c — the per-thread library contexts and their lean provider (crypto/libctx.c): a lean context
 * decodes the RSA and EC keys of hnbsim's PKI to the same keys as the default context, offers the default provider's
 * key managers and TLS capabilities unchanged, refuses other key types (and the PKI's certificate reader then falls
 * back to the default context), and contexts given back are taken again rather than made anew. */
#include "crypto/libctx.h"
#include "crypto/pki.h"
#include "crypto/pki_private.h" /* pki_read_x509 */
#include "tests/pki-common.h"

#include <string.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Parse cert's DER in lc; its public key must equal want's. */
static void check_parse(OSSL_LIB_CTX *lc, X509 *cert, EVP_PKEY *want)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    g_assert_cmpint(len, >, 0);
    const unsigned char *p = der;
    X509 *x = X509_new_ex(lc, NULL);
    g_assert_nonnull(d2i_X509(&x, &p, len));
    EVP_PKEY *k = X509_get0_pubkey(x);
    g_assert_nonnull(k);
    g_assert_cmpint(EVP_PKEY_eq(k, want), ==, 1);
    /* and the key works: the certificate's own signature checks out against its issuer's key elsewhere; here the
     * key is compared, which exports both to one provider */
    X509_free(x);
    OPENSSL_free(der);
}

static void test_decodes_pki_keys(void)
{
    HnbPki *pki = test_pki_default();
    OSSL_LIB_CTX *lean = hnb_libctx_take();
    g_assert_nonnull(lean);
    g_autoptr(GError) error = NULL;
    const HnbPkiCred *dev = hnb_pki_device(pki, 0, &error); /* EC P-256 by default */
    g_assert_no_error(error);
    const HnbPkiCred *hems = hnb_pki_hems(pki); /* RSA-2048 */
    g_assert_cmpint(EVP_PKEY_get_base_id(dev->key), ==, EVP_PKEY_EC);
    g_assert_cmpint(EVP_PKEY_get_base_id(hems->key), ==, EVP_PKEY_RSA);
    for (int round = 0; round < 3; round++) { /* again and again: nothing stale between decodes */
        check_parse(lean, dev->cert, dev->key);
        check_parse(lean, hems->cert, hems->key);
        check_parse(hnb_libctx_shared(), hems->cert, hems->key);
    }
    /* the PKI's reader: lean, the same certificate */
    BIO *b = BIO_new(BIO_s_mem());
    g_assert_cmpint(PEM_write_bio_PrivateKey(b, dev->key, NULL, NULL, 0, NULL, NULL), ==, 1); /* skipped */
    g_assert_cmpint(PEM_write_bio_X509(b, dev->cert), ==, 1);
    X509 *x = pki_read_x509(b);
    g_assert_nonnull(x);
    g_assert_cmpint(X509_cmp(x, dev->cert), ==, 0);
    g_assert_cmpint(EVP_PKEY_eq(X509_get0_pubkey(x), dev->key), ==, 1);
    g_assert_null(pki_read_x509(b)); /* nothing left */
    ERR_clear_error();
    X509_free(x);
    BIO_free(b);
    hnb_libctx_give_back(lean);
    hnb_pki_free(pki);
}

static void count_keymgmt(EVP_KEYMGMT *k, void *arg)
{
    (void)k;
    ++*(int *)arg;
}

typedef struct {
    int n, ec, rsa, other_key;
} DecCount;

static void count_decoder(OSSL_DECODER *d, void *arg)
{
    DecCount *c = arg;
    c->n++;
    c->ec += OSSL_DECODER_is_a(d, "EC");
    c->rsa += OSSL_DECODER_is_a(d, "RSA");
    static const char *const others[] = {"DSA", "DH", "X25519", "ED25519", "ED448", "X448", "SM2", "RSA-PSS"};
    for (size_t i = 0; i < G_N_ELEMENTS(others); i++)
        c->other_key += OSSL_DECODER_is_a(d, others[i]);
}

/* Only decoders are filtered: the key managers and TLS capabilities are the default provider's. */
static void test_only_decoders_filtered(void)
{
    OSSL_LIB_CTX *lean = hnb_libctx_take();
    OSSL_LIB_CTX *plain = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *dflt = OSSL_PROVIDER_load(plain, "default");
    g_assert_nonnull(dflt);
    int km_lean = 0, km_plain = 0;
    EVP_KEYMGMT_do_all_provided(lean, count_keymgmt, &km_lean);
    EVP_KEYMGMT_do_all_provided(plain, count_keymgmt, &km_plain);
    g_assert_cmpint(km_lean, ==, km_plain);
    g_assert_cmpint(km_lean, >, 10);
    DecCount dl = {0}, dp = {0};
    OSSL_DECODER_do_all_provided(lean, count_decoder, &dl);
    OSSL_DECODER_do_all_provided(plain, count_decoder, &dp);
    g_assert_cmpint(dl.other_key, ==, 0);
    g_assert_cmpint(dp.other_key, >, 0);
    g_assert_cmpint(dl.ec, ==, dp.ec); /* every EC and RSA DER decoder kept */
    g_assert_cmpint(dl.rsa, >=, 4);
    g_assert_cmpint(dl.n, <, dp.n / 2);
    /* libssl's groups and signature algorithms come from the provider's capabilities and key managers */
    SSL_CTX *ctx = SSL_CTX_new_ex(lean, NULL, TLS_method());
    g_assert_nonnull(ctx);
    g_assert_cmpint(SSL_CTX_set1_groups_list(ctx, "P-256:X25519:ffdhe2048"), ==, 1);
    g_assert_cmpint(SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256:RSA+SHA256:ed25519"), ==, 1);
    SSL_CTX_free(ctx);
    OSSL_PROVIDER_unload(dflt);
    OSSL_LIB_CTX_free(plain);
    hnb_libctx_give_back(lean);
}

/* A key type hnbsim's PKI never makes: the lean context does not decode it; the PKI's reader falls back. */
static void test_other_key_types(void)
{
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    g_assert_nonnull(ed);
    unsigned char *spki = NULL;
    int n = i2d_PUBKEY(ed, &spki);
    g_assert_cmpint(n, >, 0);
    OSSL_LIB_CTX *lean = hnb_libctx_take();
    const unsigned char *p = spki;
    EVP_PKEY *k = d2i_PUBKEY_ex(NULL, &p, n, lean, NULL);
    g_assert_null(k);
    ERR_clear_error();
    p = spki;
    k = d2i_PUBKEY_ex(NULL, &p, n, NULL, NULL);
    g_assert_nonnull(k);
    EVP_PKEY_free(k);

    X509 *cert = X509_new();
    g_assert_nonnull(cert);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC, (const unsigned char *)"ed", -1, -1,
                               0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_set_pubkey(cert, ed);
    g_assert_cmpint(X509_sign(cert, ed, NULL), >, 0);
    BIO *b = BIO_new(BIO_s_mem());
    g_assert_cmpint(PEM_write_bio_X509(b, cert), ==, 1);
    ERR_clear_error();
    X509 *x = pki_read_x509(b);
    g_assert_nonnull(x);
    g_assert_nonnull(X509_get0_pubkey(x));
    g_assert_cmpint(EVP_PKEY_eq(X509_get0_pubkey(x), ed), ==, 1);
    g_assert_cmpuint(ERR_peek_error(), ==, 0); /* the lean refusal left nothing behind */
    X509_free(x);
    BIO_free(b);
    X509_free(cert);
    OPENSSL_free(spki);
    EVP_PKEY_free(ed);
    hnb_libctx_give_back(lean);
}

/* Contexts are never freed: one given back is the next one taken, so a process makes at most as many as it used at
 * once (the lean provider's registry has room for 64). */
static void test_reuse(void)
{
    OSSL_LIB_CTX *a = hnb_libctx_take(), *b = hnb_libctx_take();
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_true(a != b);
    hnb_libctx_give_back(b);
    hnb_libctx_give_back(a);
    OSSL_LIB_CTX *c = hnb_libctx_take(), *d = hnb_libctx_take();
    g_assert_true((c == a && d == b) || (c == b && d == a));
    for (int i = 0; i < 200; i++) { /* many takes and give-backs make nothing new */
        OSSL_LIB_CTX *e = hnb_libctx_take();
        g_assert_nonnull(e);
        hnb_libctx_give_back(e);
    }
    hnb_libctx_give_back(c);
    hnb_libctx_give_back(d);
    g_assert_true(hnb_libctx_shared() == hnb_libctx_shared());
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/libctx/decodes-pki-keys", test_decodes_pki_keys);
    g_test_add_func("/libctx/only-decoders-filtered", test_only_decoders_filtered);
    g_test_add_func("/libctx/other-key-types", test_other_key_types);
    g_test_add_func("/libctx/reuse", test_reuse);
    return g_test_run();
}
