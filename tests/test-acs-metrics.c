/* tests/test-acs-metrics.c — the counters of `hnbsim acs` (tools/acs/acs_metrics.h) and their page: the Prometheus
 * text exposition format 0.0.4 (a HELP and a TYPE line before each family's samples, label values quoted, one sample
 * a line ending in a newline), labels from fixed tables only. */
#include "tools/acs/acs_metrics.h"

#include <string.h>

/* The value of the sample line that starts with `series` followed by a space (-1: absent). */
static gint64 sample(const char *page, const char *series)
{
    g_auto(GStrv) lines = g_strsplit(page, "\n", -1);
    for (char **l = lines; *l; l++)
        if (g_str_has_prefix(*l, series) && (*l)[strlen(series)] == ' ')
            return g_ascii_strtoll(*l + strlen(series) + 1, NULL, 10);
    return -1;
}

/* The value of that sample line as written (NULL: absent). */
static char *sample_text(const char *page, const char *series)
{
    g_auto(GStrv) lines = g_strsplit(page, "\n", -1);
    for (char **l = lines; *l; l++)
        if (g_str_has_prefix(*l, series) && (*l)[strlen(series)] == ' ')
            return g_strdup(*l + strlen(series) + 1);
    return NULL;
}

static void test_counts(void)
{
    HnbAcsMetrics m = {0};
    m.connections = 4;
    hnb_acs_metrics_handshake(&m, NULL);
    hnb_acs_metrics_handshake(&m, NULL);
    hnb_acs_metrics_handshake(&m, "expired (certificate has expired)");
    hnb_acs_metrics_handshake(&m, "something new");
    hnb_acs_metrics_session_end(&m, "ok");
    hnb_acs_metrics_session_end(&m, "refused");
    hnb_acs_metrics_session_end(&m, "made-up");
    hnb_acs_metrics_rpc(&m, "Inform");
    hnb_acs_metrics_rpc(&m, "Inform");
    hnb_acs_metrics_rpc(&m, "empty");
    hnb_acs_metrics_rpc(&m, "X-Vendor-Thing"); /* a peer's name never becomes a label */
    m.sessions_open = 1;
    m.refused_overload = 1;
    m.connections_open = 3;
    m.refused_max_connections = 5;
    m.timeouts[HNB_ACS_TIMEOUT_SLOW_HEADER] = 6;
    m.downloads = 2;
    m.image_bytes = 300000;
    m.sessions_parked = 2;
    m.sessions_resumed = 7;
    m.sessions_expired = 8;
    m.refused_foreign_cookie = 9;
    g_autoptr(GString) page = g_string_new(NULL);
    hnb_acs_metrics_render(&m, page);
    g_test_message("%s", page->str);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_connections_total"), ==, 4);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_handshakes_total{outcome=\"ok\"}"), ==, 2);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_handshakes_total{outcome=\"expired\"}"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_handshakes_total{outcome=\"other\"}"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_handshakes_total{outcome=\"revoked\"}"), ==, 0);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_sessions_total{outcome=\"ok\"}"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_sessions_total{outcome=\"refused\"}"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_sessions_total{outcome=\"other\"}"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_sessions_open"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_rpcs_total{rpc=\"Inform\"}"), ==, 2);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_rpcs_total{rpc=\"empty\"}"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_rpcs_total{rpc=\"other\"}"), ==, 1);
    g_assert_null(strstr(page->str, "X-Vendor-Thing"));
    g_assert_cmpint(sample(page->str, "hnbsim_acs_refused_total{reason=\"overload\"}"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_connections_open"), ==, 3);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_refused_total{reason=\"max_connections\"}"), ==, 5);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_timeouts_total{reason=\"slow_header\"}"), ==, 6);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_timeouts_total{reason=\"idle\"}"), ==, 0);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_downloads_total"), ==, 2);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_image_bytes_total"), ==, 300000);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_sessions_parked"), ==, 2);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_sessions_resumed_total"), ==, 7);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_sessions_expired_total"), ==, 8);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_refused_total{reason=\"foreign_cookie\"}"), ==, 9);
}

/* The format: every line is a comment (# HELP name text / # TYPE name counter|gauge) or `name{labels} value`; each
 * family's HELP and TYPE come once, before its first sample; counters end in _total. */
