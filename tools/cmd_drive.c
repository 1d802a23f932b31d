/* tools/cmd_drive.c — `hnbsim drive`: play a fleet scenario's HNBs against a real H(e)MS, in scaled real time, and
 * write the result directory from what was measured (docs/DESIGN.md, "`hnbsim drive` and the validation study").
 *
 * The fleet model runs as `hnbsim run` runs it (models/fleet_run.h) with its H(e)MS replaced by real sessions
 * (tools/drive/hems_drive.c over tools/drive/client.c), its kernel paced on a libev loop (tools/drive/pace.c).  Order:
 * every input checked before any socket (scenario, options, target address, PKI directory, output directory); one
 * preflight session with dev0; the /metrics page read (with --metrics); the paced run; a grace for sessions in flight;
 * the page read again; the results written (the directory appears only when complete).
 */
#include "tools/cli.h"
#include "models/acs_tls.h"
#include "models/fleet_run.h"
#include "tools/drive/equivalent.h"
#include "tools/drive/hems_drive.h"
#include "tools/drive/target.h"

#include <ev.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_REAL_S 3600.0 /* a drive's longest run without --duration */
/* Device credentials the drive's client keeps parsed (HnbDriveClientConfig.cred_cache): its whole fleet, up to this
 * many.  Reading one again costs ~0.4 ms of CPU on the 2-vCPU VM (callgrind: ~2.6 M instructions, most of them the
 * decoder chain OpenSSL 3.0 builds for the certificate's public key on every d2i_X509), more than a resumed session's
 * handshake; with the client's default of 64, every session of a larger fleet read its credential again.  A kept
 * credential is ~7.8 KiB of heap (4,000 P-256 device credentials: 31 MB, glibc malloc), so 16384 cost at most ~128
 * MiB; a larger fleet keeps its 16384 most recently used (an LRU, which a fleet informing in turn cycles through: read
 * again at every session, as before). */
#define DRIVE_CRED_KEEP 16384u

typedef struct {
    char *target, *pki, *out, *image_version, *golden_version, *metrics;
    GStrv sets;
    double speed, duration, grace, timeout;
    gint64 hnbs, seed;
    gboolean owned, force, quiet, model, wan;
} Options;

typedef struct {
    struct ev_loop *loop;
    HnbPace *pace;
    HnbHemsDrive *hems;
    HnbSim *sim;
    uint32_t k_stop;
    ev_signal sigint, sigterm;
    ev_timer grace, poll, progress;
    gboolean tty;     /* stderr is a terminal: the progress line is redrawn in place */
    HnbTime duration; /* the scenario's, for the progress line */
    const char *ended_by;
    int signals;
    gboolean preflight_done;
    HnbDriveResult preflight;
    HnbDriveClient *client;
} Drive;

/* ---- the end --------------------------------------------------------------------------------------------------- */

static void on_stop_event(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    (void)ev, (void)ud;
    hnb_sim_stop(sim);
}

static void finish_loop(Drive *dr)
{
    if (ev_is_active(&dr->progress) && dr->tty)
        fputc('\n', stderr); /* after the line redrawn in place */
    ev_timer_stop(dr->loop, &dr->progress);
    ev_timer_stop(dr->loop, &dr->grace);
    ev_timer_stop(dr->loop, &dr->poll);
    ev_signal_stop(dr->loop, &dr->sigint);
    ev_signal_stop(dr->loop, &dr->sigterm);
    ev_break(dr->loop, EVBREAK_ALL);
}

static void on_grace(struct ev_loop *loop, ev_timer *w, int revents)
{
    Drive *dr = w->data;
    (void)loop, (void)revents;
    finish_loop(dr); /* what is still in flight is cut by the caller: sessions_open */
}

/* The progress line (every second on a terminal, every 30 s in a log): scenario time, sessions by outcome so far,
 * in flight, the pacing's lag. */
