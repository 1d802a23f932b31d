/* tests/test-cwmp.c — TR-069 event-code formatting, session round trips and the Session Retry Policy windows
 * (TR-069 §3.2.1.1) and draws. */
#include "models/cwmp.h"

#include <math.h>
#include <string.h>

/* ---- event codes ---- */

static void check_format(unsigned events, const char *expect)
{
    char buf[96];
    g_assert_cmpstr(hnb_cwmp_events_format(events, buf, sizeof buf), ==, expect);
}

static void test_format(void)
{
    check_format(0, "");
    check_format(HNB_CWMP_EV_PERIODIC, "2 PERIODIC");
    check_format(HNB_CWMP_EV_BOOT | HNB_CWMP_EV_BOOTSTRAP, "0 BOOTSTRAP,1 BOOT");
    /* after a firmware upgrade */
    check_format(HNB_CWMP_EV_M_DOWNLOAD | HNB_CWMP_EV_TRANSFER_COMPLETE | HNB_CWMP_EV_BOOT,
                 "1 BOOT,7 TRANSFER COMPLETE,M Download");
    /* after an ACS-requested reboot */
    check_format(HNB_CWMP_EV_M_REBOOT | HNB_CWMP_EV_BOOT, "1 BOOT,M Reboot");
    /* TR-069 Table 7 order: digits first, then M Reboot before M Download */
    check_format(HNB_CWMP_EV_M_DOWNLOAD | HNB_CWMP_EV_M_REBOOT, "M Reboot,M Download");
    check_format(0x3f, "0 BOOTSTRAP,1 BOOT,2 PERIODIC,7 TRANSFER COMPLETE,M Reboot,M Download");
    /* the download campaign's call-back after a cut download: the longest set the model makes fits 96 bytes */
    check_format(0x7f, "0 BOOTSTRAP,1 BOOT,2 PERIODIC,6 CONNECTION REQUEST,7 TRANSFER COMPLETE,M Reboot,M Download");
    check_format(HNB_CWMP_EV_PERIODIC | (1u << 20), "2 PERIODIC"); /* bits without a code are ignored */
}

static void test_format_short_buffer(void)
{
    char buf[8];
    memset(buf, 'x', sizeof buf);
    hnb_cwmp_events_format(HNB_CWMP_EV_BOOTSTRAP | HNB_CWMP_EV_BOOT, buf, sizeof buf);
    g_assert_cmpstr(buf, ==, "0 BOOTS"); /* truncated, terminated, nothing written past n */
}

/* ---- round trips ---- */

static void test_round_trips(void)
{
    /* Inform + the empty POST that the ACS ends at once */
    g_assert_cmpuint(hnb_cwmp_round_trips(HNB_CWMP_EV_PERIODIC, HNB_CWMP_ACS_NOTHING), ==, 2);
    g_assert_cmpuint(hnb_cwmp_round_trips(HNB_CWMP_EV_BOOTSTRAP | HNB_CWMP_EV_BOOT, HNB_CWMP_ACS_NOTHING), ==, 2);
    /* Inform, empty POST -> Download, DownloadResponse -> end */
    g_assert_cmpuint(hnb_cwmp_round_trips(HNB_CWMP_EV_PERIODIC, HNB_CWMP_ACS_DOWNLOAD), ==, 3);
    g_assert_cmpuint(hnb_cwmp_round_trips(HNB_CWMP_EV_PERIODIC, HNB_CWMP_ACS_REBOOT), ==, 3);
    /* after the upgrade: Inform, TransferComplete, empty POST */
    unsigned after = HNB_CWMP_EV_BOOT | HNB_CWMP_EV_TRANSFER_COMPLETE | HNB_CWMP_EV_M_DOWNLOAD;
    g_assert_cmpuint(hnb_cwmp_round_trips(after, HNB_CWMP_ACS_NOTHING), ==, 3);
    g_assert_cmpuint(hnb_cwmp_round_trips(after, HNB_CWMP_ACS_DOWNLOAD), ==, 4);
    /* "M Download" alone does not send TransferComplete: only "7" does */
    g_assert_cmpuint(hnb_cwmp_round_trips(HNB_CWMP_EV_M_DOWNLOAD, HNB_CWMP_ACS_NOTHING), ==, 2);
}

