/* crypto/image.c — signed image manifests: canonical text, EVP signing and verification.  See image.h. */
#include "crypto/openssl_error.h"
#include "crypto/image.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "crypto/pki.h"

static const char *const reason_names[HNB_IMAGE_REASON_COUNT] = {"ok", "bad_signature", "wrong_key", "corrupted"};

const char *hnb_image_reason_name(HnbImageReason r)
{
    return (unsigned)r < HNB_IMAGE_REASON_COUNT ? reason_names[r] : "corrupted";
}

void hnb_image_content_digest(const char *seed, uint8_t out[32])
{
    static const char tag[] = "hnbsim-image"; /* with its NUL, as the separator */
    g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
    gsize n = 32;
    g_checksum_update(c, (const guchar *)tag, sizeof tag);
    g_checksum_update(c, (const guchar *)seed, (gssize)strlen(seed));
    g_checksum_get_digest(c, out, &n);
}

void hnb_image_manifest_init_digest(HnbImageManifest *m, const char *name, const char *version, uint64_t size,
                                    const uint8_t sha256[32])
{
    memset(m, 0, sizeof *m);
    g_strlcpy(m->name, name, sizeof m->name);
    g_strlcpy(m->version, version, sizeof m->version);
    m->size = size;
    memcpy(m->sha256, sha256, 32);
}

void hnb_image_manifest_init(HnbImageManifest *m, const char *name, const char *version, uint64_t size,
                             const char *seed)
{
    uint8_t digest[32];
    hnb_image_content_digest(seed, digest);
    hnb_image_manifest_init_digest(m, name, version, size, digest);
}

static char *manifest_text(const HnbImageManifest *m)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "name=%s\nversion=%s\nsize=%" PRIu64 "\nsha256=", m->name, m->version, m->size);
    for (int i = 0; i < 32; i++)
        g_string_append_printf(s, "%02x", m->sha256[i]);
    g_string_append_c(s, '\n');
    return g_string_free(s, FALSE);
}

/* Parse the canonical text back; FALSE if it is not exactly what manifest_text would write. */
static gboolean manifest_parse(const char *text, HnbImageManifest *m)
{
    memset(m, 0, sizeof *m);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    if (g_strv_length(lines) != 5 || **(lines + 4) != '\0' || !g_str_has_prefix(lines[0], "name=") ||
        !g_str_has_prefix(lines[1], "version=") || !g_str_has_prefix(lines[2], "size=") ||
        !g_str_has_prefix(lines[3], "sha256=") || strlen(lines[3]) != 7 + 64)
        return FALSE;
    g_strlcpy(m->name, lines[0] + 5, sizeof m->name);
    g_strlcpy(m->version, lines[1] + 8, sizeof m->version);
    char *end;
    m->size = g_ascii_strtoull(lines[2] + 5, &end, 10);
    if (*end || end == lines[2] + 5)
        return FALSE;
    for (int i = 0; i < 32; i++) {
        int hi = g_ascii_xdigit_value(lines[3][7 + 2 * i]), lo = g_ascii_xdigit_value(lines[3][8 + 2 * i]);
        if (hi < 0 || lo < 0)
            return FALSE;
        m->sha256[i] = (uint8_t)(hi << 4 | lo);
    }
    g_autofree char *again = manifest_text(m);
    return strcmp(again, text) == 0;
}

static gboolean key_id(EVP_PKEY *key, uint8_t out[32])
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(key, &der);
    if (n <= 0)
        return FALSE;
    unsigned int len = 32;
    int ok = EVP_Digest(der, (size_t)n, out, &len, EVP_sha256(), NULL);
    OPENSSL_free(der);
    return ok == 1;
}

/* RSA keys sign with PSS (salt = digest length); EC keys with ECDSA. */
static gboolean set_padding(EVP_PKEY *key, EVP_PKEY_CTX *pctx)
{
    if (!EVP_PKEY_is_a(key, "RSA"))
        return TRUE;
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
}

gboolean hnb_image_sign_data(EVP_PKEY *key, const void *data, size_t len, uint8_t key_id_out[32], unsigned char **sig,
                             size_t *siglen, GError **error)
{
    *sig = NULL;
    *siglen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t n = 0;
    if (!md || !key_id(key, key_id_out) || EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
        !set_padding(key, pctx) || EVP_DigestSign(md, NULL, &n, data, len) != 1)
        goto fail;
    *sig = OPENSSL_malloc(n);
    if (!*sig || EVP_DigestSign(md, *sig, &n, data, len) != 1)
        goto fail;
    *siglen = n;
    EVP_MD_CTX_free(md);
    return TRUE;
fail:
    hnb_set_openssl_error(error, HNB_ERROR_RUN, "signing");
    EVP_MD_CTX_free(md);
    OPENSSL_free(*sig);
    *sig = NULL;
    return FALSE;
}

gboolean hnb_image_verify_data(EVP_PKEY *key, const void *data, size_t len, const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int r = md && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) == 1 && set_padding(key, pctx)
                ? EVP_DigestVerify(md, sig, siglen, data, len)
                : -1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return r == 1;
}

gboolean hnb_image_key_id(EVP_PKEY *key, uint8_t out[32])
{
    gboolean ok = key_id(key, out);
    ERR_clear_error();
    return ok;
}