static void on_progress(struct ev_loop *loop, ev_timer *w, int revents)
{
    Drive *dr = w->data;
    (void)loop, (void)revents;
    if (!dr->pace || hnb_pace_ended(dr->pace))
        return;
    HnbHemsDriveExtra x;
    hnb_hems_drive_extra(dr->hems, &x);
    HnbPaceLag lag;
    hnb_pace_lag(dr->pace, &lag);
    uint64_t refused = x.outcomes[HNB_DRIVE_REFUSED_OVERLOAD] + x.outcomes[HNB_DRIVE_REFUSED_SYN] +
                       x.outcomes[HNB_DRIVE_REFUSED_RST] + x.outcomes[HNB_DRIVE_REFUSED_CLOSED];
    uint64_t ended = 0;
    for (int k = 0; k < HNB_DRIVE_OUTCOME_COUNT; k++)
        ended += x.outcomes[k];
    double t = hnb_time_to_sec(hnb_pace_now(dr->pace)), end = hnb_time_to_sec(dr->duration);
    fprintf(stderr, "%sdrive: %5.1f%% (%.0f of %.0f s), sessions ended %" G_GUINT64_FORMAT ": ok %" G_GUINT64_FORMAT
                    ", refused %" G_GUINT64_FORMAT ", other %" G_GUINT64_FORMAT "; in flight %" G_GUINT64_FORMAT
                    "; lag p99 %.1f ms   %s",
            dr->tty ? "\r" : "", end > 0 ? 100 * t / end : 100, t, end, ended, x.outcomes[HNB_DRIVE_OK], refused,
            ended - x.outcomes[HNB_DRIVE_OK] - refused, x.in_flight, isnan(lag.p99_ms) ? 0 : lag.p99_ms,
            dr->tty ? "" : "\n");
    fflush(stderr);
}

static void on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
    Drive *dr = w->data;
    HnbHemsDriveExtra x;
    (void)loop, (void)revents;
    hnb_hems_drive_extra(dr->hems, &x);
    if (x.in_flight == 0)
        finish_loop(dr);
}

static void on_pace_end(HnbPace *pace, HnbRunStatus status, void *user_data)
{
    Drive *dr = user_data;
    (void)pace;
    if (!dr->ended_by)
        dr->ended_by = status == HNB_RUN_STOPPED ? "signal" : "end";
    ev_timer_again(dr->loop, &dr->grace);
    ev_timer_again(dr->loop, &dr->poll);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    Drive *dr = w->data;
    (void)revents;
    if (dr->signals++ == 0 && dr->pace && !hnb_pace_ended(dr->pace)) {
        fprintf(stderr, "hnbsim drive: signal %d: ending the schedule (results are written; again to abort)\n",
                w->signum);
        dr->ended_by = "signal";
        hnb_pace_post(dr->pace, dr->k_stop, 0, 0);
        return;
    }
    fprintf(stderr, "hnbsim drive: signal %d again: aborting without results\n", w->signum);
    dr->ended_by = "abort";
    ev_break(loop, EVBREAK_ALL);
}

/* ---- preflight ------------------------------------------------------------------------------------------------- */

static void on_preflight(HnbDriveSession *s, HnbDriveResult *r, void *user_data)
{
    Drive *dr = user_data;
    (void)s;
    dr->preflight = *r;
    dr->preflight.session = NULL; /* freed by the client when this returns */
    memset(&dr->preflight.download, 0, sizeof dr->preflight.download);
    dr->preflight_done = TRUE;
    ev_break(dr->loop, EVBREAK_ONE);
}

/* One session with dev0 before the run: a target that is not the H(e)MS of this PKI (unknown_ca, the name) or not
 * there stops here, not after 50,000 failed handshakes.  Ok or an overload refusal pass. */
static int preflight(Drive *dr, const Options *o, const HnbDriveTarget *t)
{
    const char *events[] = {"2 PERIODIC", NULL};
    HnbDriveSessionSpec spec = {.device = 0, .mode = HNB_DRIVE_CWMP, .software_version = o->image_version,
                                .events = events};
    hnb_drive_session_start(dr->client, &spec, on_preflight, dr);
    while (!dr->preflight_done)
        ev_run(dr->loop, EVRUN_ONCE);
    const HnbDriveResult *r = &dr->preflight;
    if (r->outcome == HNB_DRIVE_OK || r->outcome == HNB_DRIVE_REFUSED_OVERLOAD)
        return HNB_EXIT_OK;
    gboolean hs = r->outcome == HNB_DRIVE_HS_FAILED;
    fprintf(stderr, "hnbsim drive: --target %s (%s): the preflight session with dev0 ended %s%s%s%s%s%s\n", o->target,
            t->addr_text, hnb_drive_outcome_name(r->outcome), hs ? " (" : "",
            hs ? hnb_tls_reason_name(r->hs_reason) : "", hs ? ")" : "", *r->detail ? ": " : "", r->detail);
    return HNB_EXIT_INPUT;
}

/* ---- inputs ---------------------------------------------------------------------------------------------------- */

