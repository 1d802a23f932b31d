/* tools/drive/calibrate_target.c — `hnbsim calibrate --target URL` (calibrate_target.h).
 *
 * Every step but one is a run of the same closed loop: `concurrency` slots, each starting a session when its last one
 * ends until the step's stop time (or once, for a burst); sessions ending between the end of the warm-up and the stop
 * time are the step's samples.  The one (5b) is an open loop at a tenth of the best closed-loop rate: sessions arriving
 * at Poisson times as a fleet's do, whose latencies give the network's and the client's share (rtt, handshake_rtt) —
 * measured so, an idle machine's cold start is in them, which a closed loop hides.  The server's counters are read before and after a step (all its sessions ended), so their
 * differences cover exactly the step's connections, warm-up included, and divide by the server's own counts.
 */
#include "tools/drive/calibrate_target.h"
#include "tools/drive/client.h"
#include "tools/drive/target.h"
#include "sim/dist.h"
#include "sim/error.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>

#define MAX_DEVICES 64     /* devices the steps cycle through */
#define QUANTILES 32       /* points of an empirical fit (sim/dist.h takes HNB_DIST_TABLE_MAX) */
#define MIN_FIT_SAMPLES 8  /* fewer: a constant (the mean) */
#define MAX_CONCURRENCY 32 /* step 5's last level */
#define BURST_FIRST 8      /* step 6's first burst */

typedef struct {
    struct ev_loop *loop;
    HnbDriveClient *client;
    const HnbCalibrateTargetConfig *cfg;
    HnbDriveTarget target;
    guint ndev;
    SSL_SESSION *kept[MAX_DEVICES]; /* each device's last session, offered in step 3 */
} Rig;

/* The session kinds the model costs apart (models/acs.h HnbAcsParams.cwmp_cpu*): an Inform-only session; one
 * carrying a TransferComplete (TR-069 A.3.3.2: "1 BOOT", "7 TRANSFER COMPLETE", "M Download", FaultCode 0); one
 * reporting an outdated SoftwareVersion, which a server running an upgrade campaign answers with a Download
 * (A.3.2.8), taken with DownloadResponse Status 1 (the image is not fetched). */
typedef enum { KIND_INFORM, KIND_TRANSFER, KIND_DOWNLOAD } SessionKind;
#define OUTDATED_VERSION "hnbsim-calibrate-outdated"
#define KIND_TRIPS 3 /* a TransferComplete or a Download session's round trips (models/cwmp.h) */

/* One step's run and what it saw. */
typedef struct {
    Rig *rig;
    HnbDriveMode mode;
    gboolean resume;   /* offer the device's kept session */
    gboolean restart;  /* a slot starts its next session until t_stop (FALSE: a burst, one each) */
    gboolean from_start; /* hs counts from before connect() (the open loop: as the drive and the model count) */
    SessionKind kind;  /* what each session of the step reports (step_start_one) */
    guint cap, started; /* a step of kind sessions starts at most cap (0: no cap) */
    guint downloads;   /* ok sessions in the window that the server sent a Download */
    guint next_dev, active;
    int64_t t_measure, t_stop; /* CLOCK_MONOTONIC ns: the window whose session ends are counted */
    GArray *hs, *req;          /* ns of ok sessions in the window: t_handshake - t_connected (or t_start); t_end -
                                * t_handshake */
    GArray *hs_resumed;        /* hs of those that resumed */
    guint ok, resumed;         /* ok sessions in the window; of them resumed */
    guint done, refused, failed; /* every session of the step */
    HnbDriveResult first_failure;  /* the first failed session (outcome, reason, detail), when failed > 0 */
    double client_cpu_s;       /* this process's CPU over the whole step */
} Step;

typedef struct {
    Step *step;
    guint dev;
} Slot;

static double process_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void step_start_one(Step *st);

static void on_done(HnbDriveSession *s, HnbDriveResult *r, void *user_data)
{
    Slot *slot = user_data;
    Step *st = slot->step;
    (void)s;
    st->active--;
    st->done++;
    if (r->session && slot->dev < MAX_DEVICES) { /* the device's newest session, for step 3 */
        if (st->rig->kept[slot->dev])
            SSL_SESSION_free(st->rig->kept[slot->dev]);
        st->rig->kept[slot->dev] = r->session;
        r->session = NULL;
    }
    if (r->outcome == HNB_DRIVE_OK) {
        if (r->t_end >= st->t_measure && r->t_end <= st->t_stop) {
            int64_t hs = r->t_handshake - (st->from_start ? r->t_start : r->t_connected), req = r->t_end - r->t_handshake;
            g_array_append_val(st->hs, hs);
            g_array_append_val(st->req, req);
            st->ok++;
            st->downloads += r->download.present;
            if (r->resumed) {
                g_array_append_val(st->hs_resumed, hs);
                st->resumed++;
            }
        }
    } else if (r->outcome == HNB_DRIVE_REFUSED_OVERLOAD) {
        st->refused++;
    } else if (st->failed++ == 0) {
        st->first_failure = *r;
        st->first_failure.session = NULL;
        memset(&st->first_failure.download, 0, sizeof st->first_failure.download);
    }
    g_free(slot);
    if (st->restart && hnb_drive_mono_ns() < st->t_stop && (!st->cap || st->started < st->cap))
        step_start_one(st);
}