static void test_format(void)
{
    HnbAcsMetrics m = {0};
    g_autoptr(GString) page = g_string_new(NULL);
    hnb_acs_metrics_render(&m, page);
    g_assert_true(g_str_has_suffix(page->str, "\n"));
    g_autoptr(GRegex) help = g_regex_new("^# HELP ([a-z_]+) \\S.*$", 0, 0, NULL);
    g_autoptr(GRegex) type = g_regex_new("^# TYPE ([a-z_]+) (counter|gauge|histogram)$", 0, 0, NULL);
    /* one or more labels (a histogram's bucket has le as well); a value in seconds has decimals */
    g_autoptr(GRegex) smp = g_regex_new("^([a-z_]+)(\\{[a-z]+=\"[A-Za-z_]+\"(,le=\"([0-9.]+|\\+Inf)\")?\\})? "
                                        "[0-9]+(\\.[0-9]+)?$", 0, 0, NULL);
    g_autoptr(GHashTable) typed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *helped = NULL;
    g_auto(GStrv) lines = g_strsplit(page->str, "\n", -1);
    guint families = 0, samples = 0;
    for (char **l = lines; *l && **l; l++) {
        g_autoptr(GMatchInfo) mi = NULL;
        if (g_regex_match(help, *l, 0, &mi)) {
            char *name = g_match_info_fetch(mi, 1);
            g_assert_false(g_hash_table_contains(typed, name));
            g_free(helped);
            helped = name;
            continue;
        }
        g_clear_pointer(&mi, g_match_info_free);
        if (g_regex_match(type, *l, 0, &mi)) {
            char *name = g_match_info_fetch(mi, 1), *kind = g_match_info_fetch(mi, 2);
            g_assert_cmpstr(name, ==, helped); /* HELP, then TYPE of the same family */
            if (strcmp(kind, "counter") == 0)
                g_assert_true(g_str_has_suffix(name, "_total"));
            g_hash_table_insert(typed, name, kind);
            families++;
            continue;
        }
        g_clear_pointer(&mi, g_match_info_free);
        g_assert_true(g_regex_match(smp, *l, 0, &mi));
        g_autofree char *name = g_match_info_fetch(mi, 1);
        /* a histogram's samples are its name with _bucket (and only they have le), _sum or _count */
        const char *histo = g_hash_table_lookup(typed, helped);
        if (histo && strcmp(histo, "histogram") == 0) {
            g_autofree char *le = g_match_info_fetch(mi, 3);
            g_assert_true(g_str_has_prefix(name, helped));
            const char *suffix = name + strlen(helped);
            g_assert_true(strcmp(suffix, le && *le ? "_bucket" : "_sum") == 0 ||
                          (!(le && *le) && strcmp(suffix, "_count") == 0));
        } else {
            g_assert_true(g_hash_table_contains(typed, name));
            g_assert_cmpstr(name, ==, helped); /* a family's samples follow its TYPE line together */
        }
        samples++;
    }
    g_assert_cmpuint(families, ==, 17);
    g_assert_cmpstr(g_hash_table_lookup(typed, "hnbsim_acs_cpu_per_connection_seconds"), ==, "histogram");
    g_assert_cmpstr(g_hash_table_lookup(typed, "hnbsim_acs_sessions_open"), ==, "gauge");
    g_assert_cmpstr(g_hash_table_lookup(typed, "hnbsim_acs_connections_open"), ==, "gauge");
    /* the single samples (connections total and open, sessions open, downloads, downloads open, image bytes, sessions
     * parked, resumed, expired, resumed handshakes), the labelled tables, refused by 4 reasons, timeouts by 4, CPU by
     * 2 phases, and per kind the histogram's buckets with +Inf, its _sum and _count */
    guint want = 10 + g_strv_length((char **)hnb_acs_metrics_handshakes) +
                 g_strv_length((char **)hnb_acs_metrics_outcomes) + g_strv_length((char **)hnb_acs_metrics_rpcs) + 4 +
                 4 + 2 + HNB_ACS_CPU_KINDS * (HNB_ACS_CPU_BOUNDS + 1 + 2);
    g_assert_cmpuint(samples, ==, want);
    g_assert_true(g_strv_length((char **)hnb_acs_metrics_handshakes) <= HNB_ACS_METRICS_MAX_LABELS);
    g_assert_true(g_strv_length((char **)hnb_acs_metrics_outcomes) <= HNB_ACS_METRICS_MAX_LABELS);
    g_assert_true(g_strv_length((char **)hnb_acs_metrics_rpcs) <= HNB_ACS_METRICS_MAX_LABELS);
}

/* The CPU families: the counters in seconds with every µs kept; the histogram's buckets cumulative, le inclusive
 * (an observation equal to a bound is in that bucket), _count the +Inf bucket, _sum the observations' sum. */
