/* crypto/pki_files.c — the on-disk cache's files: PEM credentials read and written through BIOs, and publication
 * of a finished file (a temporary file, then link(2) for first-writer-wins or rename(2) for last-writer-wins), so
 * that concurrent runs sharing a cache never see a half-written file.
 */
#include "crypto/pki_private.h"
#include "crypto/libctx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <openssl/decoder.h>
#include <openssl/err.h>

gboolean pki_write_cred(BIO *b, const HnbPkiCred *c)
{
    return PEM_write_bio_PrivateKey(b, c->key, NULL, NULL, 0, NULL, NULL) == 1 && PEM_write_bio_X509(b, c->cert) == 1;
}

X509 *pki_read_x509(BIO *b)
{
    unsigned char *der = NULL;
    long len = 0;
    if (PEM_bytes_read_bio(&der, &len, NULL, PEM_STRING_X509, b, NULL, NULL) != 1)
        return NULL;
    OSSL_LIB_CTX *lean = hnb_libctx_shared();
    X509 *x = NULL;
    ERR_set_mark();
    for (int pass = lean ? 0 : 1; pass < 2 && !x; pass++) {
        const unsigned char *p = der;
        x = X509_new_ex(pass == 0 ? lean : NULL, NULL);
        if (x && (!d2i_X509(&x, &p, len) || !X509_get0_pubkey(x))) {
            X509_free(x); /* d2i_X509 may have freed it already and set it to NULL */
            x = NULL;
        }
        if (!x && pass == 0) {
            ERR_pop_to_mark(); /* the lean context's refusal is not the caller's error */
            ERR_set_mark();    /* the one ERR_clear_last_mark below takes off, not a caller's */
        }
    }
    ERR_clear_last_mark();
    OPENSSL_free(der);
    return x;
}

/* Read a key then a certificate; NULL when the file ends or is damaged. */
HnbPkiCred *pki_read_cred(BIO *b)
{
    EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    X509 *x = key ? pki_read_x509(b) : NULL;
    if (!key || !x || X509_check_private_key(x, key) != 1) {
        EVP_PKEY_free(key);
        X509_free(x);
        return NULL;
    }
    return pki_cred_new(x, key);
}

void pki_key_decoder_clear(PkiKeyDecoder *d)
{
    for (size_t k = 0; k < G_N_ELEMENTS(d->ctx); k++)
        OSSL_DECODER_CTX_free(g_steal_pointer(&d->ctx[k]));
    EVP_PKEY_free(g_steal_pointer(&d->out));
}

EVP_PKEY *pki_key_decoder_read(PkiKeyDecoder *d, int type, const char *data, size_t len)
{
    int slot = type == EVP_PKEY_EC ? 0 : type == EVP_PKEY_RSA ? 1 : -1;
    EVP_PKEY *k = NULL;
    if (d && slot >= 0) {
        if (!d->ctx[slot])
            d->ctx[slot] = OSSL_DECODER_CTX_new_for_pkey(&d->out, "PEM", NULL, slot == 0 ? "EC" : "RSA",
                                                         OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL);
        const unsigned char *p = (const unsigned char *)data;
        size_t left = len;
        d->out = NULL;
        if (d->ctx[slot] && OSSL_DECODER_from_data(d->ctx[slot], &p, &left) == 1)
            k = g_steal_pointer(&d->out);
        EVP_PKEY_free(g_steal_pointer(&d->out));
        ERR_clear_error();
    }
    if (!k) { /* the general path, from the start */
        BIO *b = BIO_new_mem_buf(data, (int)len);
        k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    }
    return k;
}

HnbPkiCred *pki_read_cred_data(PkiKeyDecoder *d, int type, const char *data, size_t len)
{
    if (len > INT_MAX)
        return NULL;
    EVP_PKEY *key = pki_key_decoder_read(d, type, data, len);
    /* the certificate follows the key: pki_read_x509 skips the key's block to the first CERTIFICATE */
    BIO *b = key ? BIO_new_mem_buf(data, (int)len) : NULL;
    X509 *x = b ? pki_read_x509(b) : NULL;
    BIO_free(b);
    if (!key || !x || X509_check_private_key(x, key) != 1) {
        EVP_PKEY_free(key);
        X509_free(x);
        return NULL;
    }
    return pki_cred_new(x, key);
}

int pki_key_base_id(HnbPkiKeyType t)
{
    return t == HNB_PKI_KEY_EC_P256 ? EVP_PKEY_EC : EVP_PKEY_RSA;
}

/* Write `data` to a unique temporary file in dir; returns its path. */
char *pki_write_temp(const char *dir, const char *base, const void *data, size_t len, GError **error)
{
    g_autofree char *tmpl = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    int fd = g_mkstemp_full(tmpl, O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", tmpl, g_strerror(e));
        return NULL;
    }
    const char *d = data;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, d + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            g_unlink(tmpl);
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", tmpl, g_strerror(e));
            return NULL;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        int e = errno;
        g_unlink(tmpl);
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", tmpl, g_strerror(e));
        return NULL;
    }
    return g_steal_pointer(&tmpl);
}

gboolean pki_bio_contents(BIO *b, char **data, size_t *len)
{
    BUF_MEM *bm;
    if (BIO_get_mem_ptr(b, &bm) != 1)
        return FALSE;
    *data = bm->data;
    *len = bm->length;
    return TRUE;
}

BIO *pki_bio_from_file(const char *path)
{
    gchar *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem && BIO_write(mem, data, (int)len) != (int)len) {
        BIO_free(mem);
        mem = NULL;
    }
    g_free(data);
    return mem;
}

/* Publish a memory BIO's contents as sub/base (sub created) by rename(2): of several runs writing the same file at
 * once, one complete file wins. */
gboolean pki_publish(const char *sub, const char *base, BIO *b, GError **error)
{
    g_autofree char *path = g_build_filename(sub, base, NULL);
    char *data;
    size_t len;
    if (g_mkdir_with_parents(sub, 0700) != 0) {
        int e = errno;
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "PKI cache %s: %s", sub, g_strerror(e));
        return FALSE;
    }
    if (!pki_bio_contents(b, &data, &len)) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, path);
        return FALSE;
    }
    g_autofree char *tmp = pki_write_temp(sub, base, data, len, error);
    return tmp && pki_rename_temp(tmp, path, error);
}

gboolean pki_rename_temp(const char *tmp, const char *path, GError **error)
{
    if (g_rename(tmp, path) != 0) {
        int e = errno;
        g_unlink(tmp);
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    return TRUE;
}