static void step_start_one(Step *st)
{
    static const char *const periodic[] = {"2 PERIODIC", NULL};
    static const char *const transfer[] = {"1 BOOT", "7 TRANSFER COMPLETE", "M Download", NULL};
    static const HnbDriveTransfer done = {.command_key = "hnbsim-calibrate", .fault_code = 0};
    Slot *slot = g_new(Slot, 1);
    slot->step = st;
    slot->dev = st->next_dev++ % st->rig->ndev;
    HnbDriveSessionSpec spec = {.device = slot->dev, .mode = st->mode,
                                .session = st->resume ? st->rig->kept[slot->dev] : NULL,
                                .software_version = st->rig->cfg->image_version, .events = periodic};
    if (st->kind == KIND_TRANSFER) {
        spec.events = transfer;
        spec.transfer = &done;
    } else if (st->kind == KIND_DOWNLOAD) {
        spec.software_version = OUTDATED_VERSION;
    }
    st->active++;
    st->started++;
    hnb_drive_session_start(st->rig->client, &spec, on_done, slot);
}

/* Run `concurrency` slots of `kind` sessions: for warmup + seconds when restart (at most cap sessions started, 0: no
 * cap), else one session each (a burst). */
static void step_go(Rig *rig, Step *st, HnbDriveMode mode, gboolean resume, gboolean restart, guint concurrency,
                    double warmup, double seconds, SessionKind kind, guint cap)
{
    memset(st, 0, sizeof *st);
    st->rig = rig;
    st->kind = kind;
    st->cap = cap;
    st->mode = mode;
    st->resume = resume;
    st->restart = restart;
    st->hs = g_array_new(FALSE, FALSE, sizeof(int64_t));
    st->req = g_array_new(FALSE, FALSE, sizeof(int64_t));
    st->hs_resumed = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int64_t t0 = hnb_drive_mono_ns();
    st->t_measure = restart ? t0 + (int64_t)(warmup * 1e9) : 0;
    st->t_stop = restart ? st->t_measure + (int64_t)(seconds * 1e9) : INT64_MAX;
    double cpu0 = process_cpu_s();
    for (guint k = 0; k < concurrency; k++)
        step_start_one(st);
    while (st->active > 0)
        ev_run(rig->loop, EVRUN_ONCE);
    st->client_cpu_s = process_cpu_s() - cpu0;
}

/* Inform sessions (or handshakes, by mode): step_go's. */
static void step_run(Rig *rig, Step *st, HnbDriveMode mode, gboolean resume, gboolean restart, guint concurrency,
                     double warmup, double seconds)
{
    step_go(rig, st, mode, resume, restart, concurrency, warmup, seconds, KIND_INFORM, 0);
}

/* Sessions of `kind` at concurrency 1, at most `cap` of them within `seconds`, every one in the window (no warm-up:
 * the server's counters cover them all anyway). */
static void step_kind(Rig *rig, Step *st, SessionKind kind, guint cap, double seconds)
{
    step_go(rig, st, HNB_DRIVE_CWMP, FALSE, TRUE, 1, 0, seconds, kind, cap);
}

/* The open loop: sessions started at Poisson times of `rate` per second (a fixed seed: the same gaps every run). */
typedef struct {
    Step *st;
    ev_timer tick;
    GRand *rng;
    double rate;
} OpenLoop;

static void on_open_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    OpenLoop *o = w->data;
    (void)revents;
    if (hnb_drive_mono_ns() >= o->st->t_stop)
        return; /* no more arrivals; the loop below drains those under way */
    step_start_one(o->st);
    double gap = -log1p(-g_rand_double(o->rng)) / o->rate;
    ev_now_update(loop); /* libev counts a timer's delay from its cached loop time */
    ev_timer_set(&o->tick, gap, 0);
    ev_timer_start(loop, &o->tick);
}

/* Inform sessions arriving open loop at `rate` per second for warmup + seconds, as a fleet's do: each may find the
 * machine idle, its caches cold and its cores asleep, where a closed loop keeps them warm. */
static void step_open(Rig *rig, Step *st, double rate, double warmup, double seconds)
{
    step_run(rig, st, HNB_DRIVE_CWMP, FALSE, FALSE, 0, 0, 0); /* initialises st; no session */
    st->from_start = TRUE;
    st->t_measure = hnb_drive_mono_ns() + (int64_t)(warmup * 1e9);
    st->t_stop = st->t_measure + (int64_t)(seconds * 1e9);
    OpenLoop o = {.st = st, .rng = g_rand_new_with_seed(15), .rate = rate};
    ev_timer_init(&o.tick, on_open_tick, 0, 0);
    o.tick.data = &o;
    ev_timer_start(rig->loop, &o.tick);
    double cpu0 = process_cpu_s();
    while (ev_is_active(&o.tick) || st->active > 0)
        ev_run(rig->loop, EVRUN_ONCE);
    st->client_cpu_s = process_cpu_s() - cpu0;
    g_rand_free(o.rng);
}

