/* tests/test-maintenance.c — local maintenance tools: real TLS sessions in which a tool acts as the HNB's H(e)MS
 * (valid, revoked before and after the HNB fetches the CRL, expired, out of its region), and the maintenance model's
 * extreme cases, mitigations and determinism. */
#include "tests/model-run.h"
#include "crypto/pki.h"
#include "crypto/tls_engine.h"

#include <math.h>
#include <openssl/x509v3.h>

extern const HnbModel hnb_model_maintenance;

/* ---- tool sessions ----------------------------------------------------------------------------------------------- */

typedef struct {
    HnbPki *pki;
    HnbTlsConfig cfg;
} Fixture;

static void fixture_init(Fixture *f)
{
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    /* the cache: tool keys are RSA-2048 (slow to make), kept in the build tree by the test environment */
    g_autoptr(GError) error = NULL;
    f->pki = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    hnb_pki_params_clear(&p);
    hnb_tls_config_init(&f->cfg);
}

static void fixture_clear(Fixture *f)
{
    hnb_tls_config_clear(&f->cfg);
    hnb_pki_free(f->pki);
}

/* Tool 7 (generation 0, valid from 1 day before the epoch for 10 days, scoped to `scope`) against HNB 3 of `region`
 * at time t, holding `crl`. */
static HnbTlsToolJob session(Fixture *f, int scope, uint32_t region, X509_CRL *crl, HnbTime t)
{
    g_autoptr(GError) error = NULL;
    const HnbPkiCred *tool = hnb_pki_tool(f->pki, 7, 0, scope, -HNB_DAY, 9 * HNB_DAY, &error);
    g_assert_no_error(error);
    g_autofree char *host = hnb_pki_tool_host(f->pki, region);
    HnbTlsToolJob job = {.pki = f->pki, .cfg = &f->cfg, .tool = tool, .crl = crl, .host = host,
                         .hnb = 3, .hnb_clock = t, .tool_time = t};
    hnb_tls_tool_job_run(&job);
    g_test_message("scope %d, region %u, t %" G_GINT64_FORMAT ": %s (%s) %s", scope, region, t,
                   hnb_tls_reason_name(job.reason), hnb_tls_side_name(job.side), job.detail);
    job.host = NULL;
    return job;
}

static X509_CRL *crl_listing(Fixture *f, const uint64_t *serials, guint n, HnbTime at)
{
    g_autoptr(GError) error = NULL;
    X509_CRL *crl = hnb_pki_tool_crl(f->pki, serials, n, at, &error);
    g_assert_no_error(error);
    return crl;
}

static void test_tool_cert(void)
{
    Fixture f;
    fixture_init(&f);
    g_autoptr(GError) error = NULL;
    const HnbPkiCred *tool = hnb_pki_tool(f.pki, 7, 2, 4, 0, HNB_DAY, &error);
    g_assert_no_error(error);
    char cn[64];
    X509_NAME_get_text_by_NID(X509_get_subject_name(tool->cert), NID_commonName, cn, sizeof cn);
    g_assert_cmpstr(cn, ==, "tool-7");
    uint64_t serial;
    g_assert_cmpint(ASN1_INTEGER_get_uint64(&serial, X509_get0_serialNumber(tool->cert)), ==, 1);
    g_assert_cmpuint(serial, ==, HNB_PKI_TOOL_SERIAL(7, 2));
    g_assert_cmpint(X509_check_host(tool->cert, "region-4.tools.hnb.operator.example", 0, 0, NULL), ==, 1);
    g_assert_cmpint(X509_check_host(tool->cert, "region-5.tools.hnb.operator.example", 0, 0, NULL), ==, 0);
    /* issued by the tool CA, which the operator root issued; the chain goes with it */
    g_assert_cmpint(X509_verify(tool->cert, X509_get0_pubkey(hnb_pki_tool_ca(f.pki)->cert)), ==, 1);
    g_assert_cmpint(X509_verify(hnb_pki_tool_ca(f.pki)->cert, X509_get0_pubkey(hnb_pki_root(f.pki)->cert)), ==, 1);
    g_assert_cmpint(sk_X509_num(tool->chain), ==, 1);
    /* the same request gives the same credential; another generation another certificate, same key */
    g_assert_true(hnb_pki_tool(f.pki, 7, 2, 4, 0, HNB_DAY, &error) == tool);
    const HnbPkiCred *next = hnb_pki_tool(f.pki, 7, 3, 4, HNB_DAY, 2 * HNB_DAY, &error);
    g_assert_true(next != tool);
    g_assert_cmpint(EVP_PKEY_eq(next->key, tool->key), ==, 1);
    fixture_clear(&f);
}

static void test_valid(void)
{
    Fixture f;
    fixture_init(&f);
    X509_CRL *empty = crl_listing(&f, NULL, 0, 0);
    HnbTlsToolJob j = session(&f, -1, 2, empty, HNB_HOUR);
    g_assert_cmpint(j.reason, ==, HNB_TLS_OK);
    j = session(&f, 2, 2, empty, HNB_HOUR);
    g_assert_cmpint(j.reason, ==, HNB_TLS_OK);
    X509_CRL_free(empty);
    fixture_clear(&f);
}