static int input_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int input_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "hnbsim drive: %s\n", msg);
    return HNB_EXIT_INPUT;
}

/* What v1 plays (DESIGN part 7): the fleet model over the internet, with TLS everywhere. */
static int check_scenario(const HnbScenario *sc, const char *path)
{
    if (strcmp(hnb_scenario_string(sc, "scenario", "model"), "fleet") != 0)
        return input_error("%s: [scenario] model = %s: only the fleet model can be driven", path,
                           hnb_scenario_string(sc, "scenario", "model"));
    if (strcmp(hnb_scenario_string(sc, "hems", "reach"), "segw") == 0)
        return input_error("%s: [hems] reach = segw: a drive reaches the H(e)MS directly (no SeGW yet)", path);
    if (hnb_scenario_bool(sc, "fix", "enabled"))
        return input_error("%s: [fix] enabled: the fix pipeline is not driven yet", path);
    if (!hnb_scenario_bool(sc, "golden", "tls"))
        return input_error("%s: [golden] tls = false: a drive speaks TLS only", path);
    return HNB_EXIT_OK;
}

/* dev<i>.pem and .key for every HNB (and rec-dev<i> when golden modules use the recovery credential). */
static int check_pki(const char *dir, uint32_t n, gboolean recovery)
{
    static const char *const need[] = {"root.pem", "signing.pem"};
    for (size_t k = 0; k < G_N_ELEMENTS(need); k++) {
        g_autofree char *p = g_build_filename(dir, need[k], NULL);
        if (!g_file_test(p, G_FILE_TEST_IS_REGULAR))
            return input_error("--pki %s: no %s (export the scenario's PKI with `hnbsim pki --out DIR --hnb %u`)", dir,
                               need[k], n);
    }
    for (int kind = 0; kind < (recovery ? 2 : 1); kind++) {
        for (uint32_t i = 0; i < n; i++) {
            g_autofree char *p = g_strdup_printf("%s/%s%u.key", dir, kind ? "rec-dev" : "dev", i);
            if (!g_file_test(p, G_FILE_TEST_IS_REGULAR))
                return input_error("--pki %s: no %s%u.key: the fleet has %u HNBs (`hnbsim pki --out DIR --hnb %u`)",
                                   dir, kind ? "rec-dev" : "dev", i, n, n);
        }
    }
    return HNB_EXIT_OK;
}

/* The file descriptors a drive may need: every HNB in session at once, and its fetch, plus a few.  The soft limit is
 * raised to the hard one first, as acs-load does. */
static int check_fds(uint32_t n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return HNB_EXIT_OK;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    rlim_t need = (rlim_t)n * 2 + 64;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        return input_error("%u HNBs may hold %lu file descriptors; the limit is %lu (ulimit -n)", n,
                           (unsigned long)need, (unsigned long)rl.rlim_max);
    return HNB_EXIT_OK;
}