static void step_clear(Step *st)
{
    if (st->hs)
        g_array_unref(st->hs);
    if (st->req)
        g_array_unref(st->req);
    if (st->hs_resumed)
        g_array_unref(st->hs_resumed);
    st->hs = st->req = st->hs_resumed = NULL;
}

/* ---- numbers ----------------------------------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The q quantile (linear between order statistics) of ns samples, sorted in place; 0 when empty. */
static double quantile(GArray *a, double q)
{
    if (a->len == 0)
        return 0;
    g_array_sort(a, cmp_i64);
    double pos = q * (a->len - 1);
    guint i = (guint)pos;
    double lo = (double)g_array_index(a, int64_t, i);
    double hi = (double)g_array_index(a, int64_t, i + 1 < a->len ? i + 1 : i);
    return lo + (hi - lo) * (pos - i);
}

static double mean(GArray *a)
{
    double s = 0;
    for (guint i = 0; i < a->len; i++)
        s += (double)g_array_index(a, int64_t, i);
    return a->len ? s / a->len : 0;
}

/* A duration (ns) in the scenario syntax, to 4 significant digits (more would be noise): "913.6us", "1.202ms". */
static const char *dur(double ns, char *buf, size_t n)
{
    static const struct {
        double scale;
        const char *unit;
    } units[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1, "ns"}};
    if (!(ns >= 1)) {
        g_strlcpy(buf, "0s", n);
        return buf;
    }
    size_t u = 0;
    while (u + 1 < G_N_ELEMENTS(units) && ns < units[u].scale)
        u++;
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(num, sizeof num, "%.4g", ns / units[u].scale);
    g_snprintf(buf, n, "%s%s", num, units[u].unit);
    return buf;
}

/* `empirical(v:1, ...)` of QUANTILES quantiles of the samples × scale, or the constant mean × scale when there are
 * fewer than MIN_FIT_SAMPLES; checked by hnb_dist_parse. */
static char *fit(GArray *samples, double scale, GError **error)
{
    char b[64];
    GString *s = g_string_new(NULL);
    if (samples->len < MIN_FIT_SAMPLES) {
        g_string_append(s, dur(mean(samples) * scale, b, sizeof b));
    } else {
        g_string_append(s, "empirical(");
        for (guint k = 0; k < QUANTILES; k++)
            g_string_append_printf(s, "%s%s:1", k ? ", " : "",
                                   dur(quantile(samples, (k + 0.5) / QUANTILES) * scale, b, sizeof b));
        g_string_append(s, ")");
    }
    HnbDist d;
    if (!hnb_dist_parse(s->str, HNB_UNIT_DURATION, &d, error)) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

/* ---- the server's counters --------------------------------------------------------------------------------------- */

#define M_CPU_HS "hnbsim_acs_cpu_seconds_total{phase=\"handshake\"}"
#define M_CPU_REQ "hnbsim_acs_cpu_seconds_total{phase=\"request\"}"
#define M_HIST(part, kind) "hnbsim_acs_cpu_per_connection_seconds_" part "{kind=\"" kind "\"}"
#define M_SESSIONS_OK "hnbsim_acs_sessions_total{outcome=\"ok\"}"
#define M_LIMIT "hnbsim_acs_limit{name=\"max_sessions\"}"
#define M_WORKERS "hnbsim_acs_limit{name=\"workers\"}"

typedef struct {
    GHashTable *before, *after;
} Scrape;

static gboolean scrape(const Rig *rig, GHashTable **page, GError **error)
{
    if (!rig->cfg->metrics_url)
        return TRUE;
    if (*page)
        g_hash_table_destroy(*page);
    *page = hnb_drive_scrape(rig->cfg->metrics_url, error);
    return *page != NULL;
}

static double delta(const Scrape *s, const char *name)
{
    return hnb_drive_sample(s->after, name) - hnb_drive_sample(s->before, name);
}

static void scrape_clear(Scrape *s)
{
    if (s->before)
        g_hash_table_destroy(s->before);
    if (s->after)
        g_hash_table_destroy(s->after);
    s->before = s->after = NULL;
}

/* The server's mean CPU (ns) per connection of `kind` over the scrapes, NAN when it counted none. */
static double server_cpu_per(const Scrape *s, const char *sum, const char *count)
{
    double n = delta(s, count);
    return n > 0 ? delta(s, sum) / n * 1e9 : NAN;
}

/* ---- the steps --------------------------------------------------------------------------------------------------- */

static gboolean run_failed(GError **error, const char *what, const Step *st)
{
    const HnbDriveResult *r = &st->first_failure;
    gboolean hs = r->outcome == HNB_DRIVE_HS_FAILED;
    g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %u of %u sessions failed, the first %s%s%s%s%s%s", what,
                st->failed, st->done, hnb_drive_outcome_name(r->outcome), hs ? " (" : "",
                hs ? hnb_tls_reason_name(r->hs_reason) : "", hs ? ")" : "", *r->detail ? ": " : "", r->detail);
    return FALSE;
}

