/* tests/test-pki.c — the simulated PKI: identities, certificate contents, the CRL, the on-disk cache (reuse without
 * regeneration, corrupted files, concurrent first use), the PEM export and the golden module's recovery
 * credentials. */
#include "crypto/pki.h"
#include "crypto/pki_private.h" /* PkiKeyDecoder */

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static char *tmpdir(void)
{
    g_autoptr(GError) error = NULL;
    char *d = g_dir_make_tmp("hnbsim-pki-XXXXXX", &error);
    g_assert_no_error(error);
    return d;
}

static void rm_rf(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, n, NULL);
            rm_rf(p);
        }
        if (d)
            g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static HnbPki *pki_new(const char *cache, const char *revoked)
{
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    if (cache)
        p.cache_dir = g_strdup(cache);
    else
        p.no_cache = TRUE;
    g_autoptr(GError) error = NULL;
    if (revoked)
        g_assert_true(hnb_pki_parse_revoked(revoked, &p.revoked, &p.nrevoked, &error));
    HnbPki *k = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    hnb_pki_params_clear(&p);
    return k;
}

static void test_parse(void)
{
    g_autoptr(GError) error = NULL;
    gint64 t;
    g_assert_true(hnb_pki_parse_epoch("2026-01-01T00:00:00Z", &t, &error));
    g_assert_cmpint(t, ==, 1767225600);
    g_assert_true(hnb_pki_parse_epoch("2026-01-01T01:00:00+01:00", &t, &error));
    g_assert_cmpint(t, ==, 1767225600);
    g_assert_false(hnb_pki_parse_epoch("yesterday", &t, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_clear_error(&error);

    uint32_t *r;
    guint n;
    g_assert_true(hnb_pki_parse_revoked(" 12, 3,10-12 ,3", &r, &n, &error));
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmpuint(r[0], ==, 3);
    g_assert_cmpuint(r[1], ==, 10);
    g_assert_cmpuint(r[3], ==, 12);
    g_free(r);
    g_assert_true(hnb_pki_parse_revoked("", &r, &n, &error));
    g_assert_cmpuint(n, ==, 0);
    g_assert_null(r);
    for (const char *bad = "5-3\0x\0-1\0" "1,,2-\0" "99999999999\0"; *bad; bad += strlen(bad) + 1) {
        g_assert_false(hnb_pki_parse_revoked(bad, &r, &n, &error));
        g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
        g_clear_error(&error);
    }
}

static void test_scenario(void)
{
    static const HnbKeySpec *const schemas[] = {hnb_pki_schema, NULL};
    const char *text = "[pki]\nepoch = 2030-06-01T00:00:00Z\nrealm = femto.example.org\noui = 0a1b2c\n"
                       "device_key = rsa-2048\nrevoked = 1-3\ndevice_lifetime = 90d\nrecovery_lifetime = 36500d\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(HnbScenario) sc = hnb_scenario_load_data(text, strlen(text), "t.ini", schemas, NULL, &error);
    g_assert_no_error(error);
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    g_assert_true(hnb_pki_params_from_scenario(&p, sc, &error));
    g_assert_no_error(error);
    g_assert_cmpint(p.epoch, ==, 1906502400);
    g_assert_cmpstr(p.oui, ==, "0A1B2C");
    g_assert_cmpint(p.device_key, ==, HNB_PKI_KEY_RSA_2048);
    g_assert_cmpuint(p.nrevoked, ==, 3);
    g_assert_cmpint(p.device_lifetime, ==, 90 * HNB_DAY);
    g_assert_cmpint(p.recovery_lifetime, ==, 36500 * HNB_DAY);
    g_assert_cmpint(p.recovery_issued_before, ==, p.device_issued_before); /* the defaults agree */
    g_assert_null(p.cache_dir);
    hnb_pki_params_clear(&p);

    const char *bad = "[pki]\noui = 12345\n";
    g_autoptr(HnbScenario) sc2 = hnb_scenario_load_data(bad, strlen(bad), "t.ini", schemas, NULL, &error);
    g_assert_no_error(error);
    hnb_pki_params_init(&p);
    g_assert_false(hnb_pki_params_from_scenario(&p, sc2, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_nonnull(strstr(error->message, "[pki] oui"));
    hnb_pki_params_clear(&p);
}

static char *san_dns(X509 *x)
{
    GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    char *out = NULL;
    if (g && sk_GENERAL_NAME_num(g) == 1 && sk_GENERAL_NAME_value(g, 0)->type == GEN_DNS) {
        ASN1_IA5STRING *s = sk_GENERAL_NAME_value(g, 0)->d.dNSName;
        out = g_strndup((const char *)ASN1_STRING_get0_data(s), (gsize)ASN1_STRING_length(s));
    }
    GENERAL_NAMES_free(g);
    return out;
}

static void test_identities(void)
{
    g_autoptr(HnbPki) k = pki_new(NULL, "2");
    char eui[17], oui[7], serial[11];
    hnb_pki_eui64(k, 7, eui);
    g_assert_cmpstr(eui, ==, "02484E0000000007");
    hnb_pki_eui64(k, 0xABCDEF12u, eui);
    g_assert_cmpstr(eui, ==, "02484E00ABCDEF12");
    hnb_pki_device_id(k, 0xABCDEF12u, oui, serial);
    g_assert_cmpstr(oui, ==, "02484E");
    g_assert_cmpstr(serial, ==, "00ABCDEF12");
    g_autofree char *fqdn = hnb_pki_device_fqdn(k, 7);
    g_assert_cmpstr(fqdn, ==, "02484E0000000007.hnb.operator.example");
    g_autofree char *claim = hnb_pki_claimed_identity("02484e", "0000000007", "hnb.operator.example");
    g_assert_cmpstr(claim, ==, fqdn);
    g_assert_null(hnb_pki_claimed_identity("02484E", "7", "hnb.operator.example"));

    g_autoptr(GError) error = NULL;
    const HnbPkiCred *d = hnb_pki_device(k, 7, &error);
    g_assert_no_error(error);
    g_autofree char *id = hnb_pki_cert_identity(d->cert);
    g_assert_cmpstr(id, ==, fqdn);
    g_autofree char *dns = san_dns(d->cert);
    g_assert_cmpstr(dns, ==, fqdn);
    g_assert_true(EVP_PKEY_is_a(d->key, "EC"));
    g_assert_cmpint(ASN1_INTEGER_get(X509_get0_serialNumber(d->cert)), ==, 8);
    g_assert_cmpint(X509_verify(d->cert, hnb_pki_mfr(k)->key), ==, 1);
    g_assert_true(hnb_pki_device(k, 7, &error) == d); /* kept in memory */

    /* the H(e)MS certificate: RSA-2048, SAN = the FQDN, issued by the root */
    const HnbPkiCred *h = hnb_pki_hems(k);
    g_assert_true(EVP_PKEY_is_a(h->key, "RSA"));
    g_assert_cmpint(EVP_PKEY_get_bits(h->key), ==, 2048);
    g_autofree char *hdns = san_dns(h->cert);
    g_assert_cmpstr(hdns, ==, "hems.operator.example");
    g_assert_cmpint(X509_verify(h->cert, hnb_pki_root(k)->key), ==, 1);
    g_assert_null(hnb_pki_cert_identity(h->cert));

    /* validity relative to the epoch */
    const ASN1_TIME *nb = X509_get0_notBefore(d->cert);
    int days, secs;
    g_autoptr(GDateTime) ep = g_date_time_new_from_unix_utc(hnb_pki_params(k)->epoch);
    ASN1_TIME *e = ASN1_TIME_set(NULL, (time_t)hnb_pki_params(k)->epoch);
    g_assert_true(ASN1_TIME_diff(&days, &secs, nb, e));
    g_assert_cmpint(days, ==, 30);
    g_assert_cmpint(secs, ==, 0);
    ASN1_TIME_free(e);

    /* the CRL lists HNB 2's serial, signed by the manufacturer CA */
    X509_CRL *crl = hnb_pki_crl(k);
    g_assert_cmpint(X509_CRL_verify(crl, hnb_pki_mfr(k)->key), ==, 1);
    g_assert_cmpint(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), ==, 1);
    const HnbPkiCred *d2 = hnb_pki_device(k, 2, &error);
    X509_REVOKED *rev;
    g_assert_cmpint(X509_CRL_get0_by_cert(crl, &rev, d2->cert), ==, 1);
    g_assert_true(hnb_pki_is_revoked(k, 2));
    g_assert_false(hnb_pki_is_revoked(k, 7));

    /* the foreign CA's device carries the same identity */
    const HnbPkiCred *f = hnb_pki_foreign_device(k, 7, &error);
    g_assert_no_error(error);
    g_autofree char *fid = hnb_pki_cert_identity(f->cert);
    g_assert_cmpstr(fid, ==, fqdn);
    g_assert_cmpint(X509_verify(f->cert, hnb_pki_mfr(k)->key), !=, 1);

    HnbPkiStats st;
    hnb_pki_stats(k, &st);
    g_assert_cmpuint(st.ca_generated, ==, 1);
    g_assert_cmpuint(st.devices_generated, ==, 2);
}

static void test_cache(void)
{
    g_autofree char *dir = tmpdir();
    HnbPkiStats st;
    g_autoptr(GError) error = NULL;
    X509 *mfr1, *dev1;
    {
        g_autoptr(HnbPki) k = pki_new(dir, NULL);
        for (uint32_t i = 0; i < 5; i++)
            g_assert_nonnull(hnb_pki_device(k, i * 700, &error)); /* spans several sub-directories */
        hnb_pki_stats(k, &st);
        g_assert_cmpuint(st.ca_generated, ==, 1);
        g_assert_cmpuint(st.devices_generated, ==, 5);
        g_assert_cmpuint(st.devices_loaded, ==, 0);
        mfr1 = X509_dup(hnb_pki_mfr(k)->cert);
        dev1 = X509_dup(hnb_pki_device(k, 700, &error)->cert);
    }
    {
        /* the second run reads everything: no generation at all; the revoked set does not change the cache key */
        g_autoptr(HnbPki) k = pki_new(dir, "700");
        for (uint32_t i = 0; i < 5; i++)
            g_assert_nonnull(hnb_pki_device(k, i * 700, &error));
        hnb_pki_stats(k, &st);
        g_assert_cmpuint(st.ca_generated, ==, 0);
        g_assert_cmpuint(st.devices_generated, ==, 0);
        g_assert_cmpuint(st.devices_loaded, ==, 5);
        g_assert_cmpint(X509_cmp(mfr1, hnb_pki_mfr(k)->cert), ==, 0);
        g_assert_cmpint(X509_cmp(dev1, hnb_pki_device(k, 700, &error)->cert), ==, 0);
        g_assert_true(g_str_has_prefix(hnb_pki_cache_path(k), dir));

        /* corrupt one device file and truncate another: both regenerated with a warning */
        g_autofree char *p1 = g_build_filename(hnb_pki_cache_path(k), "dev", "0", "0.pem", NULL);
        g_autofree char *p2 = g_build_filename(hnb_pki_cache_path(k), "dev", "1", "1400.pem", NULL);
        g_assert_true(g_file_set_contents(p1, "garbage", -1, NULL));
        gchar *data;
        gsize len;
        g_assert_true(g_file_get_contents(p2, &data, &len, NULL));
        g_assert_true(g_file_set_contents(p2, data, (gssize)len / 2, NULL));
        g_free(data);
    }
    {
        g_autoptr(HnbPki) k = pki_new(dir, NULL);
        g_test_expect_message("hnbsim", G_LOG_LEVEL_WARNING, "*0.pem is corrupted*");
        g_assert_nonnull(hnb_pki_device(k, 0, &error));
        g_test_assert_expected_messages();
        g_test_expect_message("hnbsim", G_LOG_LEVEL_WARNING, "*1400.pem is corrupted*");
        g_assert_nonnull(hnb_pki_device(k, 1400, &error));
        g_test_assert_expected_messages();
        g_assert_nonnull(hnb_pki_device(k, 700, &error));
        hnb_pki_stats(k, &st);
        g_assert_cmpuint(st.corrupted, ==, 2);
        g_assert_cmpuint(st.devices_generated, ==, 2);
        g_assert_cmpuint(st.devices_loaded, ==, 1);
    }
    {
        /* a device file signed by someone else (a different CA set) is not accepted either */
        g_autoptr(HnbPki) other = pki_new(NULL, NULL);
        g_autoptr(HnbPki) k = pki_new(dir, NULL);
        const HnbPkiCred *od = hnb_pki_device(other, 2100, &error);
        g_autofree char *p = g_build_filename(hnb_pki_cache_path(k), "dev", "2", "2100.pem", NULL);
        FILE *f = fopen(p, "w");
        g_assert_nonnull(f);
        PEM_write_PrivateKey(f, od->key, NULL, NULL, 0, NULL, NULL);
        PEM_write_X509(f, od->cert);
        fclose(f);
        g_test_expect_message("hnbsim", G_LOG_LEVEL_WARNING, "*2100.pem is corrupted*");
        const HnbPkiCred *d = hnb_pki_device(k, 2100, &error);
        g_test_assert_expected_messages();
        g_assert_cmpint(X509_verify(d->cert, hnb_pki_mfr(k)->key), ==, 1);
    }
    X509_free(mfr1);
    X509_free(dev1);
    rm_rf(dir);
}

/* Several PKIs start on an empty cache at once: they all end up with the same CA set. */
static gpointer start_pki(gpointer dir)
{
    HnbPki *k = pki_new(dir, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_nonnull(hnb_pki_device(k, 1, &error));
    return k;
}

static void test_cache_concurrent(void)
{
    g_autofree char *dir = tmpdir();
    GThread *t[4];
    HnbPki *k[4];
    for (int i = 0; i < 4; i++)
        t[i] = g_thread_new("pki", start_pki, dir);
    for (int i = 0; i < 4; i++)
        k[i] = g_thread_join(t[i]);
    guint generated = 0;
    for (int i = 0; i < 4; i++) {
        HnbPkiStats st;
        hnb_pki_stats(k[i], &st);
        generated += st.ca_generated;
        g_assert_cmpint(X509_cmp(hnb_pki_mfr(k[0])->cert, hnb_pki_mfr(k[i])->cert), ==, 0);
        g_autoptr(GError) error = NULL;
        const HnbPkiCred *d = hnb_pki_device(k[i], 1, &error);
        g_assert_cmpint(X509_verify(d->cert, hnb_pki_mfr(k[0])->key), ==, 1);
    }
    g_assert_cmpuint(generated, >=, 1);
    for (int i = 0; i < 4; i++)
        hnb_pki_free(k[i]);
    /* no temporary files left behind */
    g_autoptr(HnbPki) again = pki_new(dir, NULL);
    g_autoptr(GDir) d = g_dir_open(hnb_pki_cache_path(again), 0, NULL);
    const char *n;
    while ((n = g_dir_read_name(d)))
        g_assert_false(n[0] == '.');
    rm_rf(dir);
}

static void test_export(void)
{
    g_autofree char *dir = tmpdir();
    g_autofree char *out = g_build_filename(dir, "pki", NULL);
    g_autoptr(HnbPki) k = pki_new(NULL, "1");
    g_autoptr(GError) error = NULL;
    g_assert_true(hnb_pki_export(k, out, 3, FALSE, &error));
    g_assert_no_error(error);
    static const char *const files[] = {"root.pem", "root.key", "hems.pem", "hems.key", "hems-chain.pem", "mfr.pem",
                                        "mfr.key", "crl.pem", "signing.pem", "signing.key", "tool-ca.pem",
                                        "tool-ca.key", "foreign.pem", "segw.pem", "segw.key",
                                        "foreign-dev0.pem", "dev0.pem", "dev2.key", "recovery-ca.pem",
                                        "recovery-ca.key", "recovery-crl.pem", "rec-dev0.pem", "rec-dev2.key",
                                        "README.txt"};
    g_autofree char *readme_path = g_build_filename(out, "README.txt", NULL);
    g_autofree char *readme = NULL;
    g_assert_true(g_file_get_contents(readme_path, &readme, NULL, NULL));
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *p = g_build_filename(out, files[i], NULL);
        g_assert_true(g_file_test(p, G_FILE_TEST_IS_REGULAR));
        g_assert_nonnull(strstr(readme, files[i]));
    }
    g_assert_nonnull(strstr(readme, "(revoked)"));
    /* dev1.pem is what hnb_pki_device gives */
    g_autofree char *p = g_build_filename(out, "dev1.pem", NULL);
    FILE *f = fopen(p, "r");
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    g_assert_cmpint(X509_cmp(x, hnb_pki_device(k, 1, &error)->cert), ==, 0);
    X509_free(x);
    /* the directory opens as a PKI again (what `hnbsim acs --pki DIR` does) */
    {
        g_autoptr(HnbPki) o = hnb_pki_open_export(out, &error);
        g_assert_no_error(error);
        g_assert_cmpint(X509_cmp(hnb_pki_hems(o)->cert, hnb_pki_hems(k)->cert), ==, 0);
        g_assert_cmpint(X509_cmp(hnb_pki_segw(o)->cert, hnb_pki_segw(k)->cert), ==, 0);
        g_assert_cmpstr(hnb_pki_params(o)->segw_fqdn, ==, "segw.operator.example");
        g_assert_cmpstr(hnb_pki_params(o)->realm, ==, "hnb.operator.example");
        g_assert_cmpint(hnb_pki_params(o)->epoch, ==, hnb_pki_params(k)->epoch);
        g_assert_true(hnb_pki_is_revoked(o, 1));
        g_assert_false(hnb_pki_is_revoked(o, 0));
        g_assert_cmpint(X509_cmp(hnb_pki_device(o, 2, &error)->cert, hnb_pki_device(k, 2, &error)->cert), ==, 0);
        const HnbPkiCred *d9 = hnb_pki_device(o, 9, &error); /* not exported: made with the directory's CA key */
        g_assert_no_error(error);
        g_assert_cmpint(X509_verify(d9->cert, hnb_pki_mfr(k)->key), ==, 1);
        /* the recovery CA, its CRL and the recovery credentials round-trip too */
        g_assert_cmpint(X509_cmp(hnb_pki_recovery_ca(o)->cert, hnb_pki_recovery_ca(k)->cert), ==, 0);
        g_assert_cmpint(X509_CRL_cmp(hnb_pki_recovery_crl(o), hnb_pki_recovery_crl(k)), ==, 0);
        g_assert_cmpint(X509_cmp(hnb_pki_recovery_device(o, 2, &error)->cert,
                                 hnb_pki_recovery_device(k, 2, &error)->cert), ==, 0);
        const HnbPkiCred *r9 = hnb_pki_recovery_device(o, 9, &error); /* made with the directory's recovery key */
        g_assert_no_error(error);
        g_assert_cmpint(X509_verify(r9->cert, hnb_pki_recovery_ca(k)->key), ==, 1);
    }
    /* the reader (kept key decoders) reads what the one-off path reads, for an EC device and the RSA H(e)MS, and
     * refuses a key that does not match its certificate, naming the file */
    {
        HnbPkiCredReader *r = hnb_pki_cred_reader_new(out);
        for (const char *n = "dev0\0rec-dev2\0hems\0dev1\0"; *n; n += strlen(n) + 1) {
            HnbPkiCred *a = hnb_pki_cred_reader_read(r, n, &error), *b = hnb_pki_read_export_cred(out, n, &error);
            g_assert_no_error(error);
            g_assert_cmpint(X509_cmp(a->cert, b->cert), ==, 0);
            g_assert_cmpint(EVP_PKEY_eq(a->key, b->key), ==, 1);
            hnb_pki_cred_free(a);
            hnb_pki_cred_free(b);
        }
        g_autofree char *k1 = g_build_filename(out, "dev1.key", NULL);
        g_autofree char *key1 = NULL;
        g_assert_true(g_file_get_contents(k1, &key1, NULL, NULL));
        g_autofree char *odd = g_build_filename(out, "odd.key", NULL), *odd_pem = g_build_filename(out, "odd.pem", NULL),
                        *dev0_pem = g_build_filename(out, "dev0.pem", NULL), *cert0 = NULL;
        g_assert_true(g_file_get_contents(dev0_pem, &cert0, NULL, NULL));
        g_assert_true(g_file_set_contents(odd_pem, cert0, -1, NULL)); /* dev0's certificate, dev1's key */
        g_assert_true(g_file_set_contents(odd, key1, -1, NULL));
        g_assert_null(hnb_pki_cred_reader_read(r, "odd", &error));
        g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
        g_assert_nonnull(strstr(error->message, "odd.key"));
        g_clear_error(&error);
        hnb_pki_cred_reader_free(r);
        g_unlink(odd);
        g_unlink(odd_pem);
    }
    /* an export made before the recovery CA existed (no recovery files): one is made in memory, its CRL from the
     * device CRL's revoked set */
    for (const char *n = "recovery-ca.pem\0recovery-ca.key\0recovery-crl.pem\0rec-dev0.pem\0rec-dev0.key\0"
                         "rec-dev1.pem\0rec-dev1.key\0rec-dev2.pem\0rec-dev2.key\0";
         *n; n += strlen(n) + 1) {
        g_autofree char *path = g_build_filename(out, n, NULL);
        g_assert_cmpint(g_unlink(path), ==, 0);
    }
    {
        g_autoptr(HnbPki) o = hnb_pki_open_export(out, &error);
        g_assert_no_error(error);
        g_assert_cmpint(X509_verify(hnb_pki_recovery_ca(o)->cert, hnb_pki_recovery_ca(o)->key), ==, 1);
        X509_CRL *rcrl = hnb_pki_recovery_crl(o);
        g_assert_cmpint(X509_CRL_verify(rcrl, hnb_pki_recovery_ca(o)->key), ==, 1);
        g_assert_cmpint(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(rcrl)), ==, 1);
        const HnbPkiCred *r1 = hnb_pki_recovery_device(o, 1, &error);
        g_assert_no_error(error);
        g_assert_cmpint(X509_verify(r1->cert, hnb_pki_recovery_ca(o)->key), ==, 1);
        X509_REVOKED *rev;
        g_assert_cmpint(X509_CRL_get0_by_cert(rcrl, &rev, r1->cert), ==, 1);
    }
    g_autofree char *missing = g_build_filename(dir, "nothing", NULL);
    g_assert_null(hnb_pki_open_export(missing, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_clear_error(&error);
    /* a non-empty directory is refused without force */
    g_assert_false(hnb_pki_export(k, out, 1, FALSE, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_clear_error(&error);
    g_assert_true(hnb_pki_export(k, out, 1, TRUE, &error));
    g_assert_no_error(error);
    rm_rf(dir);
}

/* The SeGW credential (TS 33.320 7.1/7.3): issued by the operator root, named by segw_fqdn, valid for the [pki]
 * window, of the [pki] segw_key type, and cached with the CA set (a second PKI on the cache loads the same one). */
static void test_segw(void)
{
    g_autofree char *dir = tmpdir();
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    p.cache_dir = g_strdup(dir);
    g_free(p.segw_fqdn);
    p.segw_fqdn = g_strdup("gw7.operator.example");
    p.segw_key = HNB_PKI_KEY_EC_P256;
    p.segw_issued_before = 2 * HNB_DAY;
    p.segw_lifetime = 10 * HNB_DAY;
    g_autoptr(GError) error = NULL;
    g_autoptr(HnbPki) k = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    const HnbPkiCred *s = hnb_pki_segw(k);
    g_assert_nonnull(s);
    g_assert_cmpint(X509_verify(s->cert, X509_get0_pubkey(hnb_pki_root(k)->cert)), ==, 1);
    g_assert_cmpint(X509_check_host(s->cert, "gw7.operator.example", 0, 0, NULL), ==, 1);
    g_assert_cmpint(X509_check_host(s->cert, "hems.operator.example", 0, 0, NULL), ==, 0);
    g_assert_true(EVP_PKEY_is_a(s->key, "EC"));
    g_assert_cmpint(X509_check_private_key(s->cert, s->key), ==, 1);
    time_t nb = (time_t)(p.epoch - 2 * 86400), na = (time_t)(p.epoch + 8 * 86400);
    g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_get0_notBefore(s->cert), nb), ==, 0);
    g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_get0_notAfter(s->cert), na), ==, 0);
    {
        g_autoptr(HnbPki) again = hnb_pki_new(&p, &error);
        g_assert_no_error(error);
        HnbPkiStats st;
        hnb_pki_stats(again, &st);
        g_assert_cmpuint(st.ca_generated, ==, 0);
        g_assert_cmpint(X509_cmp(hnb_pki_segw(again)->cert, s->cert), ==, 0);
    }
    /* another SeGW name is another cache directory */
    g_free(p.segw_fqdn);
    p.segw_fqdn = g_strdup("segw.operator.example");
    {
        g_autoptr(HnbPki) other = hnb_pki_new(&p, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(hnb_pki_cache_path(other), !=, hnb_pki_cache_path(k));
    }
    /* a bad name is refused */
    g_free(p.segw_fqdn);
    p.segw_fqdn = g_strdup("bad name");
    g_assert_null(hnb_pki_new(&p, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    hnb_pki_params_clear(&p);
    rm_rf(dir);
}

/* The golden module's recovery credential: issued by the recovery CA (not the manufacturer CA), with the device's
 * identity, serial and key type, its own validity window, revoked with the device, cached under rec/. */
static void test_recovery(void)
{
    g_autofree char *dir = tmpdir();
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    g_assert_cmpint(p.recovery_lifetime, ==, 7300 * HNB_DAY);
    p.cache_dir = g_strdup(dir);
    p.recovery_issued_before = 5 * HNB_DAY;
    g_autoptr(GError) error = NULL;
    g_assert_true(hnb_pki_parse_revoked("2", &p.revoked, &p.nrevoked, &error));
    g_autoptr(HnbPki) k = hnb_pki_new(&p, &error);
    g_assert_no_error(error);

    const HnbPkiCred *ca = hnb_pki_recovery_ca(k);
    g_assert_cmpint(X509_verify(ca->cert, ca->key), ==, 1); /* self-signed */
    g_assert_true(EVP_PKEY_is_a(ca->key, "RSA"));          /* ca_key */
    g_assert_cmpint(X509_cmp(ca->cert, hnb_pki_mfr(k)->cert), !=, 0);

    const HnbPkiCred *r = hnb_pki_recovery_device(k, 7, &error);
    g_assert_no_error(error);
    const HnbPkiCred *d = hnb_pki_device(k, 7, &error);
    g_assert_no_error(error);
    g_assert_true(r != d);
    g_assert_true(hnb_pki_recovery_device(k, 7, &error) == r); /* kept in memory */
    /* the device identity (CN = SAN), serial i + 1, key type device_key */
    g_autofree char *fqdn = hnb_pki_device_fqdn(k, 7);
    g_autofree char *id = hnb_pki_cert_identity(r->cert);
    g_assert_cmpstr(id, ==, fqdn);
    g_autofree char *dns = san_dns(r->cert);
    g_assert_cmpstr(dns, ==, fqdn);
    g_assert_cmpint(ASN1_INTEGER_get(X509_get0_serialNumber(r->cert)), ==, 8);
    g_assert_true(EVP_PKEY_is_a(r->key, "EC"));
    g_assert_cmpint(X509_check_private_key(r->cert, r->key), ==, 1);
    /* chains to the recovery CA and not to the manufacturer CA */
    g_assert_cmpint(X509_verify(r->cert, ca->key), ==, 1);
    g_assert_cmpint(X509_verify(r->cert, hnb_pki_mfr(k)->key), !=, 1);
    g_assert_cmpint(X509_verify(d->cert, ca->key), !=, 1);
    for (int with_recovery_ca = 0; with_recovery_ca <= 1; with_recovery_ca++) {
        X509_STORE *store = X509_STORE_new();
        X509_STORE_add_cert(store, with_recovery_ca ? ca->cert : hnb_pki_mfr(k)->cert);
        X509_STORE_CTX *v = X509_STORE_CTX_new();
        X509_STORE_CTX_init(v, store, r->cert, NULL);
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(v), (time_t)p.epoch);
        g_assert_cmpint(X509_verify_cert(v), ==, with_recovery_ca ? 1 : 0);
        if (!with_recovery_ca)
            g_assert_cmpint(X509_STORE_CTX_get_error(v), ==, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
        X509_STORE_CTX_free(v);
        X509_STORE_free(store);
    }
    /* its own window: from recovery_issued_before before the epoch for recovery_lifetime */
    time_t nb = (time_t)(p.epoch - 5 * 86400), na = (time_t)(p.epoch - 5 * 86400 + 7300 * 86400);
    g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_get0_notBefore(r->cert), nb), ==, 0);
    g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_get0_notAfter(r->cert), na), ==, 0);

    /* the recovery CRL: signed by the recovery CA, revoking HNB 2's recovery certificate like its device one */
    X509_CRL *crl = hnb_pki_recovery_crl(k);
    g_assert_cmpint(X509_CRL_verify(crl, ca->key), ==, 1);
    g_assert_cmpint(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), ==, 1);
    X509_REVOKED *rev;
    g_assert_cmpint(X509_CRL_get0_by_cert(crl, &rev, hnb_pki_recovery_device(k, 2, &error)->cert), ==, 1);
    g_assert_cmpint(X509_CRL_get0_by_cert(crl, &rev, r->cert), ==, 0);

    /* cached: rec/0/7.pem, and a second PKI on the cache loads the same CA and credential */
    g_autofree char *file = g_build_filename(hnb_pki_cache_path(k), "rec", "0", "7.pem", NULL);
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
    {
        g_autoptr(HnbPki) again = hnb_pki_new(&p, &error);
        g_assert_no_error(error);
        g_assert_cmpint(X509_cmp(hnb_pki_recovery_ca(again)->cert, ca->cert), ==, 0);
        const HnbPkiCred *r2 = hnb_pki_recovery_device(again, 7, &error);
        g_assert_no_error(error);
        g_assert_cmpint(X509_cmp(r2->cert, r->cert), ==, 0);
        HnbPkiStats st;
        hnb_pki_stats(again, &st);
        g_assert_cmpuint(st.ca_generated, ==, 0);
        g_assert_cmpuint(st.devices_loaded, ==, 1);
        g_assert_cmpuint(st.devices_generated, ==, 0);
    }
    /* another recovery lifetime is another cache directory */
    p.recovery_lifetime = 100 * HNB_DAY;
    {
        g_autoptr(HnbPki) other = hnb_pki_new(&p, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(hnb_pki_cache_path(other), !=, hnb_pki_cache_path(k));
    }
    hnb_pki_params_clear(&p);
    rm_rf(dir);
}

/* [pki] hems_key = rsa-4096: the H(e)MS presents a 4096-bit RSA key signed by the root, in a cache directory of its
 * own (the default's name unchanged), and again from the cache. */
static void test_hems_key(void)
{
    g_autofree char *dir = tmpdir();
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    p.cache_dir = g_strdup(dir);
    g_autoptr(GError) error = NULL;
    g_autoptr(HnbPki) base = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    g_assert_cmpint(EVP_PKEY_get_bits(hnb_pki_hems(base)->key), ==, 2048);
    p.hems_key = HNB_PKI_KEY_RSA_4096;
    g_autoptr(HnbPki) k = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    const HnbPkiCred *h = hnb_pki_hems(k);
    g_assert_true(EVP_PKEY_is_a(h->key, "RSA"));
    g_assert_cmpint(EVP_PKEY_get_bits(h->key), ==, 4096);
    g_assert_cmpint(X509_check_private_key(h->cert, h->key), ==, 1);
    g_assert_cmpint(X509_verify(h->cert, X509_get0_pubkey(hnb_pki_root(k)->cert)), ==, 1);
    g_assert_cmpstr(hnb_pki_cache_path(k), !=, hnb_pki_cache_path(base));
    g_autoptr(HnbPki) again = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    HnbPkiStats st;
    hnb_pki_stats(again, &st);
    g_assert_cmpuint(st.ca_generated, ==, 0);
    g_assert_cmpint(X509_cmp(hnb_pki_hems(again)->cert, h->cert), ==, 0);
    hnb_pki_params_clear(&p);
}

/* PEM text of a key (and a certificate after it, if given). */
static char *pem_of(EVP_PKEY *k, X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    g_assert_true(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1);
    if (x)
        g_assert_true(PEM_write_bio_X509(b, x) == 1);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = g_strndup(data, (gsize)n);
    BIO_free(b);
    return out;
}

/* The kept key decoder (pki_private.h): one context decodes key after key, each the one given (no stale output);
 * a key of another type than asked, with no context for it, still reads the general way; garbage reads nothing; a
 * credential whose certificate is not its key's is refused. */
static void test_key_decoder(void)
{
    PkiKeyDecoder d = {0};
    for (int i = 0; i < 3; i++) {
        EVP_PKEY *k = pki_keygen(HNB_PKI_KEY_EC_P256);
        g_autofree char *pem = pem_of(k, NULL);
        EVP_PKEY *got = pki_key_decoder_read(&d, EVP_PKEY_EC, pem, strlen(pem));
        g_assert_nonnull(got);
        g_assert_cmpint(EVP_PKEY_eq(got, k), ==, 1);
        g_assert_nonnull(d.ctx[0]); /* the kept context did it */
        EVP_PKEY_free(got);
        EVP_PKEY_free(k);
    }
    EVP_PKEY *rsa = pki_keygen(HNB_PKI_KEY_RSA_2048);
    g_autofree char *rsa_pem = pem_of(rsa, NULL);
    EVP_PKEY *got = pki_key_decoder_read(&d, EVP_PKEY_EC, rsa_pem, strlen(rsa_pem)); /* asked EC: falls back */
    g_assert_nonnull(got);
    g_assert_cmpint(EVP_PKEY_eq(got, rsa), ==, 1);
    EVP_PKEY_free(got);
    got = pki_key_decoder_read(NULL, EVP_PKEY_NONE, rsa_pem, strlen(rsa_pem)); /* no decoder at all */
    g_assert_cmpint(EVP_PKEY_eq(got, rsa), ==, 1);
    EVP_PKEY_free(got);
    static const char junk[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    g_assert_null(pki_key_decoder_read(&d, EVP_PKEY_EC, junk, strlen(junk)));
    ERR_clear_error();

    /* a credential: the device's own key and certificate read back; another key with it is refused */
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    p.no_cache = TRUE;
    g_autoptr(GError) error = NULL;
    g_autoptr(HnbPki) k = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    hnb_pki_params_clear(&p);
    const HnbPkiCred *dev = hnb_pki_device(k, 3, &error);
    g_assert_no_error(error);
    g_autofree char *both = pem_of(dev->key, dev->cert);
    HnbPkiCred *c = pki_read_cred_data(&d, EVP_PKEY_EC, both, strlen(both));
    g_assert_nonnull(c);
    g_assert_cmpint(X509_cmp(c->cert, dev->cert), ==, 0);
    g_assert_cmpint(EVP_PKEY_eq(c->key, dev->key), ==, 1);
    pki_cred_free(c);
    EVP_PKEY *other = pki_keygen(HNB_PKI_KEY_EC_P256);
    g_autofree char *mismatched = pem_of(other, dev->cert);
    g_assert_null(pki_read_cred_data(&d, EVP_PKEY_EC, mismatched, strlen(mismatched)));
    ERR_clear_error();
    EVP_PKEY_free(other);
    EVP_PKEY_free(rsa);
    pki_key_decoder_clear(&d);
}

/* hnb_pki_device_ref's bounded set: with a cache and room for 2, refs of devices 0, 1, 2 let device 0's parsed
 * credential go (parsed_dropped 1); a reference taken before stays good (the job holding it is unaffected); device 0
 * again is read back from the cache (devices_loaded), the same certificate and key; a device kept by hnb_pki_device
 * is shared, not read again; recovery credentials have their own set.  Without a cache nothing could give a
 * credential back, so it is kept (nothing dropped) and the same one is handed out each time. */
static void test_parsed_bounded(void)
{
    g_autofree char *dir = tmpdir();
    g_autoptr(GError) error = NULL;
    {
        g_autoptr(HnbPki) k = pki_new(dir, NULL);
        hnb_pki_set_parsed_max(k, 2);
        g_autoptr(HnbPkiCred) first = hnb_pki_device_ref(k, 0, FALSE, &error);
        g_assert_no_error(error);
        for (uint32_t i = 1; i <= 2; i++) {
            HnbPkiCred *c = hnb_pki_device_ref(k, i, FALSE, &error);
            g_assert_no_error(error);
            hnb_pki_cred_free(c);
        }
        HnbPkiStats st;
        hnb_pki_stats(k, &st);
        g_assert_cmpuint(st.parsed_dropped, ==, 1);
        g_assert_cmpuint(st.devices_generated, ==, 3);
        g_assert_true(EVP_PKEY_is_a(first->key, "EC")); /* still ours after the PKI let its copy go */
        g_assert_cmpint(X509_verify(first->cert, hnb_pki_mfr(k)->key), ==, 1);
        g_autoptr(HnbPkiCred) again = hnb_pki_device_ref(k, 0, FALSE, &error);
        g_assert_no_error(error);
        hnb_pki_stats(k, &st);
        g_assert_cmpuint(st.devices_loaded, ==, 1); /* read back, not made again */
        g_assert_cmpuint(st.devices_generated, ==, 3);
        g_assert_cmpuint(st.parsed_dropped, ==, 2);
        g_assert_cmpint(X509_cmp(again->cert, first->cert), ==, 0);
        g_assert_cmpint(EVP_PKEY_eq(again->key, first->key), ==, 1);
        /* kept by hnb_pki_device: shared */
        const HnbPkiCred *kept = hnb_pki_device(k, 5, &error);
        g_assert_no_error(error);
        g_autoptr(HnbPkiCred) shared = hnb_pki_device_ref(k, 5, FALSE, &error);
        g_assert_true(shared->cert == kept->cert && shared->key == kept->key);
        /* a recovery credential: its own set, the recovery CA's */
        g_autoptr(HnbPkiCred) rec = hnb_pki_device_ref(k, 0, TRUE, &error);
        g_assert_no_error(error);
        g_assert_cmpint(X509_verify(rec->cert, hnb_pki_recovery_ca(k)->key), ==, 1);
        hnb_pki_stats(k, &st);
        g_assert_cmpuint(st.parsed_dropped, ==, 2);
    }
    {
        g_autoptr(HnbPki) k = pki_new(NULL, NULL);
        hnb_pki_set_parsed_max(k, 1);
        g_autoptr(HnbPkiCred) a = hnb_pki_device_ref(k, 0, FALSE, &error);
        g_autoptr(HnbPkiCred) b = hnb_pki_device_ref(k, 1, FALSE, &error);
        g_autoptr(HnbPkiCred) a2 = hnb_pki_device_ref(k, 0, FALSE, &error);
        g_assert_no_error(error);
        g_assert_true(a2->cert == a->cert); /* kept: the one made, not another */
        HnbPkiStats st;
        hnb_pki_stats(k, &st);
        g_assert_cmpuint(st.parsed_dropped, ==, 0);
        g_assert_cmpuint(st.devices_generated, ==, 2);
    }
    rm_rf(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pki/parse", test_parse);
    g_test_add_func("/pki/scenario", test_scenario);
    g_test_add_func("/pki/identities", test_identities);
    g_test_add_func("/pki/cache", test_cache);
    g_test_add_func("/pki/cache-concurrent", test_cache_concurrent);
    g_test_add_func("/pki/export", test_export);
    g_test_add_func("/pki/segw", test_segw);
    g_test_add_func("/pki/recovery", test_recovery);
    g_test_add_func("/pki/hems-key", test_hems_key);
    g_test_add_func("/pki/key-decoder", test_key_decoder);
    g_test_add_func("/pki/parsed-bounded", test_parsed_bounded);
    return g_test_run();
}
