/* tests/test-signing.c — the signing-server model: working-hours arithmetic against a minute-by-minute reference,
 * the queue against closed forms (deterministic service, M/M/1), the Friday-evening approval, the recovery stage's
 * fluid sharing, exposure, determinism across pool threads, and the real signatures (a tampered manifest fails). */
#include <math.h>
#include <string.h>

#include "models/model.h"
#include "crypto/pki.h"
#include "crypto/sign_job.h"
#include "sim/stats.h"
#include "models/workhours.h"
#include "models/signing_risk.h"
#include "tests/model-run.h"

#define FRI (4 * HNB_DAY)
#define MON2 (7 * HNB_DAY)

/* ---- working hours ---- */

static HnbWorkHours hours(const char *text, gboolean weekdays)
{
    HnbWorkHours wh;
    GError *e = NULL;
    g_assert_true(hnb_workhours_parse(&wh, text, weekdays, &e));
    g_assert_no_error(e);
    return wh;
}

static void test_workhours_friday(void)
{
    HnbWorkHours wh = hours("08:00-18:00", TRUE);
    HnbTime fri1759 = FRI + 17 * HNB_HOUR + 59 * HNB_MIN;
    /* submitted Friday 17:59: one minute is left on Friday, the rest waits until Monday 08:00 */
    g_assert_cmpint(hnb_workhours_add(&wh, fri1759, HNB_MIN), ==, FRI + 18 * HNB_HOUR);
    g_assert_cmpint(hnb_workhours_add(&wh, fri1759, 2 * HNB_MIN), ==, MON2 + 8 * HNB_HOUR + HNB_MIN);
    g_assert_cmpint(hnb_workhours_add(&wh, fri1759, HNB_HOUR), ==, MON2 + 8 * HNB_HOUR + 59 * HNB_MIN);
    /* after hours and at the weekend nothing starts before Monday 08:00 */
    g_assert_cmpint(hnb_workhours_next(&wh, FRI + 18 * HNB_HOUR), ==, MON2 + 8 * HNB_HOUR);
    g_assert_cmpint(hnb_workhours_add(&wh, FRI + 18 * HNB_HOUR, 0), ==, MON2 + 8 * HNB_HOUR);
    g_assert_cmpint(hnb_workhours_add(&wh, 5 * HNB_DAY + 12 * HNB_HOUR, 30 * HNB_MIN), ==,
                    MON2 + 8 * HNB_HOUR + 30 * HNB_MIN);
    g_assert_false(hnb_workhours_open(&wh, 6 * HNB_DAY + 10 * HNB_HOUR));
    g_assert_true(hnb_workhours_open(&wh, 10 * HNB_HOUR));
    /* 100 h of work from Monday 08:00 is ten working days: Friday 18:00 of the next week */
    g_assert_cmpint(hnb_workhours_add(&wh, 8 * HNB_HOUR, 100 * HNB_HOUR), ==, 7 * HNB_DAY + FRI + 18 * HNB_HOUR);
    HnbWorkHours always = hours("always", FALSE);
    g_assert_cmpint(hnb_workhours_add(&always, FRI + 23 * HNB_HOUR, 3 * HNB_HOUR), ==, 5 * HNB_DAY + 2 * HNB_HOUR);
}

/* The reference: walk minute by minute, counting the minutes that lie inside a window. */
static gboolean naive_open(HnbTime start, HnbTime len, gboolean weekdays, HnbTime t)
{
    for (int64_t d = t / HNB_DAY - 1; d <= t / HNB_DAY; d++) {
        int64_t dow = (d % 7 + 7) % 7;
        HnbTime o = d * HNB_DAY + start;
        if ((!weekdays || dow < 5) && t >= o && t < o + len)
            return TRUE;
    }
    return FALSE;
}

static HnbTime naive_add(HnbTime start, HnbTime len, gboolean weekdays, HnbTime t, HnbTime work)
{
    while (!naive_open(start, len, weekdays, t))
        t += HNB_MIN;
    for (; work > 0; t += HNB_MIN)
        if (naive_open(start, len, weekdays, t))
            work -= HNB_MIN;
    return t;
}

