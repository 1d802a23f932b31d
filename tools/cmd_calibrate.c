/* tools/cmd_calibrate.c — `hnbsim calibrate`: CPU cost of the real operations the simulation models, on this machine.
 *
 * Every number comes from the same engine the fleet model runs (crypto/tls_engine.c, crypto/image.c) in the worker pool:
 * full and resumed TLS handshakes for EC P-256 and RSA-2048 device keys, IKEv2 tunnel set-ups with the SeGW
 * (crypto/ike_job.h), image-manifest verifications (ECDSA and RSA-PSS), device-certificate generation and cache
 * hits.  CPU time is CLOCK_THREAD_CPUTIME_ID per job:
 *   handshake_*      the ACS's share (its SSL_do_handshake calls): what an H(e)MS worker spends, the service time
 *   pair_handshake_* both ends, as the in-process engine spends it
 *   segw_setup_*     the SeGW's share of an IKEv2 set-up (its key exchange in the (EC)DH group of --dh-group, saved
 *                    as segw_dh_group; the device chain with the CRL, the HNB's AUTH, its own AUTH signature);
 *                    pair_segw_setup_* both ends.  models/calibration.c sets [segw] setup_time from it when the
 *                    scenario's [segw] dh_group is the group measured.
 *   rate_*           jobs per wall-clock second at --threads (both ends in-process)
 * The file is a GKeyFile whose [calibration] values are durations and rates in the scenario syntax.
 *
 * With --target URL the command measures a real H(e)MS over the network instead and writes a [target] group
 * (tools/drive/calibrate_target.h; not in hnbsim-mpi, which has no libev).
 */
#include "tools/cli.h"
#include "crypto/ike_job.h"
#include "crypto/image.h"
#include "crypto/pki.h"
#include "sim/pool.h"
#include "crypto/tls_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#ifndef HNB_MPI_BUILD
#include <signal.h>
#include "tools/drive/calibrate_target.h"
#endif

typedef struct {
    const char *key;
    const char *what;
    GArray *cpu;     /* uint64_t ns per job */
    GArray *acs;     /* uint64_t ns per job, ACS share (handshakes only) */
    double rate;     /* jobs per wall second */
    guint failures;  /* jobs whose outcome was not the expected one */
} Measure;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t quantile(GArray *a, double q)
{
    if (!a || a->len == 0)
        return 0;
    g_array_sort(a, cmp_u64);
    guint i = (guint)(q * (a->len - 1) + 0.5);
    return g_array_index(a, uint64_t, i);
}

/* A duration in the scenario syntax with four significant digits or so (more would be noise): "925.6us", "1.598ms". */
static const char *dur(uint64_t ns, char buf[32])
{
    const char *unit = "us";
    double v = (double)ns / 1e3;
    const char *fmt = "%.1f";
    if (ns >= 1000000000u)
        unit = "s", v = (double)ns / 1e9, fmt = "%.3f";
    else if (ns >= 1000000u)
        unit = "ms", v = (double)ns / 1e6, fmt = "%.3f";
    g_ascii_formatd(buf, 24, fmt, v);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (buf[n - 1] == '.')
        buf[--n] = '\0';
    g_strlcat(buf, unit, 32);
    return buf;
}

static void measure_init(Measure *m, const char *key, const char *what)
{
    memset(m, 0, sizeof *m);
    m->key = key;
    m->what = what;
    m->cpu = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    m->acs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
}

static void measure_clear(Measure *m)
{
    g_array_unref(m->cpu);
    g_array_unref(m->acs);
}

/* ---- handshakes ---- */

#define HNBS 64 /* distinct devices the handshakes cycle through */

static HnbPki *make_pki(HnbPkiKeyType device, HnbPkiKeyType signing, GError **error)
{
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    p.device_key = device;
    p.signing_key = signing;
    HnbPki *pki = hnb_pki_new(&p, error); /* the user's cache: a second calibration does not regenerate */
    hnb_pki_params_clear(&p);
    return pki;
}

