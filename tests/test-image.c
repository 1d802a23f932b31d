/* tests/test-image.c — signed image manifests: real EVP signatures (ECDSA P-256 and RSA-PSS) and every reason code. */
#include "crypto/image.h"

#include <string.h>
#include <openssl/x509.h>
#include "crypto/pki.h"
#include "sim/pool.h"

static HnbPki *pki_with(HnbPkiKeyType signing)
{
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    p.no_cache = TRUE;
    p.signing_key = signing;
    g_autoptr(GError) error = NULL;
    HnbPki *k = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    hnb_pki_params_clear(&p);
    return k;
}

static void reasons(gconstpointer data)
{
    HnbPkiKeyType kt = GPOINTER_TO_INT(data);
    g_autoptr(HnbPki) k = pki_with(kt), other = pki_with(kt);
    X509 *cert = hnb_pki_signing(k)->cert;
    HnbImageManifest m;
    hnb_image_manifest_init(&m, "hnb-release", "4.2.0", 50000000, "release 4.2.0");
    HnbSignedImage s;
    g_autoptr(GError) error = NULL;
    g_assert_true(hnb_image_sign(&s, &m, hnb_pki_signing(k)->key, &error));
    g_assert_no_error(error);

    uint8_t good[32], bad[32];
    hnb_image_content_digest("release 4.2.0", good);
    hnb_image_content_digest("release 4.2.0, rewritten", bad);
    HnbImageManifest back;
    g_assert_cmpint(hnb_image_verify(&s, cert, good, &back), ==, HNB_IMAGE_OK);
    g_assert_cmpstr(back.name, ==, "hnb-release");
    g_assert_cmpuint(back.size, ==, 50000000);
    g_assert_cmpmem(back.sha256, 32, good, 32);
    g_assert_cmpint(hnb_image_verify(&s, cert, NULL, NULL), ==, HNB_IMAGE_OK);
    /* the content does not match the manifest */
    g_assert_cmpint(hnb_image_verify(&s, cert, bad, NULL), ==, HNB_IMAGE_CORRUPTED);
    /* the manifest text altered (a bigger version), the signature kept */
    HnbSignedImage t;
    g_assert_true(hnb_image_signed_copy(&t, &s));
    char *v = strstr(t.text, "4.2.0");
    v[0] = '5';
    g_assert_cmpint(hnb_image_verify(&t, cert, NULL, NULL), ==, HNB_IMAGE_BAD_SIGNATURE);
    hnb_image_signed_clear(&t);
    /* a flipped signature byte */
    g_assert_true(hnb_image_signed_copy(&t, &s));
    t.sig[t.siglen / 2] ^= 0x01;
    g_assert_cmpint(hnb_image_verify(&t, cert, good, NULL), ==, HNB_IMAGE_BAD_SIGNATURE);
    hnb_image_signed_clear(&t);
    /* unparseable manifest */
    g_assert_true(hnb_image_signed_copy(&t, &s));
    t.text[0] = 'X';
    g_assert_cmpint(hnb_image_verify(&t, cert, good, NULL), ==, HNB_IMAGE_CORRUPTED);
    hnb_image_signed_clear(&t);
    /* signed by another PKI's key: wrong key */
    HnbSignedImage o;
    g_assert_true(hnb_image_sign(&o, &m, hnb_pki_signing(other)->key, &error));
    g_assert_cmpint(hnb_image_verify(&o, cert, good, NULL), ==, HNB_IMAGE_WRONG_KEY);
    g_assert_cmpint(hnb_image_verify(&o, hnb_pki_signing(other)->cert, good, NULL), ==, HNB_IMAGE_OK);
    hnb_image_signed_clear(&o);

    /* as pool jobs, at 0 and 2 threads */
    for (unsigned threads = 0; threads <= 2; threads += 2) {
        HnbPool *pool = hnb_pool_new(threads, 4, NULL, NULL, NULL);
        HnbImageJob jobs[16];
        uint64_t tk[16];
        for (int i = 0; i < 16; i++) {
            jobs[i] = (HnbImageJob){.image = &s, .cert = cert, .content = i % 3 ? good : bad, .measure = i % 2 == 0};
            tk[i] = hnb_pool_submit(pool, hnb_image_job_run, &jobs[i]);
        }
        for (int i = 0; i < 16; i++) {
            hnb_pool_join(pool, tk[i]);
            g_assert_cmpint(jobs[i].reason, ==, i % 3 ? HNB_IMAGE_OK : HNB_IMAGE_CORRUPTED);
            if (jobs[i].measure)
                g_assert_cmpuint(jobs[i].cpu_ns, >, 0);
            else
                g_assert_cmpuint(jobs[i].cpu_ns, ==, 0); /* not asked: no system calls */
        }
        hnb_pool_free(pool);
    }
    hnb_image_signed_clear(&s);
}