static int parse_options(int *argc, char ***argv, Options *o)
{
    *o = (Options){.speed = 1, .grace = 10, .timeout = 30, .hnbs = G_MININT64, .seed = G_MININT64};
    GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_STRING, &o->target, "The H(e)MS: https://HOST:PORT (required)", "URL"},
        {"pki", 0, 0, G_OPTION_ARG_FILENAME, &o->pki, "The scenario's PKI as `hnbsim pki --out DIR` wrote it "
                                                      "(required; the server must trust its CAs)", "DIR"},
        {"speed", 0, 0, G_OPTION_ARG_DOUBLE, &o->speed, "Scenario seconds per real second (default 1; sessions "
                                                        "themselves run at real speed)", "X"},
        {"hnbs", 0, 0, G_OPTION_ARG_INT64, &o->hnbs, "Override [fleet] size", "N"},
        {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &o->duration, "Stop the schedule after S real seconds (default: the "
                                                              "scenario's duration / X, at most 1 h)", "S"},
        {"grace", 0, 0, G_OPTION_ARG_DOUBLE, &o->grace, "Real seconds for sessions in flight at the end (default 10)",
         "S"},
        {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout, "A session's real-time limit (default 30)", "S"},
        {"image-version", 0, 0, G_OPTION_ARG_STRING, &o->image_version,
         "The published release's SoftwareVersion, as hnbsim acs --image-version (default release-1)", "STR"},
        {"golden-version", 0, 0, G_OPTION_ARG_STRING, &o->golden_version,
         "What an HNB that needs the image reports (default golden-1)", "STR"},
        {"metrics", 0, 0, G_OPTION_ARG_STRING, &o->metrics,
         "The server's metrics page (http://127.0.0.1:P/metrics): read before and after, reconcile.csv", "URL"},
        {"model", 0, 0, G_OPTION_ARG_NONE, &o->model,
         "Also run the model on the same scenario and seed (at --speed X its speed-equivalent: session times x X, "
         "transfer rates / X): one comparison directory, model and measured side by side", NULL},
        {"wan", 0, 0, G_OPTION_ARG_NONE, &o->wan,
         "Emulate the scenario's WAN: each CWMP round trip waits a draw of [acs] rtt (half before its request, half "
         "after its response), real seconds unscaled; [acs] handshake_rtt is not emulated", NULL},
        {"i-own-this-target", 0, 0, G_OPTION_ARG_NONE, &o->owned,
         "Allow a target that is neither loopback nor link-local (requires --duration)", NULL},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o->out, "Result directory (default runs/NAME-drive)", "DIR"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "Override [scenario] seed", "N"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->sets, "Override any key (repeatable)", "GROUP.KEY=VALUE"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &o->force, "Replace an existing result directory", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress line", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO — play a fleet scenario against a real H(e)MS");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Every session the fleet model would hand to its H(e)MS is a real TCP connection, a TLS handshake with "
             "the HNB's device (or recovery) certificate under the TS 33.320 clause 8.3.4 profile and a TR-069 "
             "session; every download a real HTTPS GET whose signed manifest is verified.  Boots, periodic Informs, "
             "the attack and TR-069 3.2.1.1 retries are the model's own code, paced in real time at --speed.  The "
             "result directory has the files of `hnbsim run` from what was measured (latencies in scenario seconds: "
             "real × X), manifest.json says \"mode\": \"measured\", and with --metrics reconcile.csv compares the "
             "counts with the server's.  Only the replication 0 is played.\n"
             "Safety: the target must resolve to loopback or link-local addresses unless --i-own-this-target.\n"
             "Exit status: 0 ok, 1 run failure, 2 bad input (also a preflight session that fails).");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error))
        return hnb_cli_fail(error);
    if (*argc != 2)
        return input_error("give exactly one SCENARIO (try --help)");
    if (!o->target || !o->pki)
        return input_error("--target and --pki are required (try --help)");
    if (!(o->speed > 0 && o->speed <= 3600))
        return input_error("--speed %g: must be in (0, 3600]", o->speed);
    if (o->duration < 0 || !isfinite(o->duration) || !(o->grace >= 0 && o->grace <= 600) ||
        !(o->timeout > 0 && o->timeout <= 3600))
        return input_error("--duration, --grace (0..600) and --timeout (0..3600] take seconds");
    if (o->owned && o->duration <= 0)
        return input_error("--i-own-this-target requires --duration");
    if (o->hnbs != G_MININT64 && (o->hnbs < 1 || o->hnbs > 1000000))
        return input_error("--hnbs %" G_GINT64_FORMAT ": must be 1..1000000", o->hnbs);
    if (!o->image_version)
        o->image_version = g_strdup("release-1");
    if (!o->golden_version)
        o->golden_version = g_strdup("golden-1");
    return HNB_EXIT_OK;
}

static void options_clear(Options *o)
{
    g_free(o->target);
    g_free(o->pki);
    g_free(o->out);
    g_free(o->image_version);
    g_free(o->golden_version);
    g_free(o->metrics);
    g_strfreev(o->sets);
}

/* ---- results --------------------------------------------------------------------------------------------------- */

static void json_str(GString *j, const char *key, const char *v)
{
    g_autofree char *esc = g_strescape(v ? v : "", NULL);
    g_string_append_printf(j, "\"%s\": \"%s\", ", key, esc);
}

