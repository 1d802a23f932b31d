/* crypto/keyset.c — threshold key sets: canonical text, signed updates, threshold checks.  See keyset.h. */
#include "crypto/keyset.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "sim/time.h"

static const char *const verdict_names[HNB_KEYSET_VERDICT_COUNT] = {"ok", "threshold", "rollback", "malformed"};

const char *hnb_keyset_verdict_name(HnbKeySetVerdict v)
{
    return (unsigned)v < HNB_KEYSET_VERDICT_COUNT ? verdict_names[v] : "malformed";
}

gboolean hnb_keyset_init(HnbKeySet *ks, uint32_t version, unsigned threshold, EVP_PKEY *const *keys, unsigned n,
                         GError **error)
{
    memset(ks, 0, sizeof *ks);
    if (n < 1 || n > HNB_KEYSET_MAX || threshold < 1 || threshold > n) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "key set: %u of %u keys (need 1 <= k <= n <= %d)", threshold,
                    n, HNB_KEYSET_MAX);
        return FALSE;
    }
    ks->version = version;
    ks->threshold = threshold;
    for (unsigned i = 0; i < n; i++) {
        if (!hnb_image_key_id(keys[i], ks->ids[i])) {
            hnb_keyset_clear(ks);
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "key set: key %u cannot be encoded", i);
            return FALSE;
        }
        for (unsigned j = 0; j < i; j++)
            if (memcmp(ks->ids[i], ks->ids[j], 32) == 0) {
                hnb_keyset_clear(ks);
                g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "key set: keys %u and %u are the same key", j, i);
                return FALSE;
            }
        EVP_PKEY_up_ref(keys[i]);
        ks->keys[ks->n++] = keys[i];
    }
    return TRUE;
}

void hnb_keyset_clear(HnbKeySet *ks)
{
    for (unsigned i = 0; i < ks->n; i++)
        EVP_PKEY_free(ks->keys[i]);
    memset(ks, 0, sizeof *ks);
}

char *hnb_keyset_text(const HnbKeySet *ks)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "hnbsim-keyset 1\nversion=%u\nthreshold=%u\n", ks->version, ks->threshold);
    for (unsigned i = 0; i < ks->n; i++) {
        unsigned char *der = NULL;
        int len = i2d_PUBKEY(ks->keys[i], &der);
        g_string_append(s, "key=");
        for (int b = 0; b < len; b++)
            g_string_append_printf(s, "%02x", der[b]);
        g_string_append_c(s, '\n');
        OPENSSL_free(der);
    }
    ERR_clear_error();
    return g_string_free(s, FALSE);
}

/* ---- updates ----------------------------------------------------------------------------------------------------- */

gboolean hnb_keyset_update_sign(HnbKeySetUpdate *out, const HnbKeySet *next, EVP_PKEY *const *signers,
                                unsigned nsigners, GError **error)
{
    g_return_val_if_fail(nsigners <= HNB_KEYSET_MAX, FALSE);
    memset(out, 0, sizeof *out);
    out->text = hnb_keyset_text(next);
    for (unsigned i = 0; i < nsigners; i++) {
        HnbKeySig *s = &out->sigs[out->nsigs];
        if (!hnb_image_sign_data(signers[i], out->text, strlen(out->text), s->key_id, &s->sig, &s->siglen, error)) {
            g_prefix_error(error, "key-set update: ");
            hnb_keyset_update_clear(out);
            return FALSE;
        }
        out->nsigs++;
    }
    return TRUE;
}

void hnb_keyset_update_clear(HnbKeySetUpdate *u)
{
    g_free(u->text);
    for (unsigned i = 0; i < u->nsigs; i++)
        OPENSSL_free(u->sigs[i].sig);
    memset(u, 0, sizeof *u);
}

static gboolean parse_u32(const char *line, const char *prefix, uint32_t *out)
{
    if (!g_str_has_prefix(line, prefix))
        return FALSE;
    const char *d = line + strlen(prefix);
    char *end;
    guint64 v = g_ascii_strtoull(d, &end, 10);
    if (!g_ascii_isdigit(*d) || *end || v > UINT32_MAX)
        return FALSE;
    *out = (uint32_t)v;
    return TRUE;
}

static EVP_PKEY *parse_key(const char *line)
{
    if (!g_str_has_prefix(line, "key="))
        return NULL;
    const char *hex = line + 4;
    size_t n = strlen(hex);
    if (n == 0 || n % 2 || n > 4096)
        return NULL;
    unsigned char der[2048];
    for (size_t i = 0; i < n / 2; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return NULL;
        der[i] = (unsigned char)(hi << 4 | lo);
    }
    const unsigned char *p = der;
    EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)(n / 2));
    if (k && p != der + n / 2) { /* trailing bytes: not the canonical encoding */
        EVP_PKEY_free(k);
        k = NULL;
    }
    ERR_clear_error();
    return k;
}