static void test_revoked(void)
{
    Fixture f;
    fixture_init(&f);
    uint64_t serials[] = {HNB_PKI_TOOL_SERIAL(3, 0), HNB_PKI_TOOL_SERIAL(7, 0)};
    X509_CRL *before = crl_listing(&f, serials, 1, 0);      /* published before tool 7 was reported */
    X509_CRL *after = crl_listing(&f, serials, 2, HNB_DAY); /* the next publication lists it */
    /* the HNB that has not fetched the new CRL yet still accepts the tool; once it has, it refuses it */
    g_assert_cmpint(session(&f, -1, 0, before, 2 * HNB_DAY).reason, ==, HNB_TLS_OK);
    HnbTlsToolJob j = session(&f, -1, 0, after, 2 * HNB_DAY);
    g_assert_cmpint(j.reason, ==, HNB_TLS_REVOKED);
    g_assert_cmpint(j.side, ==, HNB_TLS_SIDE_HNB);
    /* another generation of the same tool (a new serial) is not revoked by it */
    g_autoptr(GError) error = NULL;
    const HnbPkiCred *gen1 = hnb_pki_tool(f.pki, 7, 1, -1, 0, 9 * HNB_DAY, &error);
    g_autofree char *host = hnb_pki_tool_host(f.pki, 0);
    HnbTlsToolJob k = {.pki = f.pki, .cfg = &f.cfg, .tool = gen1, .crl = after, .host = host,
                       .hnb = 3, .hnb_clock = 2 * HNB_DAY, .tool_time = 2 * HNB_DAY};
    hnb_tls_tool_job_run(&k);
    g_assert_cmpint(k.reason, ==, HNB_TLS_OK);
    /* without a CRL check (an H(e)MS-style session) revocation is not seen at all */
    g_assert_cmpint(session(&f, -1, 0, NULL, 2 * HNB_DAY).reason, ==, HNB_TLS_OK);
    X509_CRL_free(before);
    X509_CRL_free(after);
    fixture_clear(&f);
}

static void test_expired(void)
{
    Fixture f;
    fixture_init(&f);
    X509_CRL *empty = crl_listing(&f, NULL, 0, 0);
    g_assert_cmpint(session(&f, -1, 0, empty, 8 * HNB_DAY).reason, ==, HNB_TLS_OK);
    HnbTlsToolJob j = session(&f, -1, 0, empty, 10 * HNB_DAY);
    g_assert_cmpint(j.reason, ==, HNB_TLS_EXPIRED);
    g_assert_cmpint(j.side, ==, HNB_TLS_SIDE_HNB);
    X509_CRL_free(empty);
    fixture_clear(&f);
}

static void test_other_region(void)
{
    Fixture f;
    fixture_init(&f);
    X509_CRL *empty = crl_listing(&f, NULL, 0, 0);
    HnbTlsToolJob j = session(&f, 2, 5, empty, HNB_HOUR);
    g_assert_cmpint(j.reason, ==, HNB_TLS_HOSTNAME_MISMATCH);
    g_assert_cmpint(j.side, ==, HNB_TLS_SIDE_HNB);
    g_assert_cmpint(session(&f, -1, 5, empty, HNB_HOUR).reason, ==, HNB_TLS_OK); /* fleet-wide scope */
    X509_CRL_free(empty);
    fixture_clear(&f);
}

/* ---- the model --------------------------------------------------------------------------------------------------- */

/* 2,000 HNBs in 10 regions, 60 tools each lost about once a month, every finder hostile. */
static char *scenario(const char *tools, const char *revocation)
{
    return g_strdup_printf("[scenario]\nname = t\nmodel = maintenance\nduration = 30d\nseed = 4\n"
                           "[fleet]\nsize = 2000\nregions = 10\n"
                           "[tools]\ncount = 60\nloss_rate = 12/y\n%s\n"
                           "[revocation]\nreport_delay = uniform(0s,1d)\n%s\n"
                           "[attack]\nrate = 2/h\nregions = 3\n",
                           tools, revocation);
}

static void test_no_losses(void)
{
    g_autofree char *t = g_strdup_printf("[scenario]\nname = t\nmodel = maintenance\nduration = 10d\n"
                                         "[fleet]\nsize = 500\n[tools]\nloss_rate = 0/s\n");
    Run r = model_run(&hnb_model_maintenance, t, 0);
    g_assert_cmpfloat(metric(&r, "tools_lost"), ==, 0);
    g_assert_cmpfloat(metric(&r, "attempts"), ==, 0);
    g_assert_cmpfloat(metric(&r, "compromised"), ==, 0);
    g_assert_cmpfloat(metric(&r, "handshakes_real"), ==, 0);
    run_clear(&r);
}