static char *manifest_extra(const Options *o, const HnbDriveTarget *t, const HnbScenario *sc, const Drive *dr,
                            const HnbHemsDriveExtra *x, double cpu_s)
{
    HnbPaceLag lag;
    hnb_pace_lag(dr->pace, &lag);
    GString *j = g_string_new(NULL);
    json_str(j, "mode", "measured");
    g_string_append(j, "\"deterministic\": false, ");
    json_str(j, "target", o->target);
    json_str(j, "target_address", t->addr_text);
    json_str(j, "pki", o->pki);
    json_str(j, "ended_by", dr->ended_by);
    g_string_append_printf(j, "\"wan\": %s, ", o->wan ? "true" : "false");
    g_string_append_printf(j, "\"speed\": %g, \"hnbs\": %" G_GINT64_FORMAT ", \"driver_cpu_s\": %.3f, ", o->speed,
                           hnb_scenario_int(sc, "fleet", "size"), cpu_s);
    g_string_append_printf(j, "\"pace_events\": %" G_GUINT64_FORMAT ", \"pace_lag_p50_ms\": %.3f, "
                              "\"pace_lag_p99_ms\": %.3f, \"pace_lag_max_ms\": %.3f, \"pace_late\": %" G_GUINT64_FORMAT
                              ", \"paced\": %s, \"connects_late\": %" G_GUINT64_FORMAT ", ",
                           lag.count, isnan(lag.p50_ms) ? 0 : lag.p50_ms, isnan(lag.p99_ms) ? 0 : lag.p99_ms,
                           isnan(lag.max_ms) ? 0 : lag.max_ms, lag.late,
                           !(lag.p99_ms > 10) ? "true" : "false", x->connects_late);
    g_string_append_printf(j, "\"sessions_after_end\": %" G_GUINT64_FORMAT ", \"sessions_after_end_ok\": %"
                              G_GUINT64_FORMAT ", \"sessions_cut_at_end\": %" G_GUINT64_FORMAT ", \"outcomes\": {",
                           x->after_end, x->after_end_ok, x->in_flight);
    for (int k = 0; k < HNB_DRIVE_OUTCOME_COUNT; k++)
        g_string_append_printf(j, "%s\"%s\": %" G_GUINT64_FORMAT, k ? ", " : "",
                               hnb_drive_outcome_name((HnbDriveOutcome)k), x->outcomes[k]);
    g_string_append(j, "}, \"image_outcomes\": {");
    for (int k = 0; k < HNB_DRIVE_IMAGE_OUTCOME_COUNT; k++)
        g_string_append_printf(j, "%s\"%s\": %" G_GUINT64_FORMAT, k ? ", " : "",
                               hnb_drive_image_outcome_name((HnbDriveImageOutcome)k), x->image_outcomes[k]);
    g_string_append(j, "}, ");
    json_str(j, "first_failure", x->first_failure);
    g_string_truncate(j, j->len - 2);
    return g_string_free(j, FALSE);
}

/* The server's page once its counts have settled: it counts a connection when the connection closes, a moment after
 * the client has what it wanted.  Read every 100 ms until two reads agree on the sessions counted (at most 3 s). */
static GHashTable *scrape_settled(const char *url, GError **error)
{
    static const char *const watch[] = {"hnbsim_acs_connections_total", "hnbsim_acs_connections_open"};
    GHashTable *page = hnb_drive_scrape(url, error);
    for (int k = 0; page && k < 30; k++) {
        g_usleep(100000);
        GHashTable *next = hnb_drive_scrape(url, error);
        if (!next) {
            g_hash_table_destroy(page);
            return NULL;
        }
        gboolean same = TRUE;
        for (size_t w = 0; w < G_N_ELEMENTS(watch); w++)
            same = same && hnb_drive_sample(page, watch[w]) == hnb_drive_sample(next, watch[w]);
        same = same && hnb_drive_sample(next, "hnbsim_acs_connections_open") <= 1; /* the scrape's own, if counted */
        g_hash_table_destroy(page);
        page = next;
        if (same)
            break;
    }
    return page;
}

/* reconcile.csv: the drive's counts, its preflight session's included, against the server's own (its /metrics before
 * and after); a new string. */
