/* tests/test-paths.c — the fleet's compliance per path (models/paths.h): each combination of reach, layout, [golden]
 * credential and tls gives the verdict TS 33.320 clauses 6.1, 7 and 8.3.4 call for, and the model hook puts them under
 * their heading for `check` and report.html. */
#include "models/model.h"
#include "models/paths.h"

#include <string.h>

/* The report of one combination, one string per line (NULL-terminated; the caller frees it). */
static char **lines_of(gboolean segw, gboolean golden, const char *credential, gboolean tls)
{
    HnbPaths p = {.segw = segw, .golden = golden, .credential = credential, .golden_tls = tls};
    g_autoptr(GString) out = g_string_new(NULL);
    hnb_paths_report(&p, out);
    g_assert_true(out->len > 0 && out->str[out->len - 1] == '\n');
    g_string_truncate(out, out->len - 1);
    return g_strsplit(out->str, "\n", -1);
}

/* The line of path `path` ("golden module -> SeGW:"): its verdict, "" when there is no such line. */
static const char *verdict(char **lines, const char *path)
{
    for (char **l = lines; *l; l++)
        if (strstr(*l, path) != NULL) {
            g_assert_true(g_str_has_prefix(*l, "PASS  ") || g_str_has_prefix(*l, "FAIL  "));
            return g_str_has_prefix(*l, "PASS") ? "PASS" : "FAIL";
        }
    return "";
}

static const char *line(char **lines, const char *path)
{
    for (char **l = lines; *l; l++)
        if (strstr(*l, path) != NULL)
            return *l;
    return "";
}

#define REL_SEGW "HNB (release image) -> SeGW:"
#define REL_HEMS "HNB (release image) -> H(e)MS:"
#define GOLD_SEGW "golden module -> SeGW:"
#define GOLD_HEMS "golden module -> H(e)MS:"

/* The release image: IKEv2 with the device certificate only behind a SeGW; TLS to the H(e)MS always. */
static void test_release_image(void)
{
    g_auto(GStrv) segw = lines_of(TRUE, FALSE, "device", TRUE);
    g_assert_cmpuint(g_strv_length(segw), ==, 2);
    g_assert_cmpstr(verdict(segw, REL_SEGW), ==, "PASS");
    g_assert_nonnull(strstr(line(segw, REL_SEGW), "IKEv2 with the device certificate (TS 33.320 clause 7.1/7.3)"));
    g_assert_cmpstr(verdict(segw, REL_HEMS), ==, "PASS");
    g_assert_nonnull(strstr(line(segw, REL_HEMS), "TLS per clause 8.3.4"));
    g_auto(GStrv) internet = lines_of(FALSE, FALSE, "device", TRUE);
    g_assert_cmpuint(g_strv_length(internet), ==, 1);
    g_assert_cmpstr(verdict(internet, REL_SEGW), ==, "");
    g_assert_cmpstr(verdict(internet, REL_HEMS), ==, "PASS");
}

/* Layouts without a golden module (single, ab) have no golden lines, whatever [golden] says. */
static void test_no_golden_module(void)
{
    static const char *const creds[] = {"device", "recovery", "none"};
    for (int reach = 0; reach < 2; reach++)
        for (guint c = 0; c < G_N_ELEMENTS(creds); c++)
            for (int tls = 0; tls < 2; tls++) {
                g_auto(GStrv) l = lines_of(reach, FALSE, creds[c], tls);
                g_assert_cmpstr(verdict(l, "golden module"), ==, "");
            }
}

/* golden module -> SeGW, behind a SeGW only: device (the TrE releases the device key to the verified golden module,
 * clause 6.1) and recovery pass, none fails (no tunnel, no recovery behind the SeGW). */
static void test_golden_to_segw(void)
{
    g_auto(GStrv) device = lines_of(TRUE, TRUE, "device", TRUE);
    g_assert_cmpstr(verdict(device, GOLD_SEGW), ==, "PASS");
    g_assert_nonnull(strstr(line(device, GOLD_SEGW), "clause 6.1"));
    g_auto(GStrv) recovery = lines_of(TRUE, TRUE, "recovery", TRUE);
    g_assert_cmpstr(verdict(recovery, GOLD_SEGW), ==, "PASS");
    g_assert_nonnull(strstr(line(recovery, GOLD_SEGW), "recovery certificate"));
    g_assert_nonnull(strstr(line(recovery, GOLD_SEGW), "for recovery only"));
    g_auto(GStrv) none = lines_of(TRUE, TRUE, "none", TRUE);
    g_assert_cmpstr(verdict(none, GOLD_SEGW), ==, "FAIL");
    g_assert_nonnull(strstr(line(none, GOLD_SEGW), "cannot build a tunnel"));
    g_assert_nonnull(strstr(line(none, GOLD_SEGW), "cannot recover behind the SeGW"));
    g_auto(GStrv) unknown = lines_of(TRUE, TRUE, "whatever", TRUE); /* an unread word is no credential */
    g_assert_cmpstr(verdict(unknown, GOLD_SEGW), ==, "FAIL");
    g_auto(GStrv) internet = lines_of(FALSE, TRUE, "device", TRUE);
    g_assert_cmpstr(verdict(internet, GOLD_SEGW), ==, "");
    g_assert_cmpuint(g_strv_length(device), ==, 4);
}

