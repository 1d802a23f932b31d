/* tests/fuzz-scenario.c — fuzz target for the scenario loader and the value parsers it calls.
 *
 * One input is used three ways:
 *   - as a scenario file for hnb_scenario_load_data; if it holds a line "%%", the lines after it are --set overrides.
 *     A scenario that loads must write a resolved file that loads back to the same texts (scenario.h's promise);
 *   - NUL-terminated, as a value for hnb_time_parse, hnb_units_parse in every unit and hnb_dist_parse in every unit.
 *     Whatever parses must format to a text that parses back to the same value (the promises of sim/time.h, units.h,
 *     dist.h);
 *   - the loaded distributions are sampled a few times, to catch arithmetic trouble in extreme parameters.
 * A broken promise aborts, which the fuzzer reports like a crash.
 *
 * Built with libFuzzer:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I . tests/fuzz-scenario.c sim/scenario.c sim/dist.c \
 *     sim/rng.c sim/units.c sim/time.c sim/error.c $(pkg-config --cflags --libs glib-2.0) -lm
 * Linked with tests/fuzz-replay.c instead (any compiler, no libFuzzer), it replays files or directories given on the
 * command line, which is how CI reruns tests/fuzz/corpus and tests/fuzz/regressions under ASan/UBSan.
 */
#include "tests/fuzz-common.h"
#include "sim/scenario.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const HnbKeySpec scenario_keys[] = {
    {"scenario", "name", HNB_KEY_STRING, HNB_UNIT_NONE, NULL, NULL, NULL, NULL, "name of the run"},
    {"scenario", "duration", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1h", "1s", NULL, NULL, "simulated time"},
    {"scenario", "seed", HNB_KEY_INT, HNB_UNIT_NONE, "1", "0", NULL, NULL, "random seed"},
    {"scenario", "replications", HNB_KEY_INT, HNB_UNIT_NONE, "1", "1", "10000", NULL, "replications"},
    HNB_KEY_END,
};

static const HnbKeySpec acs_keys[] = {
    {"acs", "workers", HNB_KEY_INT, HNB_UNIT_NONE, "4", "1", "100000", NULL, "TLS worker threads"},
    {"acs", "service", HNB_KEY_DIST, HNB_UNIT_DURATION, "exp(200ms)", "1ms", "10min", NULL, "service time"},
    {"acs", "mode", HNB_KEY_ENUM, HNB_UNIT_NONE, "queue", NULL, NULL, "queue|reject|drop", "policy when busy"},
    {"acs", "tls", HNB_KEY_BOOL, HNB_UNIT_NONE, "true", NULL, NULL, NULL, "sessions use TLS"},
    {"acs", "bandwidth", HNB_KEY_NUMBER, HNB_UNIT_BITRATE, "1Gbps", "1kbps", "100Gbps", NULL, "uplink"},
    {"acs", "fraction", HNB_KEY_NUMBER, HNB_UNIT_FRACTION, "0.5", NULL, NULL, NULL, "share served"},
    HNB_KEY_END,
};