gboolean hnb_image_sign(HnbSignedImage *out, const HnbImageManifest *m, EVP_PKEY *key, GError **error)
{
    memset(out, 0, sizeof *out);
    out->text = manifest_text(m);
    if (!hnb_image_sign_data(key, out->text, strlen(out->text), out->key_id, &out->sig, &out->siglen, error)) {
        g_prefix_error(error, "image manifest: ");
        hnb_image_signed_clear(out);
        return FALSE;
    }
    return TRUE;
}

void hnb_image_signed_clear(HnbSignedImage *s)
{
    g_free(s->text);
    OPENSSL_free(s->sig);
    memset(s, 0, sizeof *s);
}

gboolean hnb_image_signed_copy(HnbSignedImage *dst, const HnbSignedImage *src)
{
    *dst = *src;
    dst->text = g_strdup(src->text);
    dst->sig = src->siglen ? OPENSSL_memdup(src->sig, src->siglen) : NULL;
    return !src->siglen || dst->sig;
}

char *hnb_image_signed_to_text(const HnbSignedImage *s)
{
    GString *t = g_string_new(s->text);
    g_string_append(t, "key-id=");
    for (int i = 0; i < 32; i++)
        g_string_append_printf(t, "%02x", s->key_id[i]);
    g_autofree char *b64 = g_base64_encode(s->sig, s->siglen);
    g_string_append_printf(t, "\nsignature=%s\n", b64);
    return g_string_free(t, FALSE);
}

gboolean hnb_image_signed_from_text(HnbSignedImage *out, const char *text, size_t len)
{
    memset(out, 0, sizeof *out);
    if (len > HNB_IMAGE_MANIFEST_MAX || memchr(text, '\0', len))
        return FALSE;
    g_autofree char *copy = g_strndup(text, len);
    /* the signed text is the first four lines (manifest_text's form); the signature's two lines follow */
    char *p = copy;
    for (int i = 0; i < 4 && p; i++)
        p = (p = strchr(p, '\n')) ? p + 1 : NULL;
    if (!p || !g_str_has_prefix(p, "key-id=") || strlen(p) < 7 + 64 + 1 || p[7 + 64] != '\n')
        return FALSE;
    uint8_t id[32];
    for (int i = 0; i < 32; i++) {
        int hi = g_ascii_xdigit_value(p[7 + 2 * i]), lo = g_ascii_xdigit_value(p[8 + 2 * i]);
        if (hi < 0 || lo < 0)
            return FALSE;
        id[i] = (uint8_t)(hi << 4 | lo);
    }
    char *sig = p + 7 + 64 + 1;
    size_t n = strlen(sig);
    if (!g_str_has_prefix(sig, "signature=") || n < 12 || sig[n - 1] != '\n')
        return FALSE;
    sig[n - 1] = '\0';
    sig += strlen("signature=");
    if (strspn(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != strlen(sig) ||
        strlen(sig) % 4 != 0)
        return FALSE;
    gsize siglen = 0;
    g_autofree guchar *raw = g_base64_decode(sig, &siglen);
    if (!siglen)
        return FALSE;
    *p = '\0';
    HnbImageManifest m;
    if (!manifest_parse(copy, &m))
        return FALSE;
    out->text = g_strdup(copy);
    memcpy(out->key_id, id, 32);
    out->sig = OPENSSL_memdup(raw, siglen);
    out->siglen = siglen;
    if (!out->sig) {
        hnb_image_signed_clear(out);
        return FALSE;
    }
    return TRUE;
}

HnbImageReason hnb_image_verify_key(const HnbSignedImage *s, EVP_PKEY *key, const uint8_t content[32],
                                    HnbImageManifest *m)
{
    HnbImageManifest parsed;
    if (!s->text || !s->sig || !manifest_parse(s->text, &parsed))
        return HNB_IMAGE_CORRUPTED;
    if (!key)
        return HNB_IMAGE_WRONG_KEY;
    if (!hnb_image_verify_data(key, s->text, strlen(s->text), s->sig, s->siglen)) {
        /* the key id tells a foreign signer from a damaged signature (computed only here: encoding the public key
         * costs about as much as the verification itself in OpenSSL 3.0) */
        uint8_t id[32];
        gboolean same = hnb_image_key_id(key, id) && memcmp(id, s->key_id, 32) == 0;
        return same ? HNB_IMAGE_BAD_SIGNATURE : HNB_IMAGE_WRONG_KEY;
    }
    if (m)
        *m = parsed;
    if (content && memcmp(content, parsed.sha256, 32) != 0)
        return HNB_IMAGE_CORRUPTED;
    return HNB_IMAGE_OK;
}

HnbImageReason hnb_image_verify(const HnbSignedImage *s, X509 *cert, const uint8_t content[32], HnbImageManifest *m)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);
    ERR_clear_error();
    return hnb_image_verify_key(s, key, content, m);
}

void hnb_image_job_run(void *vjob, void *thread_ctx)
{
    (void)thread_ctx;
    HnbImageJob *job = vjob;
    struct timespec a, b;
    if (job->measure)
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    job->reason = hnb_image_verify(job->image, job->cert, job->content, NULL);
    if (!job->measure)
        return;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    job->cpu_ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u + (uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec;
}