static void test_workhours_reference(void)
{
    static const struct {
        const char *text;
        HnbTime start, len;
    } windows[] = {
        {"08:00-18:00", 8 * HNB_HOUR, 10 * HNB_HOUR},
        {"22:00-06:00", 22 * HNB_HOUR, 8 * HNB_HOUR}, /* past midnight: belongs to the day it opens on */
        {"00:00-24:00", 0, HNB_DAY},
        {"09:30-09:30", 9 * HNB_HOUR + 30 * HNB_MIN, HNB_DAY},
    };
    HnbStream s = hnb_stream(3, 0, "test.workhours");
    for (size_t w = 0; w < G_N_ELEMENTS(windows); w++)
        for (int weekdays = 0; weekdays < 2; weekdays++) {
            HnbWorkHours wh = hours(windows[w].text, weekdays);
            g_assert_cmpint(wh.start, ==, windows[w].start);
            g_assert_cmpint(wh.len, ==, windows[w].len);
            for (uint64_t k = 0; k < 200; k++) {
                HnbTime t = (HnbTime)(hnb_rng_uniform(s, k, 0) * 21 * 24 * 60) * HNB_MIN;
                HnbTime work = (HnbTime)(hnb_rng_uniform(s, k, 1) * 60 * 60) * HNB_MIN; /* up to 60 h */
                g_assert_cmpint(hnb_workhours_open(&wh, t), ==, naive_open(wh.start, wh.len, weekdays, t));
                g_assert_cmpint(hnb_workhours_add(&wh, t, work), ==, naive_add(wh.start, wh.len, weekdays, t, work));
            }
        }
}

static void test_workhours_parse_errors(void)
{
    static const char *const bad[] = {"", "8-18", "08:00", "08:00-", "25:00-26:00", "08:60-09:00", "24:00-08:00",
                                      "08:00-18:00x", "8:00-18:00", "sometimes"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        HnbWorkHours wh;
        GError *e = NULL;
        g_assert_false(hnb_workhours_parse(&wh, bad[i], TRUE, &e));
        g_assert_error(e, HNB_ERROR, HNB_ERROR_INPUT);
        g_assert_nonnull(strstr(e->message, "HH:MM-HH:MM"));
        g_error_free(e);
    }
}

/* ---- the model, run directly ---- */

static HnbScenario *load(const char *text, char **sets)
{
    GError *e = NULL;
    HnbScenario *sc = hnb_model_load_data(text, "test-signing.ini", sets, &e);
    g_assert_no_error(e);
    return sc;
}

static HnbMetrics *run_rep(const HnbScenario *sc, guint rep, unsigned pool_threads, HnbSeries **series)
{
    const HnbModel *model = hnb_model_find("signing");
    g_assert_nonnull(model);
    HnbProgress progress = {.pool_threads = pool_threads};
    HnbMetrics *m = hnb_metrics_new();
    HnbSeries *s = NULL, *cdf = NULL;
    GError *e = NULL;
    g_assert_true(model->run(sc, rep, &progress, m, &s, &cdf, &e));
    g_assert_no_error(e);
    g_assert_null(cdf);
    if (series)
        *series = s;
    else
        hnb_series_free(s);
    return m;
}

static double value(const HnbMetrics *m, const char *name)
{
    for (guint i = 0; i < m->items->len; i++)
        if (strcmp(g_array_index(m->items, HnbMetric, i).name, name) == 0)
            return g_array_index(m->items, HnbMetric, i).value;
    g_error("no metric %s", name);
}

/* No approval, one release of 4 variants at 1h, one server signing each in exactly 10 min: the images are signed at
 * 10, 20, 30 and 40 min — mean latency 25 min, campaign 40 min — and every signature is real and verifies. */
static void test_deterministic_queue(void)
{
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = det\nmodel = signing\nduration = 10d\n"
                                     "[signing]\nservers = 1\nservers_curve = 1 2 4\nvariants = 4\nservice = 10m\n"
                                     "[approval]\nrequired = false\n[release]\nstart = 1h\ninterval = 100d\n"
                                     "[emergency]\nenabled = false\n",
                                     NULL);
    g_autoptr(HnbMetrics) m = run_rep(sc, 0, 0, NULL);
    g_assert_cmpfloat(value(m, "releases"), ==, 1);
    g_assert_cmpfloat(value(m, "images_signed"), ==, 4);
    g_assert_cmpfloat(value(m, "signatures_verified"), ==, 4);
    g_assert_cmpfloat(value(m, "signatures_rejected"), ==, 0);
    g_assert_cmpfloat_with_epsilon(value(m, "release_latency_mean_h"), 25.0 / 60, 1e-12);
    g_assert_cmpfloat_with_epsilon(value(m, "release_all_signed_mean_h"), 40.0 / 60, 1e-12);
    g_assert_cmpfloat_with_epsilon(value(m, "hsm_wait_mean_h"), 15.0 / 60, 1e-12);
    g_assert_cmpfloat_with_epsilon(value(m, "hsm_utilisation"), 40.0 / (10 * 24 * 60), 1e-12);
    /* the curve: 2 servers sign two at a time (20 min), 4 servers all at once (10 min) */
    g_assert_cmpfloat_with_epsilon(value(m, "s1_release_all_signed_h"), 40.0 / 60, 1e-12);
    g_assert_cmpfloat_with_epsilon(value(m, "s2_release_all_signed_h"), 20.0 / 60, 1e-12);
    g_assert_cmpfloat_with_epsilon(value(m, "s4_release_all_signed_h"), 10.0 / 60, 1e-12);
    g_assert_true(isnan(value(m, "emergency_all_signed_h"))); /* no attack */
}