/* Every unit and both kinds of range, spread over a group shared with acs_keys and one of its own. */
static const HnbKeySpec more_keys[] = {
    {"acs", "label", HNB_KEY_STRING, HNB_UNIT_NONE, "", NULL, NULL, NULL, "free text"},
    {"fleet", "size", HNB_KEY_INT, HNB_UNIT_NONE, "100", "1", NULL, NULL, "number of HNBs"},
    {"fleet", "image", HNB_KEY_NUMBER, HNB_UNIT_SIZE, "50MB", NULL, "1TB", NULL, "image size"},
    {"fleet", "inform", HNB_KEY_NUMBER, HNB_UNIT_RATE, "1/h", NULL, NULL, NULL, "inform rate"},
    {"fleet", "factor", HNB_KEY_NUMBER, HNB_UNIT_NONE, "1.5", "-10", "10", NULL, "a plain number"},
    {"fleet", "offset", HNB_KEY_DIST, HNB_UNIT_NONE, "normal(0,1)", NULL, NULL, NULL, "a plain distribution"},
    {"fleet", "download", HNB_KEY_DIST, HNB_UNIT_SIZE, "uniform(10MB,60MB)", "1B", NULL, NULL, "sizes"},
    {"fleet", "arrivals", HNB_KEY_DIST, HNB_UNIT_RATE, "const(3/s)", NULL, NULL, NULL, "rates"},
    {"fleet", "loss", HNB_KEY_DIST, HNB_UNIT_FRACTION, "empirical(0:0.9, 10%:0.1)", NULL, NULL, NULL, "fractions"},
    {"fleet", "link", HNB_KEY_DIST, HNB_UNIT_BITRATE, "lognormal(10Mbps, 0.5)", NULL, NULL, NULL, "bit rates"},
    {"fleet", "policy", HNB_KEY_ENUM, HNB_UNIT_NONE, "a", NULL, NULL, "a|b|ab|ab+golden", "choices"},
    HNB_KEY_END,
};

static const HnbKeySpec *const schemas[] = {scenario_keys, acs_keys, more_keys, NULL};

#define NAME "fuzz.ini"

static gboolean verbose; /* FUZZ_VERBOSE=1 in the environment prints each load's outcome */

static void broken(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz-scenario: broken promise: %s: %s\n", what, detail);
    abort();
}

/* The value parsers: whatever they accept must format to a text they read back to the same value. */
static void parsers(const char *text)
{
    HnbTime t;
    if (hnb_time_parse(text, &t, NULL)) {
        char buf[64];
        HnbTime back = -1;
        hnb_time_format(t, buf, sizeof buf);
        if (t < 0 || !hnb_time_parse(buf, &back, NULL) || back != t)
            broken("hnb_time_format does not read back", buf);
    }
    for (int u = HNB_UNIT_NONE; u <= HNB_UNIT_FRACTION; u++) {
        double v, back = NAN;
        GError *e = NULL;
        if (hnb_units_parse(text, (HnbUnit)u, &v, &e)) {
            char buf[128];
            hnb_units_format(v, (HnbUnit)u, buf, sizeof buf);
            if (!hnb_units_parse(buf, (HnbUnit)u, &back, NULL) || back != v)
                broken("hnb_units_format does not read back", buf);
        } else if (!e || e->domain != HNB_ERROR || e->code != HNB_ERROR_INPUT) {
            broken("hnb_units_parse failed without an HNB_ERROR_INPUT", text);
        }
        g_clear_error(&e);

        HnbDist d, d2;
        if (hnb_dist_parse(text, (HnbUnit)u, &d, &e)) {
            static char buf[HNB_DIST_FORMAT_MAX];
            hnb_dist_format(&d, buf, sizeof buf);
            if (!hnb_dist_parse(buf, (HnbUnit)u, &d2, NULL) || d2.kind != d.kind || d2.a != d.a || d2.b != d.b ||
                d2.n != d.n)
                broken("hnb_dist_format does not read back", buf);
            for (unsigned i = 0; i < d.n; i++)
                if (d2.value[i] != d.value[i] || d2.cum[i] != d.cum[i])
                    broken("hnb_dist_format does not read back (table)", buf);
        } else if (!e || e->domain != HNB_ERROR || e->code != HNB_ERROR_INPUT) {
            broken("hnb_dist_parse failed without an HNB_ERROR_INPUT", text);
        }
        g_clear_error(&e);
    }
}