/* The set a text describes, only if the text is exactly its canonical form (so the signed bytes fix the set). */
static gboolean parse_set(const char *text, HnbKeySet *ks)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint nl = g_strv_length(lines);
    uint32_t version, threshold;
    if (nl < 5 || strcmp(lines[0], "hnbsim-keyset 1") != 0 || !parse_u32(lines[1], "version=", &version) ||
        !parse_u32(lines[2], "threshold=", &threshold) || *lines[nl - 1] != '\0' || nl - 4 > HNB_KEYSET_MAX)
        return FALSE;
    EVP_PKEY *keys[HNB_KEYSET_MAX];
    unsigned n = 0;
    gboolean ok = TRUE;
    for (guint i = 3; i + 1 < nl && ok; i++)
        ok = (keys[n++] = parse_key(lines[i])) != NULL;
    if (!ok)
        n--;
    ok = ok && hnb_keyset_init(ks, version, threshold, keys, n, NULL);
    for (unsigned i = 0; i < n; i++)
        EVP_PKEY_free(keys[i]);
    if (!ok)
        return FALSE;
    g_autofree char *again = hnb_keyset_text(ks);
    if (strcmp(again, text) != 0) {
        hnb_keyset_clear(ks);
        return FALSE;
    }
    return TRUE;
}

/* The index of the key of ks with this id, or -1. */
static int find_key(const HnbKeySet *ks, const uint8_t id[32])
{
    for (unsigned j = 0; j < ks->n; j++)
        if (memcmp(ks->ids[j], id, 32) == 0)
            return (int)j;
    return -1;
}

HnbKeySetVerdict hnb_keyset_accept(const HnbKeySet *current, const HnbKeySetUpdate *u, HnbKeySet *next)
{
    HnbKeySet parsed;
    if (!u->text || !parse_set(u->text, &parsed))
        return HNB_KEYSET_MALFORMED;
    gboolean used[HNB_KEYSET_MAX] = {FALSE};
    unsigned valid = 0;
    for (unsigned i = 0; i < u->nsigs; i++) {
        int j = find_key(current, u->sigs[i].key_id);
        /* a key outside the current set, or a key that already counted, adds nothing */
        if (j < 0 || used[j])
            continue;
        if (hnb_image_verify_data(current->keys[j], u->text, strlen(u->text), u->sigs[i].sig, u->sigs[i].siglen)) {
            used[j] = TRUE;
            valid++;
        }
    }
    HnbKeySetVerdict v = valid < current->threshold        ? HNB_KEYSET_THRESHOLD
                         : parsed.version <= current->version ? HNB_KEYSET_ROLLBACK
                                                              : HNB_KEYSET_OK;
    if (v == HNB_KEYSET_OK && next)
        *next = parsed;
    else
        hnb_keyset_clear(&parsed);
    return v;
}

/* ---- threshold-signed images ------------------------------------------------------------------------------------- */

gboolean hnb_keyset_image_sign(HnbThresholdImage *out, const HnbImageManifest *m, EVP_PKEY *const *signers,
                               unsigned nsigners, GError **error)
{
    g_return_val_if_fail(nsigners <= HNB_KEYSET_MAX, FALSE);
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < nsigners; i++) {
        if (!hnb_image_sign(&out->sigs[i], m, signers[i], error)) {
            hnb_keyset_image_clear(out);
            return FALSE;
        }
        out->nsigs++;
    }
    return TRUE;
}

void hnb_keyset_image_clear(HnbThresholdImage *img)
{
    for (unsigned i = 0; i < img->nsigs; i++)
        hnb_image_signed_clear(&img->sigs[i]);
    img->nsigs = 0;
}

HnbImageReason hnb_keyset_image_verify(const HnbKeySet *ks, const HnbThresholdImage *img, const uint8_t content[32],
                                       unsigned *valid)
{
    gboolean used[HNB_KEYSET_MAX] = {FALSE}, corrupted = FALSE;
    unsigned count = 0;
    for (unsigned i = 0; i < img->nsigs; i++) {
        const HnbSignedImage *s = &img->sigs[i];
        /* every signature must be over the same manifest: k signatures over k different images approve none */
        if (!s->text || strcmp(s->text, img->sigs[0].text) != 0) {
            corrupted = TRUE;
            break;
        }
        int j = find_key(ks, s->key_id);
        if (j < 0 || used[j])
            continue;
        HnbImageReason r = hnb_image_verify_key(s, ks->keys[j], content, NULL);
        if (r == HNB_IMAGE_OK || r == HNB_IMAGE_CORRUPTED) { /* CORRUPTED: the signature is good, the content not */
            used[j] = TRUE;
            count++;
            corrupted |= r == HNB_IMAGE_CORRUPTED;
        }
    }
    if (valid)
        *valid = count;
    if (corrupted || img->nsigs == 0)
        return img->nsigs == 0 ? HNB_IMAGE_WRONG_KEY : HNB_IMAGE_CORRUPTED;
    return count >= ks->threshold ? HNB_IMAGE_OK : HNB_IMAGE_WRONG_KEY;
}