/* Poisson campaigns of one image into one server with exponential service: M/M/1 with lambda = 1/h, mu = 2/h.  Mean
 * time in system 1/(mu - lambda) = 1 h, mean wait rho/(mu - lambda) = 0.5 h; each within the 95% CI over 20
 * replications.  A 95% CI misses for about one seed in twenty; 400 replications of this scenario give
 * 0.993 +- 0.009 h (starting empty and leaving out the images unsigned at the end bias it down by well under 1%). */
static void test_mm1(void)
{
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = mm1\nmodel = signing\nduration = 1000h\nseed = 77\n"
                                     "[signing]\nservers = 1\nservers_curve = none\nvariants = 1\nservice = exp(30m)\n"
                                     "[approval]\nrequired = false\n[release]\nstart = 0s\ninterval = exp(1h)\n"
                                     "[emergency]\nenabled = false\n",
                                     NULL);
    enum { R = 20 };
    double sojourn[R], wait[R], mean, half;
    for (guint r = 0; r < R; r++) {
        g_autoptr(HnbMetrics) m = run_rep(sc, r, 0, NULL);
        sojourn[r] = value(m, "release_latency_mean_h");
        wait[r] = value(m, "hsm_wait_mean_h");
    }
    hnb_ci95(sojourn, R, &mean, &half);
    g_test_message("time in system %.4f +- %.4f h (exact 1)", mean, half);
    g_assert_cmpfloat(fabs(mean - 1.0), <=, half);
    g_assert_cmpfloat(half, <, 0.15); /* a CI that wide would prove nothing */
    hnb_ci95(wait, R, &mean, &half);
    g_test_message("wait %.4f +- %.4f h (exact 0.5)", mean, half);
    g_assert_cmpfloat(fabs(mean - 0.5), <=, half);
}

static const char *friday =
    "[scenario]\nname = friday\nmodel = signing\nduration = 14d\n"
    "[signing]\nservers = 1\nservers_curve = 1\nvariants = 1\nservice = 10m\n"
    "[approval]\napprovers = 1\ndelay = 1h\nhours = 08:00-18:00\ndays = weekdays\noncall_delay = 45m\n"
    "[release]\nstart = 20d\n[emergency]\nat = 4d17h59m\nbuild = 0s\n"
    "[recovery]\nhnbs = 1000\nimage_size = 50MB\nbandwidth = 10Gbps\naccess_link = 20Mbps\ncontact = 0s\n"
    "install = 0s\n";

/* The fix is submitted Friday 17:59: a 1 h approval is done Monday 08:59 and signed at 09:09, 63 h 10 min later.
 * 1000 HNBs at min(20 Mbit/s, 10 Gbit/s / 1000) = 10 Mbit/s fetch 400 Mbit in 40 s.  An on-call approver instead
 * takes 45 min of calendar time. */
static void test_friday_evening(void)
{
    g_autoptr(HnbScenario) sc = load(friday, NULL);
    g_autoptr(HnbMetrics) m = run_rep(sc, 0, 0, NULL);
    double signed_h = 63 + 10.0 / 60;
    g_assert_cmpfloat_with_epsilon(value(m, "emergency_first_signed_h"), signed_h, 1e-9);
    g_assert_cmpfloat_with_epsilon(value(m, "emergency_all_signed_h"), signed_h, 1e-9);
    g_assert_cmpfloat_with_epsilon(value(m, "fleet_recovered_h"), signed_h + 40.0 / 3600, 1e-9);
    g_assert_cmpfloat_with_epsilon(value(m, "recovery_hnb_hours"), 1000 * (signed_h + 40.0 / 3600), 1e-6);

    char *oncall[] = {"approval.emergency=oncall", NULL};
    g_autoptr(HnbScenario) sc2 = load(friday, oncall);
    g_autoptr(HnbMetrics) m2 = run_rep(sc2, 0, 0, NULL);
    g_assert_cmpfloat_with_epsilon(value(m2, "emergency_all_signed_h"), 55.0 / 60, 1e-9);
}