static void report_step(GString *report, const char *what, Step *st, double seconds)
{
    g_string_append_printf(report, "  %-34s %6u ok", what, st->ok);
    if (st->ok) {
        g_string_append_printf(report, "  handshake p50 %7.3f ms p95 %7.3f ms", quantile(st->hs, 0.5) / 1e6,
                               quantile(st->hs, 0.95) / 1e6);
        if (st->mode == HNB_DRIVE_CWMP)
            g_string_append_printf(report, "  requests p50 %7.3f ms p95 %7.3f ms", quantile(st->req, 0.5) / 1e6,
                                   quantile(st->req, 0.95) / 1e6);
        g_string_append_printf(report, "  %.0f/s", st->ok / seconds);
    }
    if (st->resumed)
        g_string_append_printf(report, "  resumed %u", st->resumed);
    if (st->refused)
        g_string_append_printf(report, "  refused %u", st->refused);
    g_string_append(report, "\n");
}

static gboolean inputs(Rig *rig, const HnbCalibrateTargetConfig *cfg, GError **error)
{
    if (!hnb_drive_target_parse(&rig->target, "--target", cfg->url, cfg->owned, error))
        return FALSE;
    static const char *const need[] = {"root.pem", "dev0.key"};
    for (size_t k = 0; k < G_N_ELEMENTS(need); k++) {
        g_autofree char *p = g_build_filename(cfg->pki_dir, need[k], NULL);
        if (!g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                        "--pki %s: no %s (export the server's PKI with `hnbsim pki --out DIR --hnb 64`)",
                        cfg->pki_dir, need[k]);
            return FALSE;
        }
    }
    while (rig->ndev < MAX_DEVICES) {
        g_autofree char *p = g_strdup_printf("%s/dev%u.key", cfg->pki_dir, rig->ndev);
        if (!g_file_test(p, G_FILE_TEST_IS_REGULAR))
            break;
        rig->ndev++;
    }
    /* a burst holds one descriptor a session: raise the soft limit to the hard one, as acs-load does */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    return TRUE;
}

/* Step 6 from the server's page, or from bursts: the most sessions the server keeps open (0: not found). */
static guint session_limit(Rig *rig, GHashTable *page, guint burst_max, double budget_s, GString *how,
                           GString *report)
{
    const double *limit = page ? g_hash_table_lookup(page, M_LIMIT) : NULL;
    if (limit && *limit >= 1) {
        g_string_append_printf(how, "the server's own, read from its page (" M_LIMIT ")");
        return (guint)*limit;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < burst_max + 64)
        burst_max = rl.rlim_cur > 128 ? (guint)rl.rlim_cur - 64 : 64;
    int64_t t0 = hnb_drive_mono_ns();
    guint clean = 0;
    for (guint c = BURST_FIRST; c <= burst_max; c *= 2) {
        Step st;
        step_run(rig, &st, HNB_DRIVE_CWMP, FALSE, FALSE, c, 0, 0);
        g_string_append_printf(report, "  burst of %-25u %6u ok  refused %u  failed %u\n", c, st.ok, st.refused,
                               st.failed);
        guint refused = st.refused, failed = st.failed;
        step_clear(&st);
        if (refused > 0 && clean == 0) {
            g_string_append_printf(how, "not measured: %u of the first burst of %u were refused (8005): the limit "
                                        "is below %u", refused, c, c);
            return 0;
        }
        if (refused > 0) {
            g_string_append_printf(how, "bursts of 8, 16 ... sessions at once: %u of %u refused (8005), so the limit "
                                        "is below %u; %u, the largest burst served whole, is the estimate (its "
                                        "sessions overlapped only in part: the limit may be lower)",
                                   refused, c, c, clean);
            return clean;
        }
        if (failed > 0) {
            g_string_append_printf(how, "not measured: a burst of %u had %u failures other than 8005", c, failed);
            return 0;
        }
        clean = c;
        if ((double)(hnb_drive_mono_ns() - t0) / 1e9 > budget_s) {
            g_string_append_printf(how, "not measured: no refusal up to %u sessions at once within %.0f s", c,
                                   budget_s);
            return 0;
        }
    }
    g_string_append_printf(how, "not measured: no refusal up to %u sessions at once", clean);
    return 0;
}

/* A fit of a step's round trips: each ok session's request phase split evenly over its `trips`, scaled by `scale`
 * (the server's share of the latency). */
static char *trip_fit(const Step *st, unsigned trips, double scale, GError **error)
{
    g_autoptr(GArray) per_rt = g_array_new(FALSE, FALSE, sizeof(int64_t));
    for (guint i = 0; i < st->req->len; i++) {
        int64_t v = g_array_index(st->req, int64_t, i) / trips;
        g_array_append_val(per_rt, v);
    }
    return fit(per_rt, scale, error);
}

/* One session kind's CPU per round trip (step 4b or 4c) as `key` in [target], or why it was not measured appended to
 * `why_not` (the key left out: the model takes cwmp_time).  server: the server's request CPU over the step's sessions;
 * else the client's latency less its own CPU (client_hs_ns a handshake's). */