static void test_cpu(void)
{
    HnbAcsMetrics m = {0};
    hnb_acs_metrics_cpu(&m, 1500000, 250);
    hnb_acs_metrics_cpu(&m, 1, 0);
    const guint64 full[] = {0, 250, 251, 999, 1000, 32000, 32001, 2000000};
    guint64 sum = 0;
    for (guint i = 0; i < G_N_ELEMENTS(full); i++) {
        hnb_acs_metrics_cpu_observe(&m, HNB_ACS_CPU_HANDSHAKE_FULL, full[i]);
        sum += full[i];
    }
    hnb_acs_metrics_cpu_observe(&m, HNB_ACS_CPU_SESSION, 4000);
    g_autoptr(GString) page = g_string_new(NULL);
    hnb_acs_metrics_render(&m, page);
    g_test_message("%s", page->str);
    g_autofree char *hs = sample_text(page->str, "hnbsim_acs_cpu_seconds_total{phase=\"handshake\"}");
    g_autofree char *req = sample_text(page->str, "hnbsim_acs_cpu_seconds_total{phase=\"request\"}");
    g_assert_cmpstr(hs, ==, "1.500001");
    g_assert_cmpstr(req, ==, "0.000250");
#define BUCKET(kind, le) "hnbsim_acs_cpu_per_connection_seconds_bucket{kind=\"" kind "\",le=\"" le "\"}"
    const char *const les[] = {"0.00025", "0.0005", "0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "+Inf"};
    const gint64 want_full[] = {2, 3, 5, 5, 5, 5, 5, 6, 8};
    const char *const kinds[] = {"handshake_full", "handshake_resumed", "session"};
    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        gint64 prev = 0;
        for (guint b = 0; b < G_N_ELEMENTS(les); b++) {
            g_autofree char *series = g_strdup_printf("hnbsim_acs_cpu_per_connection_seconds_bucket{kind=\"%s\","
                                                      "le=\"%s\"}", kinds[k], les[b]);
            gint64 v = sample(page->str, series);
            g_assert_cmpint(v, >=, prev); /* cumulative */
            if (k == 0)
                g_assert_cmpint(v, ==, want_full[b]);
            prev = v;
        }
        g_autofree char *count = g_strdup_printf("hnbsim_acs_cpu_per_connection_seconds_count{kind=\"%s\"}", kinds[k]);
        g_assert_cmpint(sample(page->str, count), ==, prev);
    }
    g_assert_cmpint(sample(page->str, BUCKET("session", "0.002")), ==, 0);
    g_assert_cmpint(sample(page->str, BUCKET("session", "0.004")), ==, 1);
    g_assert_cmpint(sample(page->str, BUCKET("handshake_resumed", "+Inf")), ==, 0);
#undef BUCKET
    g_autofree char *want_sum = g_strdup_printf("%" G_GUINT64_FORMAT ".%06u", sum / 1000000,
                                                (unsigned)(sum % 1000000));
    g_autofree char *got_sum = sample_text(page->str, "hnbsim_acs_cpu_per_connection_seconds_sum{kind=\"handshake_full\"}");
    g_assert_cmpstr(got_sum, ==, want_sum);
    g_assert_cmpstr(want_sum, ==, "2.066501");
}

/* The campaign's families from a real campaign: two golden devices, one recovered (Download, TransferComplete 0,
 * Inform on the published version), one given up on after its one attempt failed with 9010. */
static void test_campaign(void)
{
    HnbAcsCampaignParams p = {.published_version = "2.0", .golden_version = "golden*", .max_attempts = 1};
    g_autoptr(HnbAcsCampaign) c = hnb_acs_campaign_new(&p);
    guint delay, attempt;
    g_assert_cmpint(hnb_acs_campaign_inform(c, "A", "golden-1", NULL), ==, HNB_ACS_OFFER_DUE);
    g_assert_true(hnb_acs_campaign_download(c, "A", 0, &delay, &attempt));
    hnb_acs_campaign_transfer(c, "A", 0);
    g_assert_cmpint(hnb_acs_campaign_inform(c, "A", "2.0", NULL), ==, HNB_ACS_OFFER_NONE);
    g_assert_cmpint(hnb_acs_campaign_inform(c, "B", "golden-1", NULL), ==, HNB_ACS_OFFER_DUE);
    g_assert_true(hnb_acs_campaign_download(c, "B", 0, &delay, &attempt));
    hnb_acs_campaign_transfer(c, "B", 9010);
    g_assert_cmpint(hnb_acs_campaign_inform(c, "B", "golden-1", NULL), ==, HNB_ACS_OFFER_GAVE_UP);
    HnbAcsCampaignStats st;
    hnb_acs_campaign_stats(c, &st);
    g_autoptr(GString) page = g_string_new(NULL);
    hnb_acs_metrics_render_campaign(&st, page);
    g_test_message("%s", page->str);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_campaign_devices"), ==, 2);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_campaign_done"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_campaign_gave_up"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_campaign_transfers_total{result=\"ok\"}"), ==, 1);
    g_assert_cmpint(sample(page->str, "hnbsim_acs_campaign_transfers_total{result=\"failed\"}"), ==, 1);
    /* every family announced before its samples, once */
    g_auto(GStrv) lines = g_strsplit(page->str, "\n", -1);
    guint types = 0;
    for (char **l = lines; *l; l++)
        types += g_str_has_prefix(*l, "# TYPE ");
    g_assert_cmpuint(types, ==, 4);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acs-metrics/counts", test_counts);
    g_test_add_func("/acs-metrics/format", test_format);
    g_test_add_func("/acs-metrics/cpu", test_cpu);
    g_test_add_func("/acs-metrics/campaign", test_campaign);
    return g_test_run();
}