/* golden module -> H(e)MS: TLS with a certificate passes, TLS with none fails (no client certificate for 8.3.4's
 * mutual authentication); plain HTTP passes inside the tunnel and fails on the public internet. */
static void test_golden_to_hems(void)
{
    static const struct {
        gboolean segw;
        const char *credential;
        gboolean tls;
        const char *verdict, *says;
    } cases[] = {
        {TRUE, "device", TRUE, "PASS", "mutually authenticated with the device certificate"},
        {FALSE, "device", TRUE, "PASS", "mutually authenticated with the device certificate"},
        {TRUE, "recovery", TRUE, "PASS", "mutually authenticated with the recovery certificate"},
        {FALSE, "recovery", TRUE, "PASS", "mutually authenticated with the recovery certificate"},
        {TRUE, "none", TRUE, "FAIL", "no client certificate"},
        {FALSE, "none", TRUE, "FAIL", "no client certificate"},
        {TRUE, "device", FALSE, "PASS", "plain HTTP inside the SeGW's tunnel (clause 8.3.4"},
        {TRUE, "recovery", FALSE, "PASS", "plain HTTP inside the SeGW's tunnel"},
        {TRUE, "none", FALSE, "PASS", "no tunnel to use"},
        {FALSE, "device", FALSE, "FAIL", "plain HTTP on the public internet (clause 8.3.4 makes TLS mandatory"},
        {FALSE, "recovery", FALSE, "FAIL", "profile = custom"},
        {FALSE, "none", FALSE, "FAIL", "public internet"},
    };
    for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
        g_auto(GStrv) l = lines_of(cases[k].segw, TRUE, cases[k].credential, cases[k].tls);
        g_test_message("case %u: %s", k, line(l, GOLD_HEMS));
        g_assert_cmpstr(verdict(l, GOLD_HEMS), ==, cases[k].verdict);
        g_assert_nonnull(strstr(line(l, GOLD_HEMS), cases[k].says));
    }
}

/* Through the model: the fleet's hook reads the scenario and heads its lines for check and report.html; a layout
 * without a golden module gets the release image's lines only; a model without the hook appends nothing. */
static void test_model_hook(void)
{
    static const char text[] = "[scenario]\nname = p\n[hnb]\nlayout = golden\n[hems]\nreach = segw\n"
                               "[golden]\ntls = false\n";
    GError *error = NULL;
    g_autoptr(HnbScenario) sc = hnb_model_load_data(text, "p.ini", NULL, &error);
    g_assert_no_error(error);
    g_autoptr(GString) out = g_string_new(NULL);
    hnb_model_compliance(sc, NULL, out);
    g_assert_true(g_str_has_prefix(out->str, "TS 33.320 per path (clauses 6.1, 7, 8.3.4):\nPASS  " REL_SEGW));
    g_assert_nonnull(strstr(out->str, "PASS  " GOLD_SEGW " IKEv2 with the device certificate"));
    g_assert_nonnull(strstr(out->str, "PASS  " GOLD_HEMS " plain HTTP inside the SeGW's tunnel"));
    g_assert_null(strstr(out->str, "FAIL"));

    char *sets[] = {"hnb.layout=ab", NULL};
    g_autoptr(HnbScenario) ab = hnb_model_load_data(text, "p.ini", sets, &error);
    g_assert_no_error(error);
    g_string_truncate(out, 0);
    hnb_model_compliance(ab, "ab", out);
    g_assert_true(g_str_has_prefix(out->str, "ab: TS 33.320 per path"));
    g_assert_null(strstr(out->str, "golden module"));

    g_autoptr(HnbScenario) informs = hnb_model_load_data("[scenario]\nname = i\nmodel = informs\n", "i.ini", NULL,
                                                         &error);
    g_assert_no_error(error);
    g_string_truncate(out, 0);
    hnb_model_compliance(informs, NULL, out);
    g_assert_cmpuint(out->len, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/paths/release-image", test_release_image);
    g_test_add_func("/paths/no-golden-module", test_no_golden_module);
    g_test_add_func("/paths/golden-to-segw", test_golden_to_segw);
    g_test_add_func("/paths/golden-to-hems", test_golden_to_hems);
    g_test_add_func("/paths/model-hook", test_model_hook);
    return g_test_run();
}
