/* tools/bench/creds.c — `hnbsim bench creds`: reading device credentials (a PEM private key and its certificate, as
 * the PKI cache and an export hold them) the general way against hnbsim's kept decoder (crypto/pki_private.h,
 * PkiKeyDecoder), in the same run.
 *
 * A fleet reads each HNB's credential once, at its first handshake, so for a national fleet this is as many reads as
 * HNBs, under the PKI's lock.  The baseline is the loop any OpenSSL 3 user writes: PEM_read_bio_PrivateKey and
 * PEM_read_bio_X509 on the two files, then X509_check_private_key.  hnbsim's reader does the same reads and the same
 * check but decodes the key through one kept decoder context per key type.  Rounds alternate (general, kept, general,
 * kept ...) over the same `count` devices of an export made in a temporary directory (its files in the page cache
 * after the first round), so a slow spell of the machine falls on both; medians of the rounds are reported.
 */
#include "tools/bench/bench.h"
#include "crypto/pki.h"

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 5

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The general way: one credential from dev<i>.key and dev<i>.pem of dir; FALSE if it does not read or match. */
static gboolean read_general(const char *dir, uint64_t i)
{
    g_autofree char *kn = g_strdup_printf("%s/dev%" G_GUINT64_FORMAT ".key", dir, i);
    g_autofree char *cn = g_strdup_printf("%s/dev%" G_GUINT64_FORMAT ".pem", dir, i);
    BIO *kb = BIO_new_file(kn, "r"), *cb = BIO_new_file(cn, "r");
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    gboolean ok = k && x && X509_check_private_key(x, k) == 1;
    BIO_free(kb);
    BIO_free(cb);
    EVP_PKEY_free(k);
    X509_free(x);
    return ok;
}

static double median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int hnb_bench_creds(uint64_t count)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("hnbsim-bench-creds-XXXXXX", &error);
    if (!dir) {
        fprintf(stderr, "hnbsim bench creds: %s\n", error->message);
        return 1;
    }
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    p.no_cache = TRUE;
    HnbPki *pki = hnb_pki_new(&p, &error);
    hnb_pki_params_clear(&p);
    gboolean ok = pki && hnb_pki_export(pki, dir, (uint32_t)count, TRUE, &error);
    if (pki)
        hnb_pki_free(pki);
    double general[ROUNDS], kept[ROUNDS];
    for (int r = 0; ok && r < ROUNDS; r++) {
        double t0 = mono_s();
        for (uint64_t i = 0; ok && i < count; i++)
            ok = read_general(dir, i);
        general[r] = (mono_s() - t0) / (double)count * 1e6;
        HnbPkiCredReader *reader = hnb_pki_cred_reader_new(dir);
        t0 = mono_s();
        for (uint64_t i = 0; ok && i < count; i++) {
            g_autofree char *name = g_strdup_printf("dev%" G_GUINT64_FORMAT, i);
            HnbPkiCred *c = hnb_pki_cred_reader_read(reader, name, &error);
            ok = c != NULL;
            hnb_pki_cred_free(c);
        }
        kept[r] = (mono_s() - t0) / (double)count * 1e6;
        hnb_pki_cred_reader_free(reader);
        if (ok)
            printf("round %d: general %.1f us, kept decoder %.1f us a credential\n", r + 1, general[r], kept[r]);
    }
    /* the export's files (all in the one directory), then the directory */
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    for (const char *n; d && (n = g_dir_read_name(d));) {
        g_autofree char *f = g_build_filename(dir, n, NULL);
        g_remove(f);
    }
    g_rmdir(dir);
    if (!ok) {
        fprintf(stderr, "hnbsim bench creds: %s\n", error ? error->message : "a credential did not read or match");
        return 1;
    }
    double g = median(general, ROUNDS), k = median(kept, ROUNDS);
    printf("general_us=%.1f kept_decoder_us=%.1f ratio=%.2f count=%" G_GUINT64_FORMAT "\n", g, k, g / k, count);
    return 0;
}