/* Two variants signed 10 s apart by one server; 1000 HNBs share 1 Gbit/s.  Variant 0's 500 HNBs get 2 Mbit/s for
 * 10 s, then all 1000 get 1 Mbit/s: variant 0 finishes its 380 Mbit left at +390 s, variant 1 (20 Mbit left) at
 * 2 Mbit/s 10 s later: the fleet is back 400 s after the first image is signed — all 400 Gbit at 1 Gbit/s. */
static void test_recovery_sharing(void)
{
    char *sets[] = {"signing.variants=2", "signing.service=10s", "approval.approvers=2", "recovery.bandwidth=1Gbps",
                    NULL};
    g_autoptr(HnbScenario) sc = load(friday, sets);
    g_autoptr(HnbMetrics) m = run_rep(sc, 0, 0, NULL);
    double first = value(m, "emergency_first_signed_h");
    g_assert_cmpfloat_with_epsilon(value(m, "emergency_all_signed_h") - first, 10.0 / 3600, 1e-9);
    g_assert_cmpfloat_with_epsilon(value(m, "fleet_recovered_h") - first, 400.0 / 3600, 1e-9);
    g_assert_cmpfloat_with_epsilon(value(m, "recovery_hnb_hours"), 500 * (first + 390.0 / 3600) +
                                                                      500 * (first + 400.0 / 3600), 1e-6);
}

/* P(compromise) = 1 - exp(-S (server + A person) horizon), and the simulated count agrees; with common random
 * numbers a larger S is compromised whenever a smaller one is. */
/* Replications 0..R-1 of sc, each handed to check (may be NULL): how many counted a key compromise? */
static unsigned compromised_reps(const HnbScenario *sc, guint R, void (*check)(const HnbMetrics *m, guint rep))
{
    unsigned hits = 0;
    for (guint r = 0; r < R; r++) {
        g_autoptr(HnbMetrics) m = run_rep(sc, r, 0, NULL);
        if (check)
            check(m, r);
        hits += value(m, "key_compromised") > 0;
    }
    return hits;
}

static void check_exposure(const HnbMetrics *m, guint r)
{
    if (r == 0) {
        g_assert_cmpfloat_with_epsilon(value(m, "compromise_rate_per_y"), 0.6, 1e-12);
        g_assert_cmpfloat_with_epsilon(value(m, "p_compromise"), 1 - exp(-0.6), 1e-12);
        g_assert_cmpfloat_with_epsilon(value(m, "s8_p_compromise"), 1 - exp(-1.6), 1e-12);
    }
    g_assert_cmpfloat(value(m, "s1_key_compromised"), <=, value(m, "s3_key_compromised"));
    g_assert_cmpfloat(value(m, "s3_key_compromised"), <=, value(m, "s8_key_compromised"));
    g_assert_cmpfloat(value(m, "s3_key_compromised"), ==, value(m, "key_compromised"));
}

static void test_exposure(void)
{
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = exp\nmodel = signing\nduration = 1d\nseed = 9\n"
                                     "[signing]\nservers = 3\nservers_curve = 1 3 8\n"
                                     "[approval]\napprovers = 2\n[release]\nstart = 20d\n[emergency]\nenabled = false\n"
                                     "[exposure]\nserver_rate = 0.1/y\nperson_rate = 0.05/y\nhorizon = 365d\n",
                                     NULL);
    enum { R = 400 };
    unsigned hits = compromised_reps(sc, R, check_exposure);
    double p = 1 - exp(-0.6), sd = sqrt(p * (1 - p) / R);
    g_test_message("simulated %.4f, analytic %.4f", (double)hits / R, p);
    g_assert_cmpfloat(fabs((double)hits / R - p), <, 3 * sd);
}

/* ---- quorum and key designs (seed doubt 3: what one compromised server or person yields) ---- */