static gboolean write_kind(GKeyFile *out, const char *key, const char *what, const Step *st, const Scrape *sc,
                           gboolean server, double client_hs_ns, double s_rt_inform, GString *why_not,
                           GString *report, GError **error)
{
    char b[64], b2[64];
    if (st->ok < MIN_FIT_SAMPLES) {
        g_string_append_printf(why_not, "; %s not measured: %u sessions completed", key, st->ok);
        return TRUE;
    }
    if (st->kind == KIND_DOWNLOAD && st->downloads < st->ok) {
        if (st->downloads == 0)
            g_string_append_printf(why_not, "; %s not measured: the server sent no Download to an Inform showing "
                                            "SoftwareVersion " OUTDATED_VERSION " (hnbsim acs does with --image)", key);
        else
            g_string_append_printf(why_not, "; %s not measured: %u of %u sessions showing an outdated SoftwareVersion "
                                            "got a Download (a campaign's attempts per device used up? hnbsim acs "
                                            "--max-attempts)", key, st->downloads, st->ok);
        return TRUE;
    }
    double lat = mean(st->req) / KIND_TRIPS, s_k = NAN;
    if (server)
        s_k = server_cpu_per(sc, M_CPU_REQ, M_SESSIONS_OK) / KIND_TRIPS;
    if (!isfinite(s_k)) {
        double client = (st->client_cpu_s * 1e9 / MAX(st->done, 1) - client_hs_ns) / KIND_TRIPS;
        s_k = MAX(0.1 * lat, lat - MAX(0, client));
    }
    g_autofree char *f = trip_fit(st, KIND_TRIPS, s_k / lat, error);
    if (!f)
        return FALSE;
    g_key_file_set_string(out, "target", key, f);
    g_autofree char *c = g_strdup_printf(" per round trip of a %s session (%u: Inform, %s, then the last): %u sessions, "
                                         "mean %s of %s CPU (an Inform-only session's: %s)", what, KIND_TRIPS,
                                         st->kind == KIND_DOWNLOAD ? "the empty POST answered by Download"
                                                                   : "TransferComplete",
                                         st->ok, dur(s_k, b, sizeof b), server ? "server" : "estimated server",
                                         dur(s_rt_inform, b2, sizeof b2));
    g_key_file_set_comment(out, "target", key, c, NULL);
    g_string_append_printf(report, "  a %s session's round trip %.3f ms (Inform-only %.3f ms)\n", what, s_k / 1e6,
                           s_rt_inform / 1e6);
    return TRUE;
}

typedef struct {
    guint concurrency;
    double rate, p50_ns, p95_ns;
} Load;