static void test_names(void)
{
    g_assert_cmpstr(hnb_image_reason_name(HNB_IMAGE_OK), ==, "ok");
    g_assert_cmpstr(hnb_image_reason_name(HNB_IMAGE_BAD_SIGNATURE), ==, "bad_signature");
    g_assert_cmpstr(hnb_image_reason_name(HNB_IMAGE_WRONG_KEY), ==, "wrong_key");
    g_assert_cmpstr(hnb_image_reason_name(HNB_IMAGE_CORRUPTED), ==, "corrupted");
}

/* The manifest file `hnbsim acs` serves: written, read back, verified against the real digest; damaged forms refused
 * or failing verification. */
static void test_text_form(void)
{
    g_autoptr(HnbPki) k = pki_with(HNB_PKI_KEY_EC_P256);
    X509 *cert = hnb_pki_signing(k)->cert;
    uint8_t digest[32];
    for (int i = 0; i < 32; i++)
        digest[i] = (uint8_t)(i * 7);
    HnbImageManifest m, got;
    hnb_image_manifest_init_digest(&m, "hnb-2.0.img", "2.0", 300000, digest);
    HnbSignedImage s, back;
    g_autoptr(GError) error = NULL;
    g_assert_true(hnb_image_sign(&s, &m, hnb_pki_signing(k)->key, &error));
    g_autofree char *text = hnb_image_signed_to_text(&s);
    g_assert_true(g_str_has_prefix(text, "name=hnb-2.0.img\nversion=2.0\nsize=300000\nsha256=00070e15"));
    g_assert_true(hnb_image_signed_from_text(&back, text, strlen(text)));
    g_assert_cmpint(hnb_image_verify(&back, cert, digest, &got), ==, HNB_IMAGE_OK);
    g_assert_cmpuint(got.size, ==, 300000);
    g_assert_cmpstr(got.version, ==, "2.0");
    uint8_t other[32] = {1};
    g_assert_cmpint(hnb_image_verify(&back, cert, other, NULL), ==, HNB_IMAGE_CORRUPTED);
    hnb_image_signed_clear(&back);
    /* a changed size in the signed text: parses, but the signature no longer holds */
    g_autofree char *bumped = g_strdup(text);
    bumped[strlen("name=hnb-2.0.img\nversion=2.0\nsize=")] = '4';
    g_assert_true(hnb_image_signed_from_text(&back, bumped, strlen(bumped)));
    g_assert_cmpint(hnb_image_verify(&back, cert, digest, NULL), ==, HNB_IMAGE_BAD_SIGNATURE);
    hnb_image_signed_clear(&back);
    /* forms that are not the file's: cut, no signature line, bad base64, a NUL */
    g_assert_false(hnb_image_signed_from_text(&back, text, strlen(text) - 1));
    g_assert_false(hnb_image_signed_from_text(&back, text, (size_t)(strstr(text, "signature=") - text)));
    g_autofree char *bad64 = g_strdup(text);
    strstr(bad64, "signature=")[10] = '*';
    g_assert_false(hnb_image_signed_from_text(&back, bad64, strlen(bad64)));
    g_assert_false(hnb_image_signed_from_text(&back, text, strlen(text) + 1));
    g_assert_null(back.text);
    hnb_image_signed_clear(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/image/names", test_names);
    g_test_add_func("/image/text-form", test_text_form);
    g_test_add_data_func("/image/ecdsa", GINT_TO_POINTER(HNB_PKI_KEY_EC_P256), reasons);
    g_test_add_data_func("/image/rsa-pss", GINT_TO_POINTER(HNB_PKI_KEY_RSA_2048), reasons);
    return g_test_run();
}
