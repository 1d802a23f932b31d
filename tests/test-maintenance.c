/* tests/test-maintenance.c — local maintenance tools: real TLS sessions in which a tool acts as the HNB's H(e)MS
 * (valid, revoked before and after the HNB fetches the CRL, expired, out of its region), the same sessions with a
 * finder who cuts the HNB's WAN and power-cycles it (the clock and CRL maintenance.h says the HNB relies on), and the
 * maintenance model's extreme cases, mitigations, a hand check of the thief's gain, the defaults' pinned numbers and
 * determinism. */
#include "tests/model-run.h"
#include "crypto/pki.h"
#include "crypto/tls_engine.h"
#include "models/maintenance.h"

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

/* ---- the finder at the HNB: its clock and its CRL (maintenance.h), real sessions ----------------------------------- */

/* A session of `tool` with HNB 3 of region 0 at true time t, with what `h` says the HNB relies on then: its clock
 * and the CRL of that publication, listing `serial` from publication `listed_from` on. */
static HnbTlsReason thief_session(Fixture *f, const HnbPkiCred *tool, const HnbMaintHnb *h, HnbTime t,
                                  uint64_t serial, HnbTime listed_from, HnbMaintSession *out)
{
    HnbMaintSession s = hnb_maint_session(h, t);
    X509_CRL *crl = crl_listing(f, &serial, s.crl_pub >= listed_from ? 1 : 0, s.crl_pub);
    g_autofree char *host = hnb_pki_tool_host(f->pki, 0);
    HnbTlsToolJob job = {.pki = f->pki, .cfg = &f->cfg, .tool = tool, .crl = crl, .host = host,
                         .hnb = 3, .hnb_clock = s.clock, .tool_time = t};
    hnb_tls_tool_job_run(&job);
    g_test_message("t %" G_GINT64_FORMAT " clock %" G_GINT64_FORMAT " crl %" G_GINT64_FORMAT ": %s (%s) %s", t,
                   s.clock, s.crl_pub, hnb_tls_reason_name(job.reason), hnb_tls_side_name(job.side), job.detail);
    X509_CRL_free(crl);
    if (out)
        *out = s;
    return job.reason;
}

/* A power-cycled HNB whose saved clock lies before an expired short-validity tool certificate's notAfter accepts
 * that tool while its WAN is cut, and refuses it when the WAN is up and it re-syncs, or when its saved clock is past
 * notAfter. */
static void test_thief_power_cycle(void)
{
    Fixture f;
    fixture_init(&f);
    g_autoptr(GError) error = NULL;
    const HnbPkiCred *tool = hnb_pki_tool(f.pki, 7, 1, -1, 0, 2 * HNB_DAY, &error); /* valid [0, 2d] */
    g_assert_no_error(error);
    uint64_t serial = HNB_PKI_TOOL_SERIAL(7, 1);
    HnbTime never = 1000 * HNB_DAY; /* not revoked */
    /* saves its clock daily at 6 h; fetches the CRL weekly from t = 0; the finder cuts the WAN and power-cycles */
    HnbMaintHnb h = {.save_interval = HNB_DAY, .save_phase = 6 * HNB_HOUR, .fetch_interval = 7 * HNB_DAY,
                     .fetch_phase = 0, .crl_interval = HNB_DAY, .ntp_at_boot = TRUE, .cut_wan = TRUE,
                     .power_cycle = TRUE};
    HnbTime t = 2 * HNB_DAY + 3 * HNB_HOUR; /* 3 h after notAfter in true time */
    HnbMaintSession s;
    g_assert_cmpint(thief_session(&f, tool, &h, t, serial, never, &s), ==, HNB_TLS_OK);
    g_assert_cmpint(s.clock, ==, HNB_DAY + 6 * HNB_HOUR); /* its last save */
    g_assert_cmpint(hnb_maint_clock_lag(&h, t), ==, 21 * HNB_HOUR);
    /* the WAN up: NTP at boot re-syncs the clock before the session */
    h.cut_wan = FALSE;
    g_assert_cmpint(thief_session(&f, tool, &h, t, serial, never, &s), ==, HNB_TLS_EXPIRED);
    g_assert_cmpint(s.clock, ==, t);
    /* ... but an HNB that does not take the time at boot runs on from its save, WAN or not */
    h.ntp_at_boot = FALSE;
    g_assert_cmpint(thief_session(&f, tool, &h, t, serial, never, NULL), ==, HNB_TLS_OK);
    /* the saved clock past notAfter: refused whatever the WAN */
    h.cut_wan = TRUE;
    g_assert_cmpint(thief_session(&f, tool, &h, 3 * HNB_DAY + 7 * HNB_HOUR, serial, never, &s), ==, HNB_TLS_EXPIRED);
    g_assert_cmpint(s.clock, ==, 3 * HNB_DAY + 6 * HNB_HOUR);
    /* no power cycle: the WAN cut alone leaves the clock true */
    h.power_cycle = FALSE;
    g_assert_cmpint(thief_session(&f, tool, &h, t, serial, never, NULL), ==, HNB_TLS_EXPIRED);
    /* saved clock before the thisUpdate of the CRL the HNB fetched: OpenSSL's CRL check fails (not_yet_valid), so a
     * power cycle can cost the finder a session (the model's finder power-cycles only once his certificate expired) */
    h = (HnbMaintHnb){.save_interval = HNB_DAY, .save_phase = 6 * HNB_HOUR, .fetch_interval = HNB_HOUR,
                      .fetch_phase = 0, .crl_interval = HNB_HOUR, .cut_wan = TRUE, .power_cycle = TRUE};
    g_assert_cmpint(thief_session(&f, tool, &h, t, serial, never, &s), ==, HNB_TLS_NOT_YET_VALID);
    g_assert_cmpint(s.crl_pub, ==, 2 * HNB_DAY + 3 * HNB_HOUR);
    fixture_clear(&f);
}