/* Run handshakes for `seconds` (after a short warm-up); resumed: each HNB offers the session of a first handshake. */
static gboolean run_handshakes(HnbTlsEngine *e, unsigned threads, double seconds, gboolean resumed, Measure *m,
                               GError **error)
{
    HnbPool *pool = hnb_pool_new(threads, 8, hnb_tls_thread_init, hnb_tls_thread_free, e);
    HnbTlsSession *kept[HNBS] = {0};
    guint batch = 16 * (threads ? threads : 1);
    HnbTlsJob *jobs = g_new0(HnbTlsJob, batch);
    uint64_t *tickets = g_new0(uint64_t, batch);
    gboolean ok = TRUE;
    /* make sure every device exists (generation is not what we measure) and get the sessions to resume */
    for (uint32_t i = 0; i < HNBS && ok; i++) {
        HnbTlsJob j;
        hnb_tls_job_init(&j, e, i, 0, 0, NULL);
        hnb_tls_job_run_once(&j);
        if (j.reason != HNB_TLS_OK) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "calibration handshake failed: %s (%s)",
                        hnb_tls_reason_name(j.reason), j.detail);
            ok = FALSE;
        }
        kept[i] = j.session;
    }
    gint64 start = 0, deadline = 0;
    guint64 n = 0, counted = 0;
    for (int phase = 0; phase < 2 && ok; phase++) {
        /* phase 0: warm-up of 10% (thread contexts, caches); phase 1: measured */
        start = g_get_monotonic_time();
        deadline = start + (gint64)(seconds * (phase == 0 ? 0.1 : 1.0) * G_USEC_PER_SEC);
        counted = 0;
        while (g_get_monotonic_time() < deadline) {
            for (guint k = 0; k < batch; k++, n++) {
                uint32_t i = (uint32_t)(n % HNBS);
                hnb_tls_job_init(&jobs[k], e, i, HNB_HOUR, HNB_HOUR, resumed ? kept[i] : NULL);
                jobs[k].flags = HNB_TLS_JOB_MEASURE_ACS;
                tickets[k] = hnb_pool_submit(pool, hnb_tls_job_run, &jobs[k]);
            }
            for (guint k = 0; k < batch; k++) {
                hnb_pool_join(pool, tickets[k]);
                if (jobs[k].reason != HNB_TLS_OK || jobs[k].resumed != resumed)
                    m->failures++;
                if (phase == 1) {
                    g_array_append_val(m->cpu, jobs[k].cpu_ns);
                    g_array_append_val(m->acs, jobs[k].acs_cpu_ns);
                    counted++;
                }
                hnb_tls_session_free(jobs[k].session);
            }
        }
    }
    if (ok)
        m->rate = (double)counted / ((double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
    for (int i = 0; i < HNBS; i++)
        hnb_tls_session_free(kept[i]);
    g_free(jobs);
    g_free(tickets);
    hnb_pool_free(pool);
    return ok;
}

/* ---- IKEv2 set-ups ---- */

/* Set-ups for `seconds` after a warm-up of 10%, cycling through the HNBs the handshakes made (each a new attempt). */
static gboolean run_ike(HnbIkeEngine *e, unsigned threads, double seconds, Measure *m, GError **error)
{
    HnbPool *pool = hnb_pool_new(threads, 8, hnb_ike_thread_init, hnb_ike_thread_free, e);
    guint batch = 16 * (threads ? threads : 1);
    HnbIkeJob *jobs = g_new0(HnbIkeJob, batch);
    uint64_t *tickets = g_new0(uint64_t, batch);
    gboolean ok = TRUE;
    gint64 start = 0;
    guint64 n = 0, counted = 0;
    for (int phase = 0; phase < 2 && ok; phase++) {
        start = g_get_monotonic_time();
        gint64 deadline = start + (gint64)(seconds * (phase == 0 ? 0.1 : 1.0) * G_USEC_PER_SEC);
        counted = 0;
        while (ok && g_get_monotonic_time() < deadline) {
            for (guint k = 0; k < batch; k++, n++) {
                hnb_ike_job_init(&jobs[k], e, (uint32_t)(n % HNBS), (uint32_t)(n / HNBS), HNB_HOUR, HNB_HOUR);
                tickets[k] = hnb_pool_submit(pool, hnb_ike_job_run, &jobs[k]);
            }
            for (guint k = 0; k < batch; k++) {
                hnb_pool_join(pool, tickets[k]);
                if (jobs[k].error && ok) { /* OpenSSL failed: no measurement */
                    g_propagate_error(error, g_steal_pointer(&jobs[k].error));
                    ok = FALSE;
                }
                if (jobs[k].reason != HNB_TLS_OK)
                    m->failures++;
                if (phase == 1) {
                    g_array_append_val(m->cpu, jobs[k].cpu_ns);
                    g_array_append_val(m->acs, jobs[k].segw_cpu_ns);
                    counted++;
                }
                hnb_ike_job_clear(&jobs[k]);
            }
        }
    }
    if (ok)
        m->rate = (double)counted / ((double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
    g_free(jobs);
    g_free(tickets);
    hnb_pool_free(pool);
    return ok;
}

/* ---- images ---- */

static gboolean run_images(HnbPki *pki, unsigned threads, double seconds, Measure *m, GError **error)
{
    HnbImageManifest man;
    hnb_image_manifest_init(&man, "hnb-release", "1.0.0", 50000000, "calibration");
    HnbSignedImage s;
    if (!hnb_image_sign(&s, &man, hnb_pki_signing(pki)->key, error))
        return FALSE;
    uint8_t content[32];
    hnb_image_content_digest("calibration", content);
    HnbPool *pool = hnb_pool_new(threads, 8, NULL, NULL, NULL);
    guint batch = 32 * (threads ? threads : 1);
    HnbImageJob *jobs = g_new0(HnbImageJob, batch);
    uint64_t *tickets = g_new0(uint64_t, batch);
    gint64 start = g_get_monotonic_time(), deadline = start + (gint64)(seconds * G_USEC_PER_SEC);
    guint64 counted = 0;
    while (g_get_monotonic_time() < deadline) {
        for (guint k = 0; k < batch; k++) {
            jobs[k] = (HnbImageJob){
                .image = &s, .cert = hnb_pki_signing(pki)->cert, .content = content, .measure = TRUE};
            tickets[k] = hnb_pool_submit(pool, hnb_image_job_run, &jobs[k]);
        }
        for (guint k = 0; k < batch; k++) {
            hnb_pool_join(pool, tickets[k]);
            if (jobs[k].reason != HNB_IMAGE_OK)
                m->failures++;
            g_array_append_val(m->cpu, jobs[k].cpu_ns);
            counted++;
        }
    }
    m->rate = (double)counted / ((double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
    g_free(jobs);
    g_free(tickets);
    hnb_pool_free(pool);
    hnb_image_signed_clear(&s);
    return TRUE;
}

/* ---- PKI: generation and cache hits ---- */

static uint64_t thread_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void rm_tree(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, n, NULL);
            rm_tree(p);
        }
        if (d)
            g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static gboolean run_pki(HnbPkiKeyType kt, guint count, Measure *gen, Measure *hit, GError **error)
{
    g_autofree char *dir = g_dir_make_tmp("hnbsim-calibrate-XXXXXX", error);
    if (!dir)
        return FALSE;
    gboolean ok = TRUE;
    for (int pass = 0; pass < 2 && ok; pass++) {
        HnbPkiParams p;
        hnb_pki_params_init(&p);
        p.device_key = kt;
        p.cache_dir = g_strdup(dir);
        HnbPki *pki = hnb_pki_new(&p, error);
        hnb_pki_params_clear(&p);
        if (!pki)
            return FALSE;
        Measure *m = pass == 0 ? gen : hit;
        gint64 start = g_get_monotonic_time();
        for (uint32_t i = 0; i < count && ok; i++) {
            uint64_t t0 = thread_ns();
            ok = hnb_pki_device(pki, i, error) != NULL;
            uint64_t d = thread_ns() - t0;
            g_array_append_val(m->cpu, d);
        }
        m->rate = count / ((double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
        hnb_pki_free(pki);
    }
    rm_tree(dir); /* the cache was private */
    return ok;
}

/* ---- the command ---- */

static HnbTlsEngine *engine_for(HnbPki *pki, GError **error)
{
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    HnbTlsEngine *e = hnb_tls_engine_new(pki, &cfg, NULL, error);
    hnb_tls_config_clear(&cfg);
    return e;
}

static void print_row(const Measure *m)
{
    char a[32], b[32], c[32];
    if (m->acs->len)
        printf("  %-24s %10s %10s %10s %10.0f/s  %s\n", m->key, dur(quantile(m->acs, 0.5), a),
               dur(quantile(m->acs, 0.95), b), dur(quantile(m->cpu, 0.5), c), m->rate, m->what);
    else
        printf("  %-24s %10s %10s %10s %10.0f/s  %s\n", m->key, dur(quantile(m->cpu, 0.5), a),
               dur(quantile(m->cpu, 0.95), b), "-", m->rate, m->what);
    if (m->failures)
        printf("  %-24s %u job(s) did not give the expected outcome!\n", "", m->failures);
}

/* The operations measured, in the order printed and saved. */
enum { FULL_EC, RES_EC, FULL_RSA, RES_RSA, IKE_EC, IKE_RSA, IMG_EC, IMG_RSA, GEN_EC, HIT_EC, GEN_RSA, HIT_RSA, NM };
static const struct {
    const char *key, *what;
} ops[NM] = {
    [FULL_EC] = {"handshake_full_ec", "full handshake, EC P-256 device key"},
    [RES_EC] = {"handshake_resumed_ec", "resumed handshake (session ID), EC P-256 device"},
    [FULL_RSA] = {"handshake_full_rsa", "full handshake, RSA-2048 device key"},
    [RES_RSA] = {"handshake_resumed_rsa", "resumed handshake (session ID), RSA-2048 device"},
    [IKE_EC] = {"segw_setup_ec", NULL}, /* the words name the (EC)DH group: ike_what */
    [IKE_RSA] = {"segw_setup_rsa", NULL},
    [IMG_EC] = {"image_verify_ec", "image manifest verification, ECDSA P-256"},
    [IMG_RSA] = {"image_verify_rsa", "image manifest verification, RSA-PSS 2048"},
    [GEN_EC] = {"pki_device_ec", "device certificate generation + cache write, EC P-256"},
    [HIT_EC] = {"pki_cache_hit_ec", "device certificate read from the cache, EC P-256"},
    [GEN_RSA] = {"pki_device_rsa", "device certificate generation + cache write, RSA-2048"},
    [HIT_RSA] = {"pki_cache_hit_rsa", "device certificate read from the cache, RSA-2048"},
};

/* The PKIs and TLS engines the measurements run on (EC P-256 and RSA-2048 devices). */
typedef struct {
    HnbPki *pki_ec, *pki_rsa;
    HnbTlsEngine *e_ec, *e_rsa;
    HnbIkeEngine *ike_ec, *ike_rsa;
    int dh_group; /* of the IKEv2 set-ups (--dh-group) */
} Rig;

static void rig_clear(Rig *r)
{
    hnb_tls_engine_free(r->e_ec);
    hnb_tls_engine_free(r->e_rsa);
    hnb_ike_engine_free(r->ike_ec);
    hnb_ike_engine_free(r->ike_rsa);
    hnb_pki_free(r->pki_ec);
    hnb_pki_free(r->pki_rsa);
}

/* Build the rig and run every measurement of m[NM] in turn; FALSE at the first failure. */
static gboolean measure_all(Rig *r, Measure *m, unsigned t, double seconds, GError **error)
{
    return (r->pki_ec = make_pki(HNB_PKI_KEY_EC_P256, HNB_PKI_KEY_EC_P256, error)) &&
           (r->pki_rsa = make_pki(HNB_PKI_KEY_RSA_2048, HNB_PKI_KEY_RSA_2048, error)) &&
           (r->e_ec = engine_for(r->pki_ec, error)) && (r->e_rsa = engine_for(r->pki_rsa, error)) &&
           run_handshakes(r->e_ec, t, seconds, FALSE, &m[FULL_EC], error) &&
           run_handshakes(r->e_ec, t, seconds, TRUE, &m[RES_EC], error) &&
           run_handshakes(r->e_rsa, t, seconds, FALSE, &m[FULL_RSA], error) &&
           run_handshakes(r->e_rsa, t, seconds, TRUE, &m[RES_RSA], error) &&
           (r->ike_ec = hnb_ike_engine_new(r->pki_ec, r->dh_group, NULL, error)) &&
           (r->ike_rsa = hnb_ike_engine_new(r->pki_rsa, r->dh_group, NULL, error)) &&
           run_ike(r->ike_ec, t, seconds, &m[IKE_EC], error) && run_ike(r->ike_rsa, t, seconds, &m[IKE_RSA], error) &&
           run_images(r->pki_ec, t, seconds, &m[IMG_EC], error) && run_images(r->pki_rsa, t, seconds, &m[IMG_RSA], error) &&
           run_pki(HNB_PKI_KEY_EC_P256, 200, &m[GEN_EC], &m[HIT_EC], error) &&
           run_pki(HNB_PKI_KEY_RSA_2048, 10, &m[GEN_RSA], &m[HIT_RSA], error);
}

/* --compare-ctx: full EC handshakes per wall second with one shared SSL_CTX pair and with per-thread pairs, at one
 * thread and at t (at least 2); the engine is left per-thread. */
static gboolean compare_ctx(HnbTlsEngine *e, unsigned t, double seconds, GError **error)
{
    printf("\nSSL_CTX sharing (full EC handshakes, both ends, per wall second):\n");
    unsigned counts[2] = {1, t > 1 ? t : 2};
    for (int k = 0; k < 2; k++) {
        double rate[2];
        for (int mode = 0; mode < 2; mode++) {
            Measure x;
            measure_init(&x, "", "");
            hnb_tls_engine_set_ctx_mode(e, mode == 0 ? HNB_TLS_CTX_SHARED : HNB_TLS_CTX_PER_THREAD);
            gboolean ok = run_handshakes(e, counts[k], seconds, FALSE, &x, error);
            rate[mode] = x.rate;
            measure_clear(&x);
            if (!ok)
                return FALSE;
        }
        printf("  %u thread(s): shared %.0f/s, per-thread %.0f/s (%+.1f%%)\n", counts[k], rate[0], rate[1],
               100.0 * (rate[1] / rate[0] - 1));
    }
    hnb_tls_engine_set_ctx_mode(e, HNB_TLS_CTX_PER_THREAD);
    return TRUE;
}

/* --out: the calibration file ([calibration] KEY, KEY_p95, pair_KEY, rate_KEY per operation). */
static gboolean save(const Measure *m, const char *out, unsigned t, double seconds, int dh_group, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *head = g_strdup_printf(
        " hnbsim calibrate: CPU time per operation on this machine (median; _p95: 95th percentile),\n"
        " %s, %u thread(s), %.3g s each.  handshake_*: the ACS's share; pair_handshake_*: both ends;\n"
        " segw_setup_*: the SeGW's share of an IKEv2 tunnel set-up; pair_segw_setup_*: both ends;\n"
        " rate_*: operations per wall-clock second at that thread count.",
        OpenSSL_version(OPENSSL_VERSION), t, seconds);
    for (int i = 0; i < NM; i++) {
        char a[32];
        GArray *main = m[i].acs->len ? m[i].acs : m[i].cpu;
        g_key_file_set_string(kf, "calibration", m[i].key, dur(quantile(main, 0.5), a));
        g_autofree char *p95 = g_strdup_printf("%s_p95", m[i].key);
        g_key_file_set_string(kf, "calibration", p95, dur(quantile(main, 0.95), a));
        if (m[i].acs->len) {
            g_autofree char *pair = g_strdup_printf("pair_%s", m[i].key);
            g_key_file_set_string(kf, "calibration", pair, dur(quantile(m[i].cpu, 0.5), a));
        }
        g_autofree char *rate_key = g_strdup_printf("rate_%s", m[i].key);
        g_autofree char *rate = g_strdup_printf("%.0f/s", m[i].rate);
        g_key_file_set_string(kf, "calibration", rate_key, rate);
    }
    /* segw_setup_* hold for this group only: [acs] calibration applies them to a scenario of the same [segw] dh_group */
    g_key_file_set_integer(kf, "calibration", "segw_dh_group", dh_group);
    g_key_file_set_comment(kf, "calibration", NULL, head, NULL);
    return g_key_file_save_to_file(kf, out, error);
}

/* --target: measure a real H(e)MS (exit 2 for bad input, as `hnbsim drive`). */
static int calibrate_target(const char *target, const char *pki, const char *metrics, const char *image_version,
                            double seconds, gboolean owned, const char *out)
{
#ifdef HNB_MPI_BUILD
    (void)target, (void)pki, (void)metrics, (void)image_version, (void)seconds, (void)owned, (void)out;
    fprintf(stderr, "hnbsim calibrate: --target is not in hnbsim-mpi (run hnbsim)\n");
    return HNB_EXIT_INPUT;
#else
    if (!pki || !out) {
        fprintf(stderr, "hnbsim calibrate: --target needs --pki DIR and -o FILE\n");
        return HNB_EXIT_INPUT;
    }
    signal(SIGPIPE, SIG_IGN); /* a write to a connection the server closed is an error return, not a death */
    HnbCalibrateTargetConfig cfg = {.url = target, .pki_dir = pki, .metrics_url = metrics,
                                    .image_version = image_version, .seconds = seconds, .owned = owned};
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GString) report = g_string_new(NULL);
    GError *error = NULL;
    gboolean ok = hnb_calibrate_target(&cfg, kf, report, &error);
    fputs(report->str, stdout);
    if (!ok || !g_key_file_save_to_file(kf, out, &error))
        return hnb_cli_fail(error);
    printf("wrote %s\n", out);
    return HNB_EXIT_OK;
#endif
}

int hnb_cmd_calibrate(int argc, char **argv)
{
    g_autofree char *out = NULL;
    gint threads = 1;
    gdouble seconds = 0; /* 2 in-process, 5 a step with --target */
    gboolean compare = FALSE, owned = FALSE;
    g_autofree char *target = NULL, *pki = NULL, *metrics = NULL, *image_version = NULL;
    gint dh_group = HNB_IKE_DH_DEFAULT;
    GOptionEntry entries[] = {
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the calibration file here (GKeyFile .ini)", "FILE"},
        {"threads", 't', 0, G_OPTION_ARG_INT, &threads, "Worker threads (0: inline; default 1)", "N"},
        {"seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds,
         "Measuring time per operation (default 2), or per step with --target (default 5)", "S"},
        {"dh-group", 0, 0, G_OPTION_ARG_INT, &dh_group,
         "(EC)DH group of the IKEv2 set-ups, as [segw] dh_group (RFC 7296 3.3.2): 14, 19 (default), 20, 21, 31", "N"},
        {"compare-ctx", 0, 0, G_OPTION_ARG_NONE, &compare,
         "Also compare a shared SSL_CTX pair with per-thread pairs (full EC handshakes)", NULL},
        {"target", 0, 0, G_OPTION_ARG_STRING, &target,
         "Measure a real H(e)MS at https://HOST:PORT instead, and write a [target] group", "URL"},
        {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki, "With --target: the server's PKI as `hnbsim pki --out DIR` wrote it",
         "DIR"},
        {"metrics", 0, 0, G_OPTION_ARG_STRING, &metrics,
         "With --target: the server's metrics page (http://127.0.0.1:P/metrics): its CPU per handshake and request",
         "URL"},
        {"image-version", 0, 0, G_OPTION_ARG_STRING, &image_version,
         "With --target: the Informs' SoftwareVersion (default release-1)", "STR"},
        {"i-own-this-target", 0, 0, G_OPTION_ARG_NONE, &owned,
         "With --target: allow a target that is neither loopback nor link-local", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("— measure the CPU cost of handshakes and signature checks");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Runs real TLS 1.2 AES128-SHA mutual-auth handshakes (RSA-2048 H(e)MS; EC P-256 or RSA-2048 device keys),\n"
             "full and resumed, IKEv2 tunnel set-ups with the SeGW (the cryptographic cost and checks of IKE_SA_INIT\n"
             "+ IKE_AUTH with certificates, not an IKE implementation), image-manifest verifications (ECDSA P-256,\n"
             "RSA-PSS) and device-certificate generation, and prints median and 95th-percentile CPU time per\n"
             "operation.  handshake_* is the ACS's share (use it for [acs] handshake_time / resumed_handshake_time);\n"
             "pair_handshake_* is both ends.  segw_setup_* is the SeGW's share of a set-up in the --dh-group group\n"
             "(use it for [segw] setup_time of a scenario with that [segw] dh_group); pair_segw_setup_* is both ends.\n"
             "With --target URL --pki DIR -o FILE: measure a real H(e)MS over TLS (handshakes full and resumed, Inform\n"
             "sessions, a closed loop up to 32 at once, bursts for its session limit) and write a [target] group that\n"
             "a fleet scenario's [acs] calibration = FILE applies (docs/DESIGN.md, issue 15 part 5).\n"
             "Exit status: 0 ok, 1 failure, 2 bad input.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (seconds == 0)
        seconds = target ? 5.0 : 2.0;
    if (argc > 1 || threads < 0 || threads > 1024 || !(seconds > 0 && seconds <= 3600)) {
        fprintf(stderr, "hnbsim calibrate: expected --threads 0..1024 and --seconds in (0, 3600], no arguments\n");
        return HNB_EXIT_INPUT;
    }
    if (target)
        return calibrate_target(target, pki, metrics, image_version, seconds, owned, out);
    const char *group_name = hnb_ike_dh_group_name(dh_group);
    if (group_name == NULL) {
        fprintf(stderr, "hnbsim calibrate: --dh-group %d: expected 14, 19, 20, 21 or 31\n", dh_group);
        return HNB_EXIT_INPUT;
    }
    g_autofree char *ike_what_ec = g_strdup_printf("IKEv2 set-up (DH group %d %s, RSA-2048 SeGW), EC P-256 device",
                                                   dh_group, group_name);
    g_autofree char *ike_what_rsa = g_strdup_printf("IKEv2 set-up (DH group %d %s, RSA-2048 SeGW), RSA-2048 device",
                                                    dh_group, group_name);
    unsigned t = (unsigned)threads;

    Measure m[NM];
    for (int i = 0; i < NM; i++)
        measure_init(&m[i], ops[i].key, i == IKE_EC ? ike_what_ec : i == IKE_RSA ? ike_what_rsa : ops[i].what);
    Rig rig = {.dh_group = dh_group};
    int rc = HNB_EXIT_OK;
    if (!measure_all(&rig, m, t, seconds, &error)) {
        rc = hnb_cli_fail(error);
        goto out;
    }
    printf("hnbsim calibrate: %s, %u thread(s), %.3g s per measurement\n", OpenSSL_version(OPENSSL_VERSION), t,
           seconds);
    printf("  %-24s %10s %10s %10s %12s\n", "operation", "median", "p95", "pair med.", "rate");
    for (int i = 0; i < NM; i++)
        print_row(&m[i]);
    if (compare && !compare_ctx(rig.e_ec, t, seconds, &error)) {
        rc = hnb_cli_fail(error);
        goto out;
    }
    if (out) {
        if (!save(m, out, t, seconds, dh_group, &error)) {
            rc = hnb_cli_fail(error);
            goto out;
        }
        printf("wrote %s\n", out);
    }
    for (int i = 0; i < NM; i++)
        if (m[i].failures)
            rc = HNB_EXIT_RUN;
out:
    for (int i = 0; i < NM; i++)
        measure_clear(&m[i]);
    rig_clear(&rig);
    return rc;
}