/* Who signs for the attacker, case by case: a 2-of-3 quorum, per-server keys, threshold:2 of 3. */
static void test_risk_cases(void)
{
    gboolean host[3] = {FALSE, FALSE, FALSE};
    uint32_t officers[3] = {0, 0, 0};
    HnbSigningRisk quorum = {.servers = 3, .approvers = 3, .quorum = 2, .keys = HNB_SIGNING_KEYS_SHARED, .threshold = 1};
    /* one compromised officer signs nothing; two of the same server do; two of different servers do not */
    officers[0] = 1;
    g_assert_false(hnb_signing_attacker_signs(&quorum, host, officers));
    officers[1] = 1;
    g_assert_false(hnb_signing_attacker_signs(&quorum, host, officers));
    officers[1] = 0, officers[0] = 2;
    g_assert_true(hnb_signing_attacker_signs(&quorum, host, officers));
    /* quorum 1 (today's approval): one officer is enough */
    HnbSigningRisk one = quorum;
    one.quorum = 1;
    officers[0] = 1;
    g_assert_true(hnb_signing_attacker_signs(&one, host, officers));
    officers[0] = 0;
    /* a compromised host signs whatever the quorum, with shared or per-server keys */
    host[1] = TRUE;
    g_assert_true(hnb_signing_attacker_signs(&quorum, host, officers));
    HnbSigningRisk per = quorum;
    per.keys = HNB_SIGNING_KEYS_PER_SERVER;
    g_assert_true(hnb_signing_attacker_signs(&per, host, officers));
    /* threshold:2 — one compromised server signs nothing, two do (host or quorum of people) */
    HnbSigningRisk thr = {.servers = 3, .approvers = 3, .quorum = 2, .keys = HNB_SIGNING_KEYS_THRESHOLD,
                          .threshold = 2};
    g_assert_false(hnb_signing_attacker_signs(&thr, host, officers));
    officers[2] = 1;
    g_assert_false(hnb_signing_attacker_signs(&thr, host, officers));
    officers[2] = 2;
    g_assert_true(hnb_signing_attacker_signs(&thr, host, officers));
    /* what a compromise costs in signing capacity while its key is replaced */
    g_assert_cmpfloat(hnb_signing_capacity_after(&quorum), ==, 0);
    g_assert_cmpfloat_with_epsilon(hnb_signing_capacity_after(&per), 2.0 / 3, 1e-15);
    g_assert_cmpfloat_with_epsilon(hnb_signing_capacity_after(&thr), 2.0 / 3, 1e-15);
    thr.servers = 2;
    g_assert_cmpfloat(hnb_signing_capacity_after(&thr), ==, 0); /* 1 server left cannot make 2 shares */
}

/* The first time the attacker can sign, from compromise times: the quorum-th person of a server, the threshold-th
 * server. */
static void test_risk_first_time(void)
{
    /* 2 servers x 3 people; host times 50 and 9; people (server 0) 3, 7, 40 and (server 1) 1, 30, 20 */
    double host[2] = {50, 9}, person[6] = {3, 7, 40, 1, 30, 20};
    HnbSigningRisk r = {.servers = 2, .approvers = 3, .quorum = 1, .keys = HNB_SIGNING_KEYS_SHARED, .threshold = 1};
    g_assert_cmpfloat(hnb_signing_first_time(&r, host, person), ==, 1); /* today: the earliest of all */
    r.quorum = 2; /* server 0 signs at 7 (its second person), server 1 at min(9, 20) = 9 */
    g_assert_cmpfloat(hnb_signing_first_time(&r, host, person), ==, 7);
    r.keys = HNB_SIGNING_KEYS_THRESHOLD, r.threshold = 2; /* both servers: 9 */
    g_assert_cmpfloat(hnb_signing_first_time(&r, host, person), ==, 9);
    r.quorum = 4; /* more than the people: only the hosts sign, the later at 50 */
    g_assert_cmpfloat(hnb_signing_first_time(&r, host, person), ==, 50);
}

/* The analytic probability against a hand computation and against the model's simulated count.  Hand: a person falls
 * within the year with p = 1 - e^-0.2, a host with h = 1 - e^-0.1; a 2-of-3 quorum server signs with
 * q = 1 - (1 - h)(1 - P(>= 2 of 3 people)); threshold:2 of 3 servers then needs 2 of 3 such servers. */