/* ---- retry windows ---- */

static void check_window(const HnbCwmpRetry *p, unsigned n, HnbTime lo, HnbTime hi)
{
    HnbTime l = -1, h = -1;
    hnb_cwmp_retry_window(p, n, &l, &h);
    if (l != lo || h != hi)
        g_error("m=%" G_GINT64_FORMAT " k=%u n=%u: window [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                "], expected [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                p->min_wait, p->multiplier, n, l, h, lo, hi);
}

static void test_default_table(void)
{
    HnbCwmpRetry p = {5 * HNB_SEC, 2000};
    /* 5-10, 10-20, 20-40, 40-80, 80-160, 160-320, 320-640, 640-1280, 1280-2560 s */
    for (unsigned n = 1; n <= 9; n++)
        check_window(&p, n, (5 * HNB_SEC) << (n - 1), (5 * HNB_SEC) << n);
    check_window(&p, 9, 1280 * HNB_SEC, 2560 * HNB_SEC);
    /* capped from n = 10 on */
    const unsigned capped[] = {10, 11, 12, 100, G_MAXUINT};
    for (size_t i = 0; i < G_N_ELEMENTS(capped); i++)
        check_window(&p, capped[i], 2560 * HNB_SEC, 5120 * HNB_SEC);
    check_window(&p, 0, 5 * HNB_SEC, 10 * HNB_SEC); /* n = 0 is taken as the first retry */
}

static void test_constant(void)
{
    /* k = 1000: every retry waits exactly m */
    HnbCwmpRetry p = {30 * HNB_SEC, 1000};
    for (unsigned n = 1; n <= 12; n++) {
        check_window(&p, n, 30 * HNB_SEC, 30 * HNB_SEC);
        g_assert_cmpint(hnb_cwmp_retry_wait(&p, n, 0.37), ==, 30 * HNB_SEC);
    }
}

/* m (3/2)^e against the exact rational, rounded to the nearest ns (half away from zero, as llround). */
static void test_k1500(void)
{
    const HnbTime ms[] = {5 * HNB_SEC, 1 * HNB_SEC, 7 * HNB_SEC, 65535 * HNB_SEC};
    for (size_t i = 0; i < G_N_ELEMENTS(ms); i++) {
        HnbCwmpRetry p = {ms[i], 1500};
        for (unsigned n = 1; n <= 11; n++) {
            HnbTime lo, hi;
            hnb_cwmp_retry_window(&p, n, &lo, &hi);
            unsigned e = MIN(n, 10u);
            /* m · 3^e / 2^e: m · 3^10 < 2^63 for m <= 65535 s, so the numerator is exact in int64 */
            int64_t num_hi = ms[i] * (int64_t)pow(3, e), num_lo = ms[i] * (int64_t)pow(3, e - 1);
            double want_hi = (double)num_hi / (double)(1 << e), want_lo = (double)num_lo / (double)(1 << (e - 1));
            g_assert_cmpfloat(fabs((double)hi - want_hi), <=, 0.5);
            g_assert_cmpfloat(fabs((double)lo - want_lo), <=, 0.5);
        }
    }
    HnbCwmpRetry p = {5 * HNB_SEC, 1500};
    check_window(&p, 1, 5 * HNB_SEC, 7500 * HNB_MSEC);
    check_window(&p, 2, 7500 * HNB_MSEC, 11250 * HNB_MSEC);
    check_window(&p, 3, 11250 * HNB_MSEC, 16875 * HNB_MSEC);
    /* 5e9 · 1.5^10 = 288325195312.5 ns: the only inexact step, rounded half up */
    check_window(&p, 10, 192216796875, 288325195313);
}