static void test_mitigations(void)
{
    g_autofree char *base_t = scenario("validity = 730d\nscope = fleet", "crl_interval = 1d\nfetch_interval = 7d");
    g_autofree char *short_t = scenario("validity = 2d\nscope = fleet", "crl_interval = 1d\nfetch_interval = 7d");
    g_autofree char *region_t = scenario("validity = 730d\nscope = region", "crl_interval = 1d\nfetch_interval = 7d");
    g_autofree char *fast_t = scenario("validity = 730d\nscope = fleet", "crl_interval = 1h\nfetch_interval = 1h");
    Run base = model_run(&hnb_model_maintenance, base_t, 0), shrt = model_run(&hnb_model_maintenance, short_t, 0),
        reg = model_run(&hnb_model_maintenance, region_t, 0), fast = model_run(&hnb_model_maintenance, fast_t, 0);
    double lost = metric(&base, "tools_lost");
    g_assert_cmpfloat(lost, >, 10);
    /* common random numbers: the same tools are lost in every variant */
    g_assert_cmpfloat(metric(&shrt, "tools_lost"), ==, lost);
    g_assert_cmpfloat(metric(&fast, "tools_lost"), ==, lost);
    /* the baseline: nothing refuses a lost tool until the weekly CRL fetch; it refuses revoked tools after it */
    g_assert_cmpfloat(metric(&base, "compromised"), >, 200);
    g_assert_cmpfloat(metric(&base, "attempts_revoked"), >, 0);
    g_assert_cmpfloat(metric(&base, "attempts_expired"), ==, 0);
    g_assert_cmpfloat(metric(&base, "attempts_hostname_mismatch"), ==, 0);
    /* short validity: expired certificates are refused, fewer HNBs fall, at the price of many more certificates */
    g_assert_cmpfloat(metric(&shrt, "attempts_expired"), >, 0);
    g_assert_cmpfloat(metric(&shrt, "compromised"), <, 0.7 * metric(&base, "compromised"));
    g_assert_cmpfloat(metric(&shrt, "tool_certs_issued"), >, 10 * metric(&base, "tool_certs_issued"));
    g_assert_cmpfloat(metric(&shrt, "exposure_mean_h"), <=, 48);
    /* region scope: out-of-region HNBs refuse the tool by name */
    g_assert_cmpfloat(metric(&reg, "attempts_hostname_mismatch"), >, 0);
    g_assert_cmpfloat(metric(&reg, "compromised"), <, 0.7 * metric(&base, "compromised"));
    /* fast revocation: the exposure is the report delay plus at most two hours */
    g_assert_cmpfloat(metric(&fast, "revocation_latency_mean_h"), <, 26);
    g_assert_cmpfloat(metric(&fast, "revocation_latency_mean_h"), <, metric(&base, "revocation_latency_mean_h"));
    g_assert_cmpfloat(metric(&fast, "compromised"), <, 0.7 * metric(&base, "compromised"));
    /* every attempt has one outcome */
    for (const Run *r = &base; r; r = r == &base ? &shrt : r == &shrt ? &reg : r == &reg ? &fast : NULL)
        g_assert_cmpfloat(metric(r, "attempts_ok") + metric(r, "attempts_revoked") + metric(r, "attempts_expired") +
                              metric(r, "attempts_hostname_mismatch"),
                          ==, metric(r, "attempts"));
    run_clear(&base);
    run_clear(&shrt);
    run_clear(&reg);
    run_clear(&fast);
}

static void test_bad_input(void)
{
    GError *error = NULL;
    g_assert_null(hnb_model_load_data("[scenario]\nname = x\nmodel = maintenance\n[fleet]\nregions = 4\n"
                                      "[attack]\nregions = 5\n",
                                      "bad.ini", NULL, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_nonnull(strstr(error->message, "bad.ini"));
    g_assert_nonnull(strstr(error->message, "[attack] regions"));
    g_clear_error(&error);
    g_assert_null(hnb_model_load_data("[scenario]\nname = x\nmodel = maintenance\n[tools]\nscope = galaxy\n",
                                      "bad.ini", NULL, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_nonnull(strstr(error->message, "scope"));
    g_clear_error(&error);
}

static void test_determinism(void)
{
    g_autofree char *t = scenario("validity = 3d\nscope = region", "crl_interval = 6h\nfetch_interval = 1d");
    Run a = model_run(&hnb_model_maintenance, t, 0), b = model_run(&hnb_model_maintenance, t, 0),
        c = model_run(&hnb_model_maintenance, t, 1);
    g_assert_true(same_run(&a, &b));
    g_assert_false(same_run(&a, &c));
    g_assert_cmpfloat(metric(&a, "compromised"), >, 0);
    g_assert_cmpfloat(metric(&a, "compromised"), !=, metric(&c, "compromised")); /* another replication */
    run_clear(&a);
    run_clear(&b);
    run_clear(&c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/maintenance/tool-cert", test_tool_cert);
    g_test_add_func("/maintenance/session/valid", test_valid);
    g_test_add_func("/maintenance/session/revoked", test_revoked);
    g_test_add_func("/maintenance/session/expired", test_expired);
    g_test_add_func("/maintenance/session/other-region", test_other_region);
    g_test_add_func("/maintenance/no-losses", test_no_losses);
    g_test_add_func("/maintenance/mitigations", test_mitigations);
    g_test_add_func("/maintenance/bad-input", test_bad_input);
    g_test_add_func("/maintenance/determinism", test_determinism);
    return g_test_run();
}