static void test_risk_analytic(void)
{
    double yr = 365 * 86400.0, p = -expm1(-0.2), h = -expm1(-0.1);
    double two_of_three = 3 * p * p * (1 - p) + p * p * p;
    double q = 1 - (1 - h) * (1 - two_of_three);
    double want = 3 * q * q * (1 - q) + q * q * q;
    HnbSigningRisk r = {.servers = 3, .approvers = 3, .quorum = 2, .keys = HNB_SIGNING_KEYS_THRESHOLD, .threshold = 2};
    g_assert_cmpfloat_with_epsilon(hnb_signing_p_analytic(&r, 0.1 / yr, 0.2 / yr, yr), want, 1e-12);
    r.keys = HNB_SIGNING_KEYS_SHARED, r.threshold = 1;
    g_assert_cmpfloat_with_epsilon(hnb_signing_p_analytic(&r, 0.1 / yr, 0.2 / yr, yr), 1 - pow(1 - q, 3), 1e-12);
    r.quorum = 1; /* today's expression */
    g_assert_cmpfloat_with_epsilon(hnb_signing_p_analytic(&r, 0.1 / yr, 0.2 / yr, yr), -expm1(-3 * (0.1 + 3 * 0.2)),
                                   1e-15);

    /* the model's count over replications agrees with the analytic value (3 sd) */
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = thr\nmodel = signing\nduration = 1d\nseed = 11\n"
                                     "[signing]\nservers = 3\nservers_curve = none\nkeys = threshold:2\n"
                                     "[approval]\napprovers = 3\nquorum = 2\n[release]\nstart = 20d\n"
                                     "[emergency]\nenabled = false\n"
                                     "[exposure]\nserver_rate = 0.1/y\nperson_rate = 0.2/y\nhorizon = 365d\n",
                                     NULL);
    enum { R = 1000 };
    g_autoptr(HnbMetrics) m = run_rep(sc, 0, 0, NULL);
    g_assert_cmpfloat_with_epsilon(value(m, "p_compromise"), want, 1e-12);
    unsigned hits = compromised_reps(sc, R, NULL);
    double sd = sqrt(want * (1 - want) / R);
    g_test_message("threshold 2 of 3, quorum 2 of 3: simulated %.4f, analytic %.4f", (double)hits / R, want);
    g_assert_cmpfloat(fabs((double)hits / R - want), <, 3 * sd);
}

/* Latency by hand.  threshold:2 — every image needs a share from both of 2 servers: 4 images of 10 min take 40 min
 * (each server signs all four), against 20 min with one share each.  A 2-of-2 quorum with 1 h approvals in "always"
 * hours: one image at a time per server, so 4 images are approved at 1, 2, 3, 4 h (quorum 1: two at a time, 1 h and
 * 2 h) and signed 10 min after. */
static void test_threshold_quorum_latency(void)
{
    const char *text = "[scenario]\nname = lat\nmodel = signing\nduration = 10d\n"
                       "[signing]\nservers = 2\nservers_curve = none\nvariants = 4\nservice = 10m\n"
                       "[approval]\nrequired = false\n[release]\nstart = 1h\ninterval = 100d\n"
                       "[emergency]\nenabled = false\n";
    g_autoptr(HnbScenario) shared = load(text, NULL);
    g_autoptr(HnbMetrics) a = run_rep(shared, 0, 0, NULL);
    g_assert_cmpfloat_with_epsilon(value(a, "release_all_signed_mean_h"), 20.0 / 60, 1e-12);
    char *thr[] = {"signing.keys=threshold:2", NULL};
    g_autoptr(HnbScenario) threshold = load(text, thr);
    g_autoptr(HnbMetrics) b = run_rep(threshold, 0, 0, NULL);
    g_assert_cmpfloat_with_epsilon(value(b, "release_all_signed_mean_h"), 40.0 / 60, 1e-12);
    g_assert_cmpfloat(value(b, "images_signed"), ==, 4);
    g_assert_cmpfloat(value(b, "signatures_verified"), ==, 4); /* per-server keys, each share verified */
    g_assert_cmpfloat_with_epsilon(value(b, "release_latency_mean_h"), 25.0 / 60, 1e-12);

    char *q1[] = {"signing.servers=1", "approval.required=true", "approval.approvers=2", "approval.delay=1h",
                  "approval.hours=always", "approval.days=all", NULL};
    g_autoptr(HnbScenario) s1 = load(text, q1);
    g_autoptr(HnbMetrics) c = run_rep(s1, 0, 0, NULL);
    /* quorum 1: approved at 1 h, 1 h, 2 h, 2 h; signed 1:10, 1:20, 2:10, 2:20 -> all by 2 h 20 min */
    g_assert_cmpfloat_with_epsilon(value(c, "release_all_signed_mean_h"), 2 + 20.0 / 60, 1e-12);
    char *q2[] = {"signing.servers=1", "approval.required=true", "approval.approvers=2", "approval.quorum=2",
                  "approval.delay=1h", "approval.hours=always", "approval.days=all", NULL};
    g_autoptr(HnbScenario) s2 = load(text, q2);
    g_autoptr(HnbMetrics) d = run_rep(s2, 0, 0, NULL);
    g_assert_cmpfloat_with_epsilon(value(d, "release_all_signed_mean_h"), 4 + 10.0 / 60, 1e-12);
    g_assert_cmpfloat_with_epsilon(value(d, "approval_wait_mean_h"), (1 + 2 + 3 + 4) / 4.0, 1e-12);
}