static void test_other_multipliers(void)
{
    /* k = 65535 (the largest): 65.535^n; windows past HnbTime saturate */
    HnbCwmpRetry p = {1 * HNB_SEC, 65535};
    check_window(&p, 1, HNB_SEC, 65535 * HNB_MSEC);
    check_window(&p, 2, 65535 * HNB_MSEC, 4294836225 * HNB_USEC);
    HnbTime lo, hi;
    hnb_cwmp_retry_window(&p, 10, &lo, &hi);
    g_assert_cmpint(lo, ==, HNB_TIME_NEVER);
    g_assert_cmpint(hi, ==, HNB_TIME_NEVER);
    g_assert_cmpint(hnb_cwmp_retry_wait(&p, 10, 0.5), ==, HNB_TIME_NEVER);
    /* k = 1001: not exact in binary; within 1 ns of the long-double value */
    HnbCwmpRetry q = {65535 * HNB_SEC, 1001};
    for (unsigned n = 1; n <= 10; n++) {
        hnb_cwmp_retry_window(&q, n, &lo, &hi);
        long double want = (long double)q.min_wait * powl(1.001L, n);
        g_assert_cmpfloat(fabsl((long double)hi - want), <=, 1.0L);
        g_assert_cmpint(lo, <, hi);
    }
    /* m = 1 ns: the smallest window, exact */
    HnbCwmpRetry r = {1, 2000};
    check_window(&r, 10, 512, 1024);
}

/* ---- draws ---- */

static void check_draws(const HnbCwmpRetry *p, unsigned n, HnbStream s)
{
    enum { DRAWS = 100000, BINS = 10 };
    HnbTime lo, hi;
    hnb_cwmp_retry_window(p, n, &lo, &hi);
    guint bins[BINS] = {0};
    double sum = 0;
    for (uint64_t i = 0; i < DRAWS; i++) {
        HnbTime w = hnb_cwmp_retry_wait(p, n, hnb_rng_uniform(s, n, i));
        g_assert_cmpint(w, >=, lo);
        g_assert_cmpint(w, <=, hi);
        sum += (double)w;
        if (hi > lo)
            bins[MIN((guint)((double)(w - lo) / (double)(hi - lo) * BINS), BINS - 1u)]++;
    }
    double mid = (double)lo + ((double)hi - (double)lo) / 2;
    g_assert_cmpfloat(fabs(sum / DRAWS - mid), <=, 0.01 * mid);
    /* roughly uniform: each tenth of the window gets 10% ± 0.5% (about 5 standard deviations) */
    for (guint b = 0; b < BINS && hi > lo; b++)
        g_assert_cmpuint(bins[b], >=, DRAWS / BINS * 95 / 100);
}

static void test_draws(void)
{
    HnbStream s = hnb_stream(20240601, 0, "cwmp.retry");
    HnbCwmpRetry def = {5 * HNB_SEC, 2000}, k1500 = {5 * HNB_SEC, 1500}, k1000 = {5 * HNB_SEC, 1000};
    for (unsigned n = 1; n <= 12; n++) {
        check_draws(&def, n, s);
        check_draws(&k1500, n, s);
        check_draws(&k1000, n, s);
    }
    /* the ends and the middle of the window */
    g_assert_cmpint(hnb_cwmp_retry_wait(&def, 1, 0.0), ==, 5 * HNB_SEC);
    g_assert_cmpint(hnb_cwmp_retry_wait(&def, 1, 1.0), ==, 10 * HNB_SEC);
    g_assert_cmpint(hnb_cwmp_retry_wait(&def, 1, 0.5), ==, 7500 * HNB_MSEC);
    g_assert_cmpint(hnb_cwmp_retry_wait(&def, 10, 0.25), ==, 3200 * HNB_SEC);
    /* same u, same wait: the draw is a pure function (common random numbers across variants) */
    for (uint64_t i = 0; i < 100; i++) {
        double u = hnb_rng_uniform(s, 7, i);
        g_assert_cmpint(hnb_cwmp_retry_wait(&def, 4, u), ==, hnb_cwmp_retry_wait(&def, 4, u));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cwmp/events/format", test_format);
    g_test_add_func("/cwmp/events/short-buffer", test_format_short_buffer);
    g_test_add_func("/cwmp/round-trips", test_round_trips);
    g_test_add_func("/cwmp/retry/default-table", test_default_table);
    g_test_add_func("/cwmp/retry/constant", test_constant);
    g_test_add_func("/cwmp/retry/k1500", test_k1500);
    g_test_add_func("/cwmp/retry/other-multipliers", test_other_multipliers);
    g_test_add_func("/cwmp/retry/draws", test_draws);
    return g_test_run();
}
