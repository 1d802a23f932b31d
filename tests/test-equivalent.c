/* tests/test-equivalent.c — the speed-equivalent scenario of a drive (tools/drive/equivalent.h): at speed 1 the
 * resolved scenario is unchanged; at speed 10 exactly the session-side durations are ten times longer and the
 * transfer rates ten times lower, each with its note, and nothing else moves. */
#include "models/model.h"
#include "tools/drive/equivalent.h"

#include <string.h>

static const char text[] = "[scenario]\nname = e\nduration = 1h\n[fleet]\nsize = 10\n[attack]\nmode = none\n"
                           "[acs]\nrtt = uniform(20ms,80ms)\nhandshake_rtt = 2ms\n[cwmp]\nsession_timeout = 30s\n";

static HnbScenario *load(void)
{
    GError *error = NULL;
    HnbScenario *sc = hnb_model_load_data(text, "e.ini", NULL, &error);
    g_assert_no_error(error);
    return sc;
}

/* The resolved text's value lines, key by key (comments dropped). */
static GHashTable *values(const HnbScenario *sc)
{
    g_autofree char *data = hnb_scenario_to_data(sc);
    g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const char *group = "";
    g_autofree char *g = NULL;
    for (char **l = lines; *l; l++) {
        if (**l == '[') {
            g_free(g);
            g = g_strdup(*l);
            group = g;
        } else if (**l && **l != '#') {
            char *eq = strchr(*l, '=');
            g_assert_nonnull(eq);
            g_hash_table_insert(t, g_strdup_printf("%s%.*s", group, (int)(eq - *l), *l), g_strdup(eq + 1));
        }
    }
    return t;
}

static void test_speed_one(void)
{
    HnbScenario *a = load(), *b = load();
    g_assert_true(hnb_drive_equivalent(b, 1, NULL));
    g_autofree char *ta = hnb_scenario_to_data(a), *tb = hnb_scenario_to_data(b);
    g_assert_cmpstr(ta, ==, tb);
    hnb_scenario_free(a);
    hnb_scenario_free(b);
}

static void test_speed_ten(void)
{
    HnbScenario *a = load(), *b = load();
    GError *error = NULL;
    g_assert_true(hnb_drive_equivalent(b, 10, &error));
    g_assert_no_error(error);
    static const char *const times[][2] = {{"acs", "handshake_time"}, {"acs", "resumed_handshake_time"},
                                           {"acs", "cwmp_time"},      {"acs", "rtt"}};
    for (size_t k = 0; k < G_N_ELEMENTS(times); k++)
        g_assert_cmpfloat_with_epsilon(hnb_dist_mean(hnb_scenario_dist(b, times[k][0], times[k][1])),
                                       10 * hnb_dist_mean(hnb_scenario_dist(a, times[k][0], times[k][1])),
                                       1e-9 * hnb_dist_mean(hnb_scenario_dist(b, times[k][0], times[k][1])));
    g_assert_cmpint(hnb_scenario_time(b, "acs", "handshake_rtt"), ==, 20 * HNB_MSEC);
    g_assert_cmpint(hnb_scenario_time(b, "cwmp", "session_timeout"), ==, 300 * HNB_SEC);
    g_assert_cmpint(hnb_scenario_time(b, "hnb", "syn_rto"), ==, 10 * HNB_SEC);
    g_assert_cmpfloat_with_epsilon(hnb_scenario_number(b, "download", "bandwidth"),
                                   hnb_scenario_number(a, "download", "bandwidth") / 10, 1);
    g_assert_cmpfloat_with_epsilon(hnb_dist_mean(hnb_scenario_dist(b, "download", "access_link")),
                                   hnb_dist_mean(hnb_scenario_dist(a, "download", "access_link")) / 10, 1);
    /* nothing else moved: exactly the nine keys differ */
    g_autoptr(GHashTable) va = values(a), vb = values(b);
    GHashTableIter it;
    gpointer key, value;
    guint changed = 0;
    g_hash_table_iter_init(&it, va);
    while (g_hash_table_iter_next(&it, &key, &value))
        if (g_strcmp0(value, g_hash_table_lookup(vb, key)) != 0) {
            g_test_message("changed: %s", (const char *)key);
            changed++;
        }
    g_assert_cmpuint(changed, ==, 9);
    g_autofree char *tb = hnb_scenario_to_data(b);
    g_assert_nonnull(strstr(tb, "the speed-equivalent scenario of a drive at speed 10 (times 10)"));
    hnb_scenario_free(a);
    hnb_scenario_free(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/equivalent/speed-one", test_speed_one);
    g_test_add_func("/equivalent/speed-ten", test_speed_ten);
    return g_test_run();
}