/* Quorum 1 and shared keys are the model before those keys existed: the same seed gives the numbers the model gave
 * then (recorded with hnbsim run at commit 9a021a0, summary.json's 10 significant digits). */
static void test_special_case_pinned(void)
{
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = pin\nmodel = signing\nduration = 28d\nseed = 4\n"
                                     "[signing]\nservers = 2\nservers_curve = 1 2 3\nkeys = shared\n"
                                     "[approval]\napprovers = 2\nquorum = 1\n[release]\ninterval = exp(3d)\n"
                                     "[emergency]\nat = uniform(7d,14d)\n",
                                     NULL);
    g_autoptr(HnbMetrics) m = run_rep(sc, 0, 0, NULL);
    static const struct {
        const char *name;
        double value;
    } pinned[] = {
        {"images_signed", 64},
        {"release_latency_mean_h", 14.13607331},
        {"release_all_signed_mean_h", 15.90080714},
        {"approval_wait_mean_h", 14.26341308},
        {"emergency_all_signed_h", 73.22197185},
        {"fleet_recovered_h", 73.78731157},
        {"recovery_hnb_hours", 235310.1724},
        {"p_compromise", 0.07688365361},
        {"s1_all_signed_h", 73.94170887},
        {"s3_all_signed_h", 72.67416982},
        {"s3_p_compromise", 0.1130795633},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(pinned); i++) {
        double v = value(m, pinned[i].name);
        if (fabs(v - pinned[i].value) > 1e-9 * fabs(pinned[i].value))
            g_error("%s = %.10g, before quorum and keys %.10g", pinned[i].name, v, pinned[i].value);
    }
    /* one shared key: nobody signs while it is replaced */
    g_assert_cmpfloat(value(m, "capacity_after_compromise"), ==, 0);
}

/* Same scenario and replication: the same metrics and series, bit for bit, whether the signatures run inline or on
 * pool threads; another seed differs. */
static void test_determinism(void)
{
    const char *text = "[scenario]\nname = det\nmodel = signing\nduration = 28d\nseed = 4\n"
                       "[signing]\nservers_curve = 1 2 3\n[release]\ninterval = exp(3d)\n";
    g_autoptr(HnbScenario) sc = load(text, NULL);
    HnbSeries *s0, *s2;
    g_autoptr(HnbMetrics) a = run_rep(sc, 1, 0, &s0);
    g_autoptr(HnbMetrics) b = run_rep(sc, 1, 2, &s2);
    g_assert_cmpuint(a->items->len, ==, b->items->len);
    for (guint i = 0; i < a->items->len; i++) {
        const HnbMetric *x = &g_array_index(a->items, HnbMetric, i), *y = &g_array_index(b->items, HnbMetric, i);
        g_assert_cmpstr(x->name, ==, y->name);
        g_assert_cmpmem(&x->value, sizeof x->value, &y->value, sizeof y->value);
    }
    g_assert_cmpmem(s0->data->data, s0->data->len * sizeof(double), s2->data->data, s2->data->len * sizeof(double));
    g_assert_cmpfloat(value(a, "signatures_verified"), >, 0);
    hnb_series_free(s0);
    hnb_series_free(s2);
    char *other[] = {"scenario.seed=5", NULL};
    g_autoptr(HnbScenario) sc5 = load(text, other);
    g_autoptr(HnbMetrics) c = run_rep(sc5, 1, 0, NULL);
    g_assert_cmpfloat(value(a, "emergency_all_signed_h"), !=, value(c, "emergency_all_signed_h"));
}

/* The model's signature: real, verifying against the verification certificate; a tampered manifest or another
 * image's content fails. */