/* A revoked tool is accepted until the HNB fetches a CRL that lists it, and refused after: with session CRL checks
 * and the WAN up right after the publication that lists it; with the WAN cut, until the WAN is back and a periodic
 * fetch happens. */
static void test_thief_revoked(void)
{
    Fixture f;
    fixture_init(&f);
    g_autoptr(GError) error = NULL;
    const HnbPkiCred *tool = hnb_pki_tool(f.pki, 7, 0, -1, -HNB_DAY, 9 * HNB_DAY, &error);
    g_assert_no_error(error);
    uint64_t serial = HNB_PKI_TOOL_SERIAL(7, 0);
    HnbTime listed = 2 * HNB_DAY; /* reported at 1d12h; the daily publication of 2d lists it */
    HnbMaintHnb h = {.fetch_interval = 7 * HNB_DAY, .fetch_phase = 3 * HNB_DAY, .crl_interval = HNB_DAY};
    /* periodic checks: accepted with the empty CRL it holds before its first fetch (3d), refused after it */
    g_assert_cmpint(thief_session(&f, tool, &h, listed + 6 * HNB_HOUR, serial, listed, NULL), ==, HNB_TLS_OK);
    g_assert_cmpint(thief_session(&f, tool, &h, 3 * HNB_DAY + HNB_HOUR, serial, listed, NULL), ==, HNB_TLS_REVOKED);
    /* session checks, WAN up: accepted just before the publication, refused right after it */
    h.crl_session = TRUE;
    HnbMaintSession s;
    g_assert_cmpint(thief_session(&f, tool, &h, listed - HNB_SEC, serial, listed, &s), ==, HNB_TLS_OK);
    g_assert_true(s.fetched);
    g_assert_cmpint(thief_session(&f, tool, &h, listed, serial, listed, &s), ==, HNB_TLS_REVOKED);
    g_assert_cmpint(s.crl_pub, ==, listed);
    /* session checks, WAN cut: the CRL it last fetched, so accepted until the periodic fetch after the WAN is back */
    h.cut_wan = TRUE;
    g_assert_cmpint(thief_session(&f, tool, &h, listed + 6 * HNB_HOUR, serial, listed, &s), ==, HNB_TLS_OK);
    g_assert_false(s.fetched);
    g_assert_cmpint(thief_session(&f, tool, &h, 3 * HNB_DAY + HNB_HOUR, serial, listed, NULL), ==, HNB_TLS_REVOKED);
    /* an HNB whose WAN stays cut (fetch phase beyond the run) accepts it the whole run */
    h.fetch_phase = h.fetch_interval = 365 * HNB_DAY;
    g_assert_cmpint(thief_session(&f, tool, &h, 8 * HNB_DAY, serial, listed, NULL), ==, HNB_TLS_OK);
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

/* The defaults (no finder at the HNB) give today's model: numbers pinned from the build before the HNB's own clock
 * and CRL came in (commit 9a021a0, replication 0 of these scenarios).  Integers exactly, the rest to the 10 digits
 * summary.csv prints. */
static void test_defaults_pinned(void)
{
    static const struct {
        const char *tools, *revocation;
        double compromised, attempts, ok, expired, revoked, handshakes, exposure, latency, fetches, cost;
    } pins[] = {
        {"validity = 2d\nscope = fleet", "crl_interval = 1d\nfetch_interval = 7d", 1216, 2673, 1893, 607, 173, 299,
         38.96255088, 190.8935655, 8571.428571, 183683.8571},
        {"validity = 730d\nscope = fleet", "crl_interval = 1h\nfetch_interval = 1h", 299, 1049, 327, 0, 722, 166,
         11.56023218, 11.56023218, 1440000, 45779},
    };
    for (guint k = 0; k < G_N_ELEMENTS(pins); k++) {
        g_autofree char *t = scenario(pins[k].tools, pins[k].revocation);
        Run r = model_run(&hnb_model_maintenance, t, 0);
        g_assert_cmpfloat(metric(&r, "compromised"), ==, pins[k].compromised);
        g_assert_cmpfloat(metric(&r, "attempts"), ==, pins[k].attempts);
        g_assert_cmpfloat(metric(&r, "attempts_ok"), ==, pins[k].ok);
        g_assert_cmpfloat(metric(&r, "attempts_expired"), ==, pins[k].expired);
        g_assert_cmpfloat(metric(&r, "attempts_revoked"), ==, pins[k].revoked);
        g_assert_cmpfloat(metric(&r, "handshakes_real"), ==, pins[k].handshakes);
        g_assert_cmpfloat_with_epsilon(metric(&r, "exposure_mean_h"), pins[k].exposure, 1e-8);
        g_assert_cmpfloat_with_epsilon(metric(&r, "revocation_latency_mean_h"), pins[k].latency, 1e-7);
        g_assert_cmpfloat_with_epsilon(metric(&r, "crl_fetches"), pins[k].fetches, 1e-6);
        g_assert_cmpfloat_with_epsilon(metric(&r, "total_cost"), pins[k].cost, 1e-4);
        run_clear(&r);
    }
}

/* The thief's gain by hand.  No revocation (no report within the run, one publication), 4-day certificates, clocks
 * saved every S = 2 d, finders who never give up.  Without the thief every attempt after notAfter is expired.  With
 * him an attempt at notAfter + x (0 <= x < S) lands on an HNB whose last save lags by a uniform [0, S): it is
 * accepted when the lag exceeds x (the saved clock is then in [notAfter - S, notAfter], and notBefore <= notAfter -
 * S since V >= S; the empty CRL of t = 0 is older than any such clock), so of the Poisson(rate) attempts in the
 * window (notAfter, notAfter + S) a Poisson number of mean rate·∫(1 - x/S)dx = rate·S/2 = 48 per tool turn from
 * expired to ok; the same attempts are made in both runs.  Tools are lost early (mean 3.65 d in a 30-day run), so
 * nearly every window ends in the run.  The exposure window grows by exactly S. */
static void test_thief_hand_check(void)
{
    const char *base = "[scenario]\nname = t\nmodel = maintenance\nduration = 30d\nseed = 5\n"
                       "[fleet]\nsize = 10000\nregions = 1\n"
                       "[tools]\ncount = 100\nloss_rate = 100/y\nvalidity = 4d\nscope = fleet\n"
                       "[revocation]\nreport_delay = const(3000d)\ncrl_interval = 365d\nfetch_interval = 7d\n"
                       "[attack]\nhostile = 1\nrate = 2/h\nregions = 1\ngive_up = 1000000\n"
                       "[power]\nclock_save_interval = 2d\n";
    g_autofree char *thief_t = g_strconcat(base, "[thief]\ncut_wan = true\npower_cycle = true\n", NULL);
    Run none = model_run(&hnb_model_maintenance, base, 0), thief = model_run(&hnb_model_maintenance, thief_t, 0);
    double tools = metric(&thief, "tools_hostile");
    g_assert_cmpfloat(tools, >=, 95);
    g_assert_cmpfloat(metric(&none, "attempts"), ==, metric(&thief, "attempts"));
    g_assert_cmpfloat(metric(&none, "attempts_revoked") + metric(&thief, "attempts_revoked"), ==, 0);
    double gained = metric(&none, "attempts_expired") - metric(&thief, "attempts_expired");
    double expect = tools * 2.0 * 48 / 2;
    g_test_message("attempts turned from expired to ok: %.0f, expected %.0f", gained, expect);
    g_assert_cmpfloat(fabs(gained - expect), <, 0.05 * expect); /* Poisson: sd ~1.5%% of 4,800 */
    g_assert_cmpfloat(metric(&thief, "attempts_ok") - metric(&none, "attempts_ok"), ==, gained);
    g_assert_cmpfloat(metric(&thief, "attempts_not_yet_valid"), ==, 0);
    g_assert_cmpfloat_with_epsilon(metric(&thief, "exposure_mean_h") - metric(&none, "exposure_mean_h"), 48, 1e-9);
    run_clear(&none);
    run_clear(&thief);
}

static void test_bad_input(void)
{
    model_refuses("maintenance", "[fleet]\nregions = 4\n[attack]\nregions = 5\n", "[attack] regions");
    model_refuses("maintenance", "[tools]\nscope = galaxy\n", "scope");
    model_refuses("maintenance", "[hnb]\ntool_crl_check = always\n", "[hnb] tool_crl_check");
    model_refuses("maintenance", "[hnb]\nntp_at_boot = often\n", "[hnb] ntp_at_boot");
    model_refuses("maintenance", "[thief]\ncut_wan = maybe\n", "[thief] cut_wan");
    model_refuses("maintenance", "[thief]\npower_cycle = sometimes\n", "[thief] power_cycle");
    model_refuses("maintenance", "[power]\nclock_save_interval = 5000d\n", "[power] clock_save_interval");
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
    g_test_add_func("/maintenance/thief/power-cycle", test_thief_power_cycle);
    g_test_add_func("/maintenance/thief/revoked", test_thief_revoked);
    g_test_add_func("/maintenance/thief/hand-check", test_thief_hand_check);
    g_test_add_func("/maintenance/defaults-pinned", test_defaults_pinned);
    g_test_add_func("/maintenance/bad-input", test_bad_input);
    g_test_add_func("/maintenance/determinism", test_determinism);
    return g_test_run();
}