/* Every key through its getter, and a few draws from each distribution. */
static void use(const HnbScenario *sc)
{
    HnbRng r = hnb_rng_at(hnb_stream(1, 0, "fuzz"), 0, 0);
    for (const HnbKeySpec *const *t = schemas; *t; t++) {
        for (const HnbKeySpec *k = *t; k->group; k++) {
            if (!hnb_scenario_text(sc, k->group, k->key))
                broken("no text for a key", k->key);
            switch (k->type) {
            case HNB_KEY_STRING:
            case HNB_KEY_ENUM:
                (void)hnb_scenario_string(sc, k->group, k->key);
                break;
            case HNB_KEY_BOOL:
                (void)hnb_scenario_bool(sc, k->group, k->key);
                break;
            case HNB_KEY_INT:
                (void)hnb_scenario_int(sc, k->group, k->key);
                break;
            case HNB_KEY_NUMBER:
                (void)hnb_scenario_number(sc, k->group, k->key);
                if (k->unit == HNB_UNIT_DURATION)
                    (void)hnb_scenario_time(sc, k->group, k->key);
                break;
            case HNB_KEY_DIST: {
                const HnbDist *d = hnb_scenario_dist(sc, k->group, k->key);
                if (!d)
                    break; /* an optional one left empty */
                for (int i = 0; i < 4; i++)
                    (void)hnb_dist_sample(d, &r);
                (void)hnb_dist_mean(d);
                break;
            }
            }
        }
    }
}

static void scenario(const char *data, size_t size)
{
    /* "file\n%%\nset1\nset2" */
    const char *split = NULL;
    for (size_t i = 0; i + 2 <= size && !split; i++)
        if ((i == 0 || data[i - 1] == '\n') && data[i] == '%' && data[i + 1] == '%' &&
            (i + 2 == size || data[i + 2] == '\n'))
            split = data + i;
    size_t file_len = split ? (size_t)(split - data) : size;
    g_auto(GStrv) sets = NULL;
    if (split) {
        const char *rest = split + 2 + (split + 2 < data + size);
        g_autofree char *tail = g_strndup(rest, (gsize)(data + size - rest)); /* stops at a NUL: fine */
        sets = g_strsplit(tail, "\n", 16);
        /* drop empty lines (a final newline), keeping the rest in order */
        guint n = 0;
        for (guint i = 0; sets[i]; i++) {
            if (*sets[i])
                sets[n++] = sets[i];
            else
                g_free(sets[i]);
        }
        sets[n] = NULL;
    }

    GError *e = NULL;
    HnbScenario *sc = hnb_scenario_load_data(data, file_len, NAME, schemas, sets, &e);
    if (verbose)
        fprintf(stderr, "fuzz-scenario: %s\n", sc ? "loaded" : e ? e->message : "(no error)");
    if (!sc) {
        if (!e || e->domain != HNB_ERROR || e->code != HNB_ERROR_INPUT)
            broken("load failed without an HNB_ERROR_INPUT", e ? e->message : "(no error)");
        g_error_free(e);
        return;
    }
    use(sc);

    /* the resolved file loads back to the same texts, and writes itself again byte for byte */
    char *out = hnb_scenario_to_data(sc);
    HnbScenario *back = hnb_scenario_load_data(out, strlen(out), NAME, schemas, NULL, &e);
    if (!back)
        broken("the resolved file does not load", e->message);
    for (const HnbKeySpec *const *t = schemas; *t; t++)
        for (const HnbKeySpec *k = *t; k->group; k++)
            if (strcmp(hnb_scenario_text(sc, k->group, k->key), hnb_scenario_text(back, k->group, k->key)) != 0)
                broken("the resolved file changes a value of", k->key);
    char *again = hnb_scenario_to_data(back);
    if (strcmp(out, again) != 0)
        broken("the resolved file is not a fixed point", again);
    g_free(again);
    g_free(out);
    hnb_scenario_free(back);
    hnb_scenario_free(sc);
}

/* GLib's fatal messages end in a breakpoint trap, which libFuzzer does not catch; abort() it catches. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gboolean once;
    if (!once) {
        hnb_fuzz_abort_on_warnings();
        verbose = g_getenv("FUZZ_VERBOSE") != NULL;
        once = TRUE;
    }
    /* long inputs only slow the value parsers down; the loader sees them whole */
    scenario((const char *)data, size);
    if (size <= 4096) {
        char *text = g_strndup((const char *)data, size);
        parsers(text);
        g_free(text);
    }
    return 0;
}
