/* tests/test-units.c — durations (time.c) and values with units (units.c). */
#include <string.h>
#include "sim/time.h"
#include "sim/units.h"

#include <math.h>

static void test_time_parse(void)
{
    static const struct {
        const char *text;
        HnbTime ns;
    } ok[] = {
        {"250ms", 250 * HNB_MSEC}, {"5s", 5 * HNB_SEC},         {"2h", 2 * HNB_HOUR},
        {"3d", 3 * HNB_DAY},       {"1h30m", 90 * HNB_MIN},     {"1.5s", 1500 * HNB_MSEC},
        {"0", 0},                  {" 7 min ", 7 * HNB_MIN},    {"1w", 7 * HNB_DAY},
        {"12us", 12 * HNB_USEC},   {"0.000000001s", 1},         {"1.0000000005s", HNB_SEC + 1},
        {"2d 3h", 51 * HNB_HOUR},  {"100ns", 100},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        HnbTime t = -1;
        GError *e = NULL;
        g_assert_true(hnb_time_parse(ok[i].text, &t, &e));
        g_assert_no_error(e);
        g_assert_cmpint(t, ==, ok[i].ns);
    }
}

static void test_time_errors(void)
{
    static const char *const bad[] = {"", "5", "-1s", "5x", "s", "1.s5", "1e3s", "99999999999999999999s", "1h-5m",
                                      "3d garbage", "1..5s"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        HnbTime t;
        GError *e = NULL;
        g_assert_false(hnb_time_parse(bad[i], &t, &e));
        g_assert_error(e, HNB_ERROR, HNB_ERROR_INPUT);
        g_assert_nonnull(strstr(e->message, bad[i]));
        g_error_free(e);
    }
}

static void test_time_format_roundtrip(void)
{
    static const struct {
        HnbTime ns;
        const char *text;
    } cases[] = {{0, "0s"},          {250 * HNB_MSEC, "250ms"}, {2 * HNB_HOUR, "2h"},   {90 * HNB_MIN, "1h30m"},
                 {1500 * HNB_MSEC, "1.5s"}, {3 * HNB_DAY, "3d"}, {61500 * HNB_MSEC, "1m1.5s"}, {7, "7ns"}};
    char buf[32];
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmpstr(hnb_time_format(cases[i].ns, buf, sizeof buf), ==, cases[i].text);
    GRand *r = g_rand_new_with_seed(11);
    for (int i = 0; i < 100000; i++) {
        HnbTime t = (HnbTime)(g_rand_double(r) * (double)(400 * HNB_DAY)), back;
        if (i % 3 == 0)
            t -= t % HNB_SEC;
        g_assert_true(hnb_time_parse(hnb_time_format(t, buf, sizeof buf), &back, NULL));
        g_assert_cmpint(back, ==, t);
    }
    g_rand_free(r);
}

static void test_units_parse(void)
{
    static const struct {
        const char *text;
        HnbUnit u;
        double v;
    } ok[] = {
        {"50MB", HNB_UNIT_SIZE, 50e6},          {"1.5GiB", HNB_UNIT_SIZE, 1610612736},
        {"8kb", HNB_UNIT_SIZE, 1000},           {"512", HNB_UNIT_SIZE, 512},
        {"1Gbps", HNB_UNIT_BITRATE, 1e9},       {"100Mbit/s", HNB_UNIT_BITRATE, 1e8},
        {"12MB/s", HNB_UNIT_BITRATE, 96e6},     {"40/s", HNB_UNIT_RATE, 40},
        {"3/h", HNB_UNIT_RATE, 3.0 / 3600},     {"0.5/min", HNB_UNIT_RATE, 0.5 / 60},
        {"20%", HNB_UNIT_FRACTION, 0.2},        {"0.25", HNB_UNIT_FRACTION, 0.25},
        {"1e6", HNB_UNIT_NONE, 1e6},            {"-3", HNB_UNIT_NONE, -3},
        {"2h", HNB_UNIT_DURATION, 7.2e12},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        double v = -1;
        GError *e = NULL;
        g_assert_true(hnb_units_parse(ok[i].text, ok[i].u, &v, &e));
        g_assert_no_error(e);
        g_assert_cmpfloat_with_epsilon(v, ok[i].v, fabs(ok[i].v) * 1e-12);
    }
}

static void test_units_errors(void)
{
    static const struct {
        const char *text;
        HnbUnit u;
    } bad[] = {
        {"50XB", HNB_UNIT_SIZE},   {"-5MB", HNB_UNIT_SIZE},     {"fast", HNB_UNIT_BITRATE}, {"1Gbp", HNB_UNIT_BITRATE},
        {"40/fortnight", HNB_UNIT_RATE}, {"120%", HNB_UNIT_FRACTION}, {"-0.1", HNB_UNIT_FRACTION},
        {"nan", HNB_UNIT_NONE},    {"inf", HNB_UNIT_NONE},      {"0x10", HNB_UNIT_NONE},    {"", HNB_UNIT_NONE},
        {"1e999", HNB_UNIT_NONE},  {"5", HNB_UNIT_DURATION},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        double v;
        GError *e = NULL;
        g_assert_false(hnb_units_parse(bad[i].text, bad[i].u, &v, &e));
        g_assert_error(e, HNB_ERROR, HNB_ERROR_INPUT);
        g_assert_nonnull(strstr(e->message, bad[i].text));
        g_error_free(e);
    }
}

static void test_units_format_roundtrip(void)
{
    static const HnbUnit us[] = {HNB_UNIT_NONE, HNB_UNIT_DURATION, HNB_UNIT_SIZE, HNB_UNIT_BITRATE, HNB_UNIT_RATE,
                                 HNB_UNIT_FRACTION};
    GRand *r = g_rand_new_with_seed(5);
    char buf[64];
    for (size_t k = 0; k < G_N_ELEMENTS(us); k++)
        for (int i = 0; i < 20000; i++) {
            double v = us[k] == HNB_UNIT_FRACTION ? g_rand_double(r) : pow(10, g_rand_double_range(r, -3, 12));
            if (i % 4 == 0)
                v = floor(v);
            if (us[k] == HNB_UNIT_DURATION)
                v = floor(v); /* durations are whole ns */
            double back = -1;
            hnb_units_format(v, us[k], buf, sizeof buf);
            g_assert_true(hnb_units_parse(buf, us[k], &back, NULL));
            g_assert_cmpfloat(back, ==, v);
        }
    g_assert_cmpstr(hnb_units_format(50e6, HNB_UNIT_SIZE, buf, sizeof buf), ==, "50MB");
    g_assert_cmpstr(hnb_units_format(1e9, HNB_UNIT_BITRATE, buf, sizeof buf), ==, "1Gbps");
    g_assert_cmpstr(hnb_units_format(40, HNB_UNIT_RATE, buf, sizeof buf), ==, "40/s");
    g_assert_cmpstr(hnb_units_format(3.0 / 3600, HNB_UNIT_RATE, buf, sizeof buf), ==, "3/h");
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/time/parse", test_time_parse);
    g_test_add_func("/time/errors", test_time_errors);
    g_test_add_func("/time/format-roundtrip", test_time_format_roundtrip);
    g_test_add_func("/units/parse", test_units_parse);
    g_test_add_func("/units/errors", test_units_errors);
    g_test_add_func("/units/format-roundtrip", test_units_format_roundtrip);
    return g_test_run();
}