static char *reconcile_csv(GHashTable *before, GHashTable *after, const HnbHemsDriveExtra *x,
                           const HnbDriveResult *preflight)
{
    static const struct {
        const char *name, *family;
        int outcome, image_outcome;
    } rows[] = {
        {"sessions_ok", "hnbsim_acs_sessions_total{outcome=\"ok\"}", HNB_DRIVE_OK, -1},
        {"refused_overload", "hnbsim_acs_refused_total{reason=\"overload\"}", HNB_DRIVE_REFUSED_OVERLOAD, -1},
        {"downloads_ok", "hnbsim_acs_downloads_total", -1, HNB_DRIVE_IMAGE_OK},
    };
    GString *csv = g_string_new("name,drive,server,server_metric,equal\n");
    for (size_t k = 0; k < G_N_ELEMENTS(rows); k++) {
        double server = hnb_drive_sample(after, rows[k].family) - hnb_drive_sample(before, rows[k].family);
        double drive = (double)(rows[k].outcome >= 0 ? x->outcomes[rows[k].outcome]
                                                     : x->image_outcomes[rows[k].image_outcome]) +
                       (rows[k].outcome >= 0 && (int)preflight->outcome == rows[k].outcome);
        g_auto(GStrv) parts = g_strsplit(rows[k].family, "\"", -1);
        g_autofree char *quoted = g_strjoinv("\"\"", parts); /* CSV: a quote inside quotes is doubled */
        g_string_append_printf(csv, "%s,%.0f,%.0f,\"%s\",%s\n", rows[k].name, drive, server, quoted,
                               drive == server ? "yes" : "no");
    }
    return g_string_free(csv, FALSE);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* The scenario again, named `name` (the comparison's subdirectories are named after their scenarios). */
static HnbScenario *load_named(const char *path, GPtrArray *sets, const char *name, GError **error)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
    for (guint k = 0; k < sets->len && sets->pdata[k]; k++)
        g_ptr_array_add(all, g_strdup(sets->pdata[k]));
    g_ptr_array_add(all, g_strdup_printf("scenario.name=%s", name));
    g_ptr_array_add(all, NULL);
    return hnb_model_load(path, (char **)all->pdata, error);
}

/* --model: the model's replications of the same scenario and seed (`hnbsim run`'s jobs) beside the measured one, in
 * one comparison directory: NAME-model/ and NAME-measured/, compare.csv, the joint figures (metrics, series and cdf are
 * borrowed).  The exit status. */
static int write_with_model(const char *path, GPtrArray *sets, const char *name, HnbMetrics *metrics,
                            HnbSeries *series, HnbSeries *cdf, const char *dir, const Options *o, double wall,
                            const char *extra, const char *const *files)
{
    GError *error = NULL;
    g_autofree char *model_name = g_strdup_printf("%s-model", name);
    g_autofree char *measured_name = g_strdup_printf("%s-measured", name);
    HnbScenario *scs[2] = {load_named(path, sets, model_name, &error), NULL};
    /* the model runs what the drive met: at speed X, its session-side times x X and rates / X */
    if (scs[0] && !hnb_drive_equivalent(scs[0], o->speed, &error))
        g_clear_pointer(&scs[0], hnb_scenario_free);
    scs[1] = scs[0] ? load_named(path, sets, measured_name, &error) : NULL;
    guint reps = 0;
    HnbMetrics **mm = NULL;
    HnbSeries **ms = NULL, **mc = NULL;
    int rc;
    if (!scs[1] || !hnb_run_replications(scs[0], g_get_num_processors(), o->quiet ? NULL : model_name, &reps, &mm,
                                         &ms, &mc, &error)) {
        rc = hnb_cli_fail(error);
    } else {
        HnbMetrics **metrics_v[2] = {mm, &metrics};
        HnbSeries **series_v[2] = {ms, &series}, **cdf_v[2] = {mc, &cdf};
        guint reps_v[2] = {reps, 1};
        rc = hnb_run_write_compare_dir(scs, 2, reps_v, metrics_v, series_v, cdf_v, dir, o->force,
                                       g_get_num_processors(), wall, extra, files);
    }
    for (guint r = 0; r < reps; r++) {
        hnb_metrics_free(mm[r]);
        hnb_series_free(ms[r]);
        hnb_series_free(mc[r]);
    }
    g_free(mm);
    g_free(ms);
    g_free(mc);
    for (int k = 0; k < 2; k++)
        if (scs[k])
            hnb_scenario_free(scs[k]);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------------------------------ */

int hnb_cmd_drive(int argc, char **argv)
{
    Options o;
    int rc = parse_options(&argc, &argv, &o);
    if (rc != HNB_EXIT_OK) {
        options_clear(&o);
        return rc;
    }
    const char *path = argv[1];
    GError *error = NULL;
    g_autoptr(GPtrArray) sets = hnb_cli_sets(o.sets, o.seed, G_MININT64);
    if (o.hnbs != G_MININT64)
        g_ptr_array_add(sets, g_strdup_printf("fleet.size=%" G_GINT64_FORMAT, o.hnbs));
    g_ptr_array_add(sets, NULL);
    HnbScenario *sc = hnb_model_load(path, (char **)sets->pdata, &error);
    /* the real time the run may take: the scenario's duration at X, or --duration (the scenario cut to it) */
    double scen_s = sc ? hnb_time_to_sec(hnb_scenario_time(sc, "scenario", "duration")) : 0;
    if (sc && o.duration > 0 && o.duration * o.speed < scen_s) {
        hnb_scenario_free(sc);
        g_ptr_array_remove_index(sets, sets->len - 1); /* the NULL */
        g_ptr_array_add(sets, g_strdup_printf("scenario.duration=%.9gs", o.duration * o.speed));
        g_ptr_array_add(sets, NULL);
        sc = hnb_model_load(path, (char **)sets->pdata, &error);
        scen_s = o.duration * o.speed;
    }
    if (!sc) {
        options_clear(&o);
        return hnb_cli_fail(error);
    }
    HnbDriveTarget t = {0};
    GHashTable *before = NULL, *after = NULL;
    char *extra = NULL, *reconcile = NULL;
    uint32_t n = (uint32_t)hnb_scenario_int(sc, "fleet", "size");
    g_autofree char *dir = NULL;
    if ((rc = check_scenario(sc, path)) == HNB_EXIT_OK && scen_s / o.speed > MAX_REAL_S && o.duration <= 0)
        rc = input_error("%s: %.0f s of scenario at --speed %g take %.0f real seconds: more than 1 h; give --duration",
                         path, scen_s, o.speed, scen_s / o.speed);
    if (rc == HNB_EXIT_OK && !hnb_drive_target_parse(&t, "--target", o.target, o.owned, &error))
        rc = hnb_cli_fail(g_steal_pointer(&error));
    if (rc == HNB_EXIT_OK)
        rc = check_pki(o.pki, n, strcmp(hnb_scenario_string(sc, "golden", "credential"), "recovery") == 0);
    if (rc == HNB_EXIT_OK) {
        g_autofree char *stem = g_strdup_printf("%s-drive", hnb_scenario_string(sc, "scenario", "name"));
        dir = o.out ? g_strdup(o.out) : g_build_filename("runs", stem, NULL);
        if (!o.force && g_file_test(dir, G_FILE_TEST_EXISTS))
            rc = input_error("%s: exists; use --force to replace it", dir);
    }
    if (rc == HNB_EXIT_OK)
        rc = check_fds(n);
    if (rc != HNB_EXIT_OK) {
        hnb_drive_target_clear(&t);
        hnb_scenario_free(sc);
        options_clear(&o);
        return rc;
    }

    signal(SIGPIPE, SIG_IGN); /* a write to a connection the server closed is an error return, not a death */
    Drive dr = {.loop = ev_loop_new(EVFLAG_AUTO)};
    HnbDriveClientConfig ccfg = {.addr_len = t.addr_len, .pki_dir = o.pki, .timeout = o.timeout,
                                 .syn_retries = (int)hnb_scenario_int(sc, "hnb", "syn_retries"),
                                 .resumption = hnb_acs_tls_resumption(sc) ? HNB_TLS_RESUME_IDS : HNB_TLS_RESUME_NONE,
                                 .cred_cache = MIN(n, DRIVE_CRED_KEEP)};
    memcpy(&ccfg.addr, &t.addr, t.addr_len);
    dr.client = hnb_drive_client_new(dr.loop, &ccfg, &error);
    if (!dr.client) {
        rc = hnb_cli_fail(g_steal_pointer(&error));
        goto out;
    }
    /* the page before the preflight, which reconcile.csv counts too: the server counts a session when its
     * connection closes, which may be after the client has seen the final 204 */
    if (o.metrics && !(before = scrape_settled(o.metrics, &error))) {
        rc = hnb_cli_fail(g_steal_pointer(&error));
        goto out;
    }
    if ((rc = preflight(&dr, &o, &t)) != HNB_EXIT_OK)
        goto out;

    HnbHemsDriveSetup setup = {.cfg = {.loop = dr.loop, .client = dr.client, .speed = o.speed,
                                       .image_version = o.image_version, .golden_version = o.golden_version,
                                       .devices = n, .wan = o.wan}};
    HnbProgress progress = {0};
    HnbFleetRun *run = hnb_fleet_run_new(sc, 0, &progress, hnb_hems_drive_new, &setup, &error);
    if (!run) {
        rc = hnb_cli_fail(g_steal_pointer(&error));
        goto out;
    }
    dr.hems = setup.made;
    dr.sim = hnb_fleet_run_sim(run);
    dr.k_stop = hnb_sim_register(dr.sim, "drive.stop", on_stop_event, &dr);
    dr.pace = hnb_pace_new(dr.loop, dr.sim, o.speed, hnb_fleet_run_duration(run), on_pace_end, &dr);
    hnb_hems_drive_set_pace(dr.hems, dr.pace);
    ev_timer_init(&dr.grace, on_grace, 0, o.grace > 0 ? o.grace : 0.001);
    ev_timer_init(&dr.poll, on_poll, 0, 0.05);
    dr.tty = isatty(STDERR_FILENO);
    dr.duration = hnb_fleet_run_duration(run);
    ev_timer_init(&dr.progress, on_progress, dr.tty ? 1 : 30, dr.tty ? 1 : 30);
    dr.grace.data = dr.poll.data = dr.progress.data = &dr;
    if (!o.quiet)
        ev_timer_start(dr.loop, &dr.progress);
    ev_signal_init(&dr.sigint, on_signal, SIGINT);
    ev_signal_init(&dr.sigterm, on_signal, SIGTERM);
    dr.sigint.data = dr.sigterm.data = &dr;
    ev_signal_start(dr.loop, &dr.sigint);
    ev_signal_start(dr.loop, &dr.sigterm);
    if (!o.quiet)
        fprintf(stderr, "hnbsim drive: %u HNBs against %s (%s) at speed %g: %.0f s of scenario in %.0f real seconds\n",
                n, o.target, t.addr_text, o.speed, scen_s, scen_s / o.speed);
    gint64 w0 = g_get_monotonic_time();
    double cpu0 = cpu_seconds();
    hnb_pace_start(dr.pace);
    ev_run(dr.loop, 0);
    double cpu_s = cpu_seconds() - cpu0, wall = (double)(g_get_monotonic_time() - w0) / 1e6;
    if (g_strcmp0(dr.ended_by, "abort") == 0) {
        rc = HNB_EXIT_RUN;
        hnb_pace_free(dr.pace);
        dr.pace = NULL;
        hnb_fleet_run_free(run);
        goto out;
    }
    HnbHemsDriveExtra x;
    hnb_hems_drive_extra(dr.hems, &x); /* before the cut: in_flight is what the grace left */
    hnb_hems_drive_cut_all(dr.hems);
    if (o.metrics && !(after = scrape_settled(o.metrics, &error))) {
        hnb_pace_free(dr.pace);
        dr.pace = NULL;
        hnb_fleet_run_free(run);
        rc = hnb_cli_fail(g_steal_pointer(&error));
        goto out;
    }
    HnbMetrics *metrics = hnb_metrics_new();
    HnbSeries *series = NULL, *cdf = NULL;
    if (!hnb_fleet_run_finish(run, metrics, &series, &cdf, &error)) {
        hnb_metrics_free(metrics);
        hnb_pace_free(dr.pace);
        dr.pace = NULL;
        hnb_fleet_run_free(run);
        rc = hnb_cli_fail(g_steal_pointer(&error));
        goto out;
    }
    extra = manifest_extra(&o, &t, sc, &dr, &x, cpu_s);
    reconcile = o.metrics ? reconcile_csv(before, after, &x, &dr.preflight) : NULL;
    const char *files[] = {"sessions.csv", hnb_hems_drive_sessions_csv(dr.hems), reconcile ? "reconcile.csv" : NULL,
                           reconcile, NULL};
    if (o.model)
        rc = write_with_model(path, sets, hnb_scenario_string(sc, "scenario", "name"), metrics, series, cdf, dir, &o,
                              wall, extra, files);
    else
        rc = hnb_run_write_dir(sc, 1, &metrics, &series, &cdf, dir, o.force, 1, wall, extra, files);
    if (rc == HNB_EXIT_OK)
        printf("%s: measured results in %s/ (%ssessions.csv%s), figures in %s/figures/\n",
               hnb_scenario_string(sc, "scenario", "name"), dir,
               o.model ? "the model's and the measured run side by side: compare.csv, " : "summary.csv, ",
               o.metrics ? ", reconcile.csv" : "", dir);
    hnb_metrics_free(metrics);
    hnb_series_free(series);
    hnb_series_free(cdf);
    hnb_pace_free(dr.pace);
    dr.pace = NULL;
    hnb_fleet_run_free(run);
out:
    if (before)
        g_hash_table_destroy(before);
    if (after)
        g_hash_table_destroy(after);
    g_free(extra);
    g_free(reconcile);
    if (dr.pace)
        hnb_pace_free(dr.pace);
    if (dr.client)
        hnb_drive_client_free(dr.client);
    ev_loop_destroy(dr.loop);
    hnb_drive_target_clear(&t);
    hnb_scenario_free(sc);
    options_clear(&o);
    return rc;
}