static void test_real_signature(void)
{
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    GError *e = NULL;
    g_autoptr(HnbPki) pki = hnb_pki_new(&pp, &e);
    hnb_pki_params_clear(&pp);
    g_assert_no_error(e);
    const HnbPkiCred *cred = hnb_pki_signing(pki);
    HnbSignJob job;
    hnb_sign_job_init(&job, cred->key, cred->cert, HNB_SIGN_EMERGENCY, 3, 50000000);
    job.keep = TRUE;
    hnb_sign_job_run(&job, NULL);
    g_assert_no_error(job.error);
    g_assert_cmpint(job.reason, ==, HNB_IMAGE_OK);
    uint8_t content[32];
    hnb_sign_job_content(&job, content);
    HnbImageManifest m;
    g_assert_cmpint(hnb_image_verify(&job.image, cred->cert, content, &m), ==, HNB_IMAGE_OK);
    g_assert_cmpstr(m.name, ==, "hnb-variant-3");
    g_assert_cmpstr(m.version, ==, "emergency-fix");

    /* the manifest altered after signing (another version) */
    char *v = strstr(job.image.text, "emergency-fix");
    g_assert_nonnull(v);
    v[0] = 'E';
    g_assert_cmpint(hnb_image_verify(&job.image, cred->cert, content, NULL), ==, HNB_IMAGE_BAD_SIGNATURE);
    v[0] = 'e';
    /* the signature altered */
    job.image.sig[job.image.siglen / 2] ^= 0x01;
    g_assert_cmpint(hnb_image_verify(&job.image, cred->cert, content, NULL), ==, HNB_IMAGE_BAD_SIGNATURE);
    job.image.sig[job.image.siglen / 2] ^= 0x01;
    /* a genuine manifest over other content: another variant's image */
    HnbSignJob other;
    hnb_sign_job_init(&other, cred->key, cred->cert, HNB_SIGN_EMERGENCY, 4, 50000000);
    uint8_t other_content[32];
    hnb_sign_job_content(&other, other_content);
    g_assert_cmpint(hnb_image_verify(&job.image, cred->cert, other_content, NULL), ==, HNB_IMAGE_CORRUPTED);
    /* verified with a certificate of another key */
    g_assert_cmpint(hnb_image_verify(&job.image, hnb_pki_hems(pki)->cert, content, NULL), !=, HNB_IMAGE_OK);
    g_assert_cmpint(hnb_image_verify(&job.image, cred->cert, content, NULL), ==, HNB_IMAGE_OK);
    hnb_sign_job_clear(&job);
}

/* Bad values: refused at load time naming file, group and key. */
static void test_bad_values(void)
{
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"[approval]\nhours = 8-18\n", "[approval] hours"},
        {"[signing]\nservers_curve = 3 2\n", "[signing] servers_curve"},
        {"[signing]\nservers_curve = 1 x\n", "[signing] servers_curve"},
        {"[signing]\nservers = 0\n", "servers"},
        {"[release]\ninterval = 0s\n", "[release] interval"},
        {"[exposure]\nserver_rate = often\n", "server_rate"},
        {"[approval]\nemergency = sometimes\n", "emergency"},
        {"[signing]\nkeys = several\n", "[signing] keys"},
        {"[signing]\nkeys = threshold:1\n", "threshold:K with K in 2..1000"},
        {"[signing]\nkeys = threshold:2x\n", "[signing] keys"},
        {"[signing]\nservers = 3\nservers_curve = 3 4\nkeys = threshold:4\n", "needs at least 4 servers"},
        {"[signing]\nservers = 3\nkeys = threshold:2\n", "start the curve at 2"}, /* default curve 1 2 3 4 6 8 */
        {"[approval]\napprovers = 2\nquorum = 3\n", "[approval] quorum = 3"},
        {"[approval]\nquorum = 0\n", "quorum"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        model_refuses("signing", cases[i].text, cases[i].expect);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/signing/workhours/friday", test_workhours_friday);
    g_test_add_func("/signing/workhours/reference", test_workhours_reference);
    g_test_add_func("/signing/workhours/parse-errors", test_workhours_parse_errors);
    g_test_add_func("/signing/queue/deterministic", test_deterministic_queue);
    g_test_add_func("/signing/queue/mm1", test_mm1);
    g_test_add_func("/signing/approval/friday-evening", test_friday_evening);
    g_test_add_func("/signing/recovery/sharing", test_recovery_sharing);
    g_test_add_func("/signing/exposure", test_exposure);
    g_test_add_func("/signing/special-case-pinned", test_special_case_pinned);
    g_test_add_func("/signing/risk/cases", test_risk_cases);
    g_test_add_func("/signing/risk/first-time", test_risk_first_time);
    g_test_add_func("/signing/risk/analytic", test_risk_analytic);
    g_test_add_func("/signing/threshold-quorum-latency", test_threshold_quorum_latency);
    g_test_add_func("/signing/determinism", test_determinism);
    g_test_add_func("/signing/real-signature", test_real_signature);
    g_test_add_func("/signing/bad-values", test_bad_values);
    return g_test_run();
}