gboolean hnb_calibrate_target(const HnbCalibrateTargetConfig *cfg_in, GKeyFile *out, GString *report, GError **error)
{
    HnbCalibrateTargetConfig cfg = *cfg_in;
    if (!cfg.image_version)
        cfg.image_version = "release-1";
    if (!(cfg.seconds > 0))
        cfg.seconds = 5;
    if (!(cfg.timeout > 0))
        cfg.timeout = 10;
    if (!cfg.burst_max)
        cfg.burst_max = 512;
    double warmup = MIN(1.0, cfg.seconds / 4), secs = cfg.seconds;
    Rig rig = {.cfg = &cfg};
    if (!inputs(&rig, &cfg, error)) {
        hnb_drive_target_clear(&rig.target);
        return FALSE;
    }
    rig.loop = ev_loop_new(EVFLAG_AUTO);
    HnbDriveClientConfig ccfg = {.addr_len = rig.target.addr_len, .pki_dir = cfg.pki_dir, .timeout = cfg.timeout,
                                 .resumption = HNB_TLS_RESUME_IDS, .cred_cache = MAX_DEVICES};
    memcpy(&ccfg.addr, &rig.target.addr, rig.target.addr_len);
    rig.client = hnb_drive_client_new(rig.loop, &ccfg, error);
    gboolean ok = rig.client != NULL;
    Step pre = {0}, hs = {0}, res = {0}, inf = {0}, tc = {0}, dl = {0};
    Scrape s_hs = {0}, s_res = {0}, s_inf = {0}, s_tc = {0}, s_dl = {0};
    GArray *loads = g_array_new(FALSE, FALSE, sizeof(Load));

    /* 1. preflight */
    if (ok) {
        step_run(&rig, &pre, HNB_DRIVE_CWMP, FALSE, FALSE, 1, 0, 0);
        if (pre.ok != 1) {
            const HnbDriveResult *r = &pre.first_failure;
            gboolean hsf = r->outcome == HNB_DRIVE_HS_FAILED;
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                        "--target %s (%s): the preflight session with dev0 ended %s%s%s%s%s%s", cfg.url,
                        rig.target.addr_text, pre.refused ? "refused_overload" : hnb_drive_outcome_name(r->outcome),
                        hsf ? " (" : "", hsf ? hnb_tls_reason_name(r->hs_reason) : "", hsf ? ")" : "",
                        *r->detail ? ": " : "", r->detail);
            ok = FALSE;
        }
    }
    if (ok)
        g_string_append_printf(report, "hnbsim calibrate --target %s (%s): %u devices, %.3g s a step after %.3g s of "
                                       "warm-up\n", cfg.url, rig.target.addr_text, rig.ndev, secs, warmup);
    /* 2. full handshakes; 3. resumed; 4. Inform sessions: concurrency 1 */
    ok = ok && scrape(&rig, &s_hs.before, error);
    if (ok) {
        step_run(&rig, &hs, HNB_DRIVE_HANDSHAKE_WAIT, FALSE, TRUE, 1, warmup, secs);
        report_step(report, "full handshakes, concurrency 1", &hs, secs);
        ok = hs.failed == 0 || run_failed(error, "full handshakes", &hs);
    }
    ok = ok && scrape(&rig, &s_hs.after, error) && scrape(&rig, &s_res.before, error);
    if (ok) {
        step_run(&rig, &res, HNB_DRIVE_HANDSHAKE_WAIT, TRUE, TRUE, 1, warmup, secs);
        report_step(report, "offering the last session", &res, secs);
        ok = res.failed == 0 || run_failed(error, "resumed handshakes", &res);
    }
    ok = ok && scrape(&rig, &s_res.after, error) && scrape(&rig, &s_inf.before, error);
    if (ok) {
        step_run(&rig, &inf, HNB_DRIVE_CWMP, FALSE, TRUE, 1, warmup, secs);
        report_step(report, "Inform sessions, concurrency 1", &inf, secs);
        ok = inf.failed == 0 || run_failed(error, "Inform sessions", &inf);
    }
    ok = ok && scrape(&rig, &s_inf.after, error);
    /* 4b. TransferComplete sessions; 4c. Download sessions: each device once (a Download counts against the
     * server's campaign attempts for the device) */
    ok = ok && scrape(&rig, &s_tc.before, error);
    if (ok) {
        step_kind(&rig, &tc, KIND_TRANSFER, rig.ndev, secs);
        report_step(report, "TransferComplete sessions", &tc, secs);
        ok = tc.failed == 0 || run_failed(error, "TransferComplete sessions", &tc);
    }
    ok = ok && scrape(&rig, &s_tc.after, error) && scrape(&rig, &s_dl.before, error);
    if (ok) {
        step_kind(&rig, &dl, KIND_DOWNLOAD, rig.ndev, secs);
        report_step(report, "outdated SoftwareVersion sessions", &dl, secs);
        ok = dl.failed == 0 || run_failed(error, "sessions showing an outdated SoftwareVersion", &dl);
    }
    ok = ok && scrape(&rig, &s_dl.after, error);
    if (ok && (hs.ok == 0 || inf.ok == 0)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "no handshake or no session completed within %.3g s", secs);
        ok = FALSE;
    }
    /* 5. closed loop */
    double x_max = 0;
    for (guint c = 1; ok && c <= MAX_CONCURRENCY; c *= 2) {
        Step st;
        step_run(&rig, &st, HNB_DRIVE_CWMP, FALSE, TRUE, c, warmup, secs);
        g_autofree char *what = g_strdup_printf("closed loop, concurrency %u", c);
        report_step(report, what, &st, secs);
        Load l = {c, st.ok / secs, quantile(st.hs, 0.5) + quantile(st.req, 0.5),
                  quantile(st.hs, 0.95) + quantile(st.req, 0.95)};
        gboolean failed = st.failed > 0;
        if (failed)
            run_failed(error, what, &st);
        step_clear(&st);
        if (failed) {
            ok = FALSE;
            break;
        }
        g_array_append_val(loads, l);
        gboolean rising = l.rate >= 1.05 * x_max;
        x_max = MAX(x_max, l.rate);
        if (!rising)
            break;
    }
    /* 5b. the open loop at a tenth of X_max (5 to 100 sessions/s): the latencies a fleet's sessions see */
    Step open = {0};
    double open_rate = CLAMP(x_max / 10, 5, 100);
    if (ok) {
        step_open(&rig, &open, open_rate, warmup, secs);
        g_autofree char *what = g_strdup_printf("open loop, %.0f/s", open_rate);
        report_step(report, what, &open, secs);
        ok = open.failed == 0 || run_failed(error, what, &open);
    }
    /* 6. the session limit */
    g_autoptr(GString) limit_how = g_string_new(NULL), threads = g_string_new(NULL);
    guint max_sessions = 0;
    gboolean limit_named = FALSE; /* the server's page gave the limit: hnbsim acs, which counts from the Inform */
    if (ok) {
        GHashTable *page = NULL;
        if (cfg.metrics_url && !(page = hnb_drive_scrape(cfg.metrics_url, error)))
            ok = FALSE;
        else
            max_sessions = session_limit(&rig, page, cfg.burst_max, 10 * secs + 10, limit_how, report);
        limit_named = page && g_hash_table_lookup(page, M_LIMIT);
        const double *w = page ? g_hash_table_lookup(page, M_WORKERS) : NULL;
        if (w)
            g_string_printf(threads, " (the server says it runs %.0f worker threads)", *w);
        if (page)
            g_hash_table_destroy(page);
    }

    if (ok) {
        /* service times: the server's CPU when its page shows it, else the client's latency less its own CPU */
        double lat_hs = mean(hs.hs), lat_res = mean(res.hs_resumed), lat_rt = mean(inf.req) / 2;
        double s_full = NAN, s_resumed = NAN, s_rt = NAN;
        gboolean server = cfg.metrics_url && s_hs.after && g_hash_table_contains(s_hs.after, M_CPU_REQ) &&
                          g_hash_table_contains(s_hs.after, M_HIST("count", "handshake_full"));
        if (server) {
            s_full = server_cpu_per(&s_hs, M_HIST("sum", "handshake_full"), M_HIST("count", "handshake_full"));
            s_resumed = server_cpu_per(&s_res, M_HIST("sum", "handshake_resumed"), M_HIST("count", "handshake_resumed"));
            s_rt = server_cpu_per(&s_inf, M_CPU_REQ, M_SESSIONS_OK) / 2;
            server = isfinite(s_full) && isfinite(s_rt);
        }
        if (!server) {
            double client_hs = hs.client_cpu_s * 1e9 / MAX(hs.done, 1);
            double client_res = res.client_cpu_s * 1e9 / MAX(res.done, 1);
            double client_rt = (inf.client_cpu_s * 1e9 / MAX(inf.done, 1) - client_hs) / 2;
            s_full = MAX(0.1 * lat_hs, lat_hs - client_hs);
            s_resumed = MAX(0.1 * lat_res, lat_res - client_res);
            s_rt = MAX(0.1 * lat_rt, lat_rt - MAX(0, client_rt));
        }
        const char *method = server ? "server_metrics" : "client_latency";
        double share = res.ok ? (double)res.resumed / res.ok : 0;
        gboolean resumes = share >= 0.5;
        char b[64], b2[64];
        GDateTime *now = g_date_time_new_now_utc();
        g_autofree char *utc = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
        g_date_time_unref(now);
        const char *G = "target";
        g_key_file_set_string(out, G, "url", cfg.url);
        g_key_file_set_string(out, G, "method", method);
        g_key_file_set_comment(out, G, "method",
                               server ? " service times: the server's CPU per handshake and per request (its /metrics "
                                        "counters over steps 2-4), the fits' shapes from the client's latencies"
                                      : " service times: the client's latencies less its own CPU (getrusage per "
                                        "session): the server showed no CPU counters", NULL);
        g_key_file_set_string(out, G, "measured_utc", utc);
        g_autofree char *f_hs = fit(hs.hs, s_full / lat_hs, error);
        ok = f_hs != NULL;
        if (ok) {
            g_key_file_set_string(out, G, "handshake_time", f_hs);
            g_autofree char *c = g_strdup_printf(" full handshake: %u measured, mean %s of server CPU (latency p50 %s)",
                                                 hs.ok, dur(s_full, b, sizeof b), dur(quantile(hs.hs, 0.5), b2, sizeof b2));
            g_key_file_set_comment(out, G, "handshake_time", c, NULL);
            g_key_file_set_string(out, G, "handshake_cpu_mean", dur(s_full, b, sizeof b));
        }
        if (ok && resumes && isfinite(s_resumed)) {
            g_autofree char *f = fit(res.hs_resumed, s_resumed / lat_res, error);
            ok = f != NULL;
            if (ok) {
                g_key_file_set_string(out, G, "resumed_handshake_time", f);
                g_autofree char *c = g_strdup_printf(" resumed handshake: %u measured, mean %s of server CPU",
                                                     res.resumed, dur(s_resumed, b, sizeof b));
                g_key_file_set_comment(out, G, "resumed_handshake_time", c, NULL);
            }
        }
        g_autofree char *f_rt = ok ? trip_fit(&inf, 2, s_rt / lat_rt, error) : NULL;
        ok = ok && f_rt != NULL;
        /* the network's and the client's share: from the open loop when it has enough sessions (a fleet's sessions
         * arrive so), else from concurrency 1; the handshake's from before connect(), as the model's latency counts */
        gboolean from_open = open.ok >= MIN_FIT_SAMPLES;
        double lat_hs_net = from_open ? mean(open.hs) : lat_hs, lat_rt_net = from_open ? mean(open.req) / 2 : lat_rt;
        double rtt = MAX(0, lat_rt_net - s_rt), hs_rtt = MAX(0, lat_hs_net - s_full);
        double mean_s = s_full + 2 * s_rt, w_eff = x_max * mean_s / 1e9;
        if (ok) {
            g_key_file_set_string(out, G, "cwmp_time", f_rt);
            g_autoptr(GString) c = g_string_new(NULL);
            g_string_printf(c, " per round trip (2 an Inform-only session: Inform, empty POST): %u sessions, mean %s "
                               "of server CPU", inf.ok, dur(s_rt, b, sizeof b));
            double client_hs = hs.client_cpu_s * 1e9 / MAX(hs.done, 1);
            ok = write_kind(out, "transfer_cwmp_time", "TransferComplete", &tc, &s_tc, server, client_hs, s_rt, c,
                            report, error) &&
                 write_kind(out, "download_cwmp_time", "Download", &dl, &s_dl, server, client_hs, s_rt, c, report,
                            error);
            g_key_file_set_comment(out, G, "cwmp_time", c->str, NULL);
            g_key_file_set_string(out, G, "rtt", dur(rtt, b, sizeof b));
            g_autofree char *how = from_open
                ? g_strdup_printf("the open loop's %u sessions at %.0f/s (concurrency 1: %s a round trip, %s a "
                                  "handshake: a fleet's sessions find the machine colder)", open.ok, open_rate,
                                  dur(MAX(0, lat_rt - s_rt), b, sizeof b), dur(MAX(0, lat_hs - s_full), b2, sizeof b2))
                : g_strdup("concurrency 1 (the open loop had too few sessions)");
            g_autofree char *rtt_c = g_strdup_printf(" a round trip's latency less the server's CPU in it, from %s", how);
            g_key_file_set_comment(out, G, "rtt", rtt_c, NULL);
            g_key_file_set_string(out, G, "handshake_rtt", dur(hs_rtt, b, sizeof b));
            g_autofree char *hc = g_strdup_printf(" the client's share of a full handshake, connect() included: its "
                                                  "latency less the server's CPU, from %s", how);
            g_key_file_set_comment(out, G, "handshake_rtt", hc, NULL);
            g_key_file_set_integer(out, G, "workers", MAX(1, (int)lround(w_eff)));
            g_autofree char *wc = g_strdup_printf(" workers_effective = %.2f: X_max %.1f/s x mean session CPU %s%s",
                                                  w_eff, x_max, dur(mean_s, b, sizeof b), threads->str);
            g_key_file_set_comment(out, G, "workers", wc, NULL);
            if (max_sessions > 0)
                g_key_file_set_integer(out, G, "max_sessions", (gint)max_sessions);
            g_autofree char *mc = g_strdup_printf(" max_sessions: %s", limit_how->str);
            g_key_file_set_comment(out, G, max_sessions > 0 ? "max_sessions" : "overload", mc, NULL);
            g_key_file_set_string(out, G, "overload", "reject_after_handshake");
            if (limit_named) {
                /* a burst cannot tell a connection limit from a session limit (both answer the first POST); the
                 * page's family is hnbsim acs's, whose sessions_open counts from the Inform (tools/acs/acs_loop.c) */
                g_key_file_set_string(out, G, "max_sessions_at", "inform");
                g_key_file_set_string(out, G, "request_cpu", "queued");
                g_key_file_set_comment(out, G, "request_cpu", " hnbsim acs answers each request when it arrives, "
                                                              "in its event loop behind the handshakes", NULL);
                g_key_file_set_comment(out, G, "max_sessions_at", " hnbsim acs counts a session from its Inform to "
                                                                  "its connection's close", NULL);
            }
            g_key_file_set_string(out, G, "resumption", resumes ? "ids" : "none");
            g_autofree char *rc = g_strdup_printf(" %u of %u handshakes offering the last session resumed", res.resumed,
                                                  res.ok);
            g_key_file_set_comment(out, G, "resumption", rc, NULL);
            g_autofree char *cap = g_strdup_printf("%.1f/s", x_max);
            g_key_file_set_string(out, G, "capacity_per_s", cap);
            g_key_file_set_comment(out, G, "capacity_per_s", " informational: X_max, the best closed-loop rate "
                                                             "(full handshakes, one Inform session each)", NULL);
            GString *lt = g_string_new(NULL);
            for (guint i = 0; i < loads->len; i++) {
                const Load *l = &g_array_index(loads, Load, i);
                g_string_append_printf(lt, "%sc%u %.1f/s p50 %s", i ? ", " : "", l->concurrency, l->rate,
                                       dur(l->p50_ns, b, sizeof b));
                g_string_append_printf(lt, " p95 %s", dur(l->p95_ns, b, sizeof b));
            }
            g_key_file_set_string(out, G, "loads", lt->str);
            g_key_file_set_comment(out, G, "loads", " informational: the closed loop, concurrency: sessions/s, "
                                                    "session latency p50/p95", NULL);
            g_string_free(lt, TRUE);
            g_autofree char *head = g_strdup_printf(" hnbsim calibrate --target %s on %s: [acs] and [tls] keys for a "
                                                    "fleet scenario's [acs] calibration = FILE", cfg.url, utc);
            g_key_file_set_comment(out, G, NULL, head, NULL);
            g_string_append_printf(report, "  method %s: server CPU a full handshake %.3f ms", method, s_full / 1e6);
            if (res.resumed && isfinite(s_resumed))
                g_string_append_printf(report, ", resumed %.3f ms", s_resumed / 1e6);
            g_string_append_printf(report, ", a round trip %.3f ms; rtt %.3f ms, handshake_rtt %.3f ms\n", s_rt / 1e6,
                                   rtt / 1e6, hs_rtt / 1e6);
            if (max_sessions)
                g_snprintf(b, sizeof b, "%u", max_sessions);
            else
                g_strlcpy(b, "-", sizeof b);
            g_string_append_printf(report, "  X_max %.1f/s, workers_effective %.2f, resumed %.0f%%, max_sessions %s "
                                           "(%s)\n", x_max, w_eff, 100 * share, b, limit_how->str);
        }
    }
    g_array_unref(loads);
    scrape_clear(&s_hs);
    scrape_clear(&s_res);
    scrape_clear(&s_inf);
    scrape_clear(&s_tc);
    scrape_clear(&s_dl);
    step_clear(&tc);
    step_clear(&dl);
    step_clear(&pre);
    step_clear(&hs);
    step_clear(&res);
    step_clear(&inf);
    step_clear(&open);
    if (rig.client)
        hnb_drive_client_free(rig.client);
    for (guint i = 0; i < MAX_DEVICES; i++)
        if (rig.kept[i])
            SSL_SESSION_free(rig.kept[i]);
    ev_loop_destroy(rig.loop);
    hnb_drive_target_clear(&rig.target);
    return ok;
}
