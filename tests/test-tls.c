/* tests/test-tls.c — the §8.3.4 profile and the handshake engine with real OpenSSL handshakes: every reason code
 * from a real failure (and the side that detected it), resumption by session ID and by ticket (and its loss on
 * reboot), the golden module's recovery sessions (recovery CA and CRL only, each credential only for its kind, no
 * resumption across kinds), identical outcomes at pool thread counts 0/1/2 and on fresh SSL objects per job, and the
 * compliance checker's lines. */
#include "crypto/profile.h"
#include "crypto/tls_engine.h"

#include <string.h>
#include <openssl/ssl.h>
#include "sim/pool.h"

/* One PKI for the whole program: device certificates live 60 days, recovery certificates 7300 (the default), HNB 5
 * is revoked. */
static HnbPki *pki;

/* recovery_lifetime 0: the default */
static HnbPki *make_pki(HnbTime recovery_lifetime)
{
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    p.no_cache = TRUE;
    p.device_lifetime = 60 * HNB_DAY;
    if (recovery_lifetime)
        p.recovery_lifetime = recovery_lifetime;
    g_autoptr(GError) error = NULL;
    g_assert_true(hnb_pki_parse_revoked("5", &p.revoked, &p.nrevoked, &error));
    HnbPki *k = hnb_pki_new(&p, &error);
    g_assert_no_error(error);
    hnb_pki_params_clear(&p);
    return k;
}

static HnbTlsEngine *engine_with(const HnbTlsConfig *acs, const HnbTlsConfig *hnb)
{
    g_autoptr(GError) error = NULL;
    HnbTlsEngine *e = hnb_tls_engine_new(pki, acs, hnb, &error);
    g_assert_no_error(error);
    return e;
}

static HnbTlsEngine *default_engine(void)
{
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    HnbTlsEngine *e = engine_with(&cfg, NULL);
    hnb_tls_config_clear(&cfg);
    return e;
}

/* Run one handshake and check its reason and side. */
static void expect(HnbTlsJob *job, HnbTlsReason reason, HnbTlsSide side)
{
    hnb_tls_job_run_once(job);
    if (job->reason != reason || job->side != side)
        g_error("hnb %u: got %s (%s: %s), expected %s (%s)", job->hnb, hnb_tls_reason_name(job->reason),
                hnb_tls_side_name(job->side), job->detail, hnb_tls_reason_name(reason), hnb_tls_side_name(side));
    g_assert_cmpuint(job->cpu_ns, >, 0);
}

static void run_simple(uint32_t hnb, HnbTime hnb_clock, HnbTime acs_time, uint32_t flags, HnbTlsReason reason,
                       HnbTlsSide side)
{
    g_autoptr(HnbTlsEngine) e = default_engine();
    HnbTlsJob job;
    hnb_tls_job_init(&job, e, hnb, hnb_clock, acs_time, NULL);
    job.flags = flags;
    expect(&job, reason, side);
    hnb_tls_session_free(job.session);
}

static void test_ok(void)
{
    g_autoptr(HnbTlsEngine) e = default_engine();
    HnbTlsJob job;
    hnb_tls_job_init(&job, e, 3, 0, HNB_HOUR, NULL);
    job.flags = HNB_TLS_JOB_MEASURE_ACS;
    expect(&job, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
    g_assert_cmpuint(job.acs_cpu_ns, >, 0);
    g_assert_cmpuint(job.acs_cpu_ns, <, job.cpu_ns);
    g_assert_cmpint(job.version, ==, TLS1_2_VERSION);
    g_assert_cmpstr(job.cipher, ==, "AES128-SHA");
    g_assert_false(job.resumed);
    g_assert_nonnull(job.session); /* resumption = ids by default */
    g_assert_cmpint(hnb_tls_session_created(job.session), ==, HNB_HOUR);
    hnb_tls_session_free(job.session);
}

static void test_expired(void)
{
    /* the device certificate ends 30 days after the epoch; the ACS checks it against simulated time */
    run_simple(1, 0, 100 * HNB_DAY, 0, HNB_TLS_EXPIRED, HNB_TLS_SIDE_ACS);
}

static void test_not_yet_valid(void)
{
    /* the H(e)MS certificate starts 30 days before the epoch; the HNB's clock is behind that */
    run_simple(1, -31 * HNB_DAY, 0, 0, HNB_TLS_NOT_YET_VALID, HNB_TLS_SIDE_HNB);
}

static void test_unknown_ca(void)
{
    run_simple(1, 0, 0, HNB_TLS_JOB_FOREIGN_CERT, HNB_TLS_UNKNOWN_CA, HNB_TLS_SIDE_ACS);
}

static void test_revoked(void)
{
    run_simple(5, 0, 0, 0, HNB_TLS_REVOKED, HNB_TLS_SIDE_ACS);
    run_simple(6, 0, 0, 0, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
}

static void test_no_client_cert(void)
{
    run_simple(1, 0, 0, HNB_TLS_JOB_NO_CERT, HNB_TLS_NO_CLIENT_CERT, HNB_TLS_SIDE_ACS);
}

static void test_identity_mismatch(void)
{
    g_autoptr(HnbTlsEngine) e = default_engine();
    char oui[7], serial[11];
    hnb_pki_device_id(pki, 2, oui, serial);
    HnbTlsJob job;
    hnb_tls_job_init(&job, e, 1, 0, 0, NULL); /* HNB 1 claims to be HNB 2 */
    job.oui = oui;
    job.serial = serial;
    expect(&job, HNB_TLS_IDENTITY_MISMATCH, HNB_TLS_SIDE_ACS);
    g_assert_null(job.session);
    /* its own DeviceId, in lower case, is fine */
    hnb_pki_device_id(pki, 1, oui, serial);
    g_autofree char *lower = g_ascii_strdown(serial, -1);
    hnb_tls_job_init(&job, e, 1, 0, 0, NULL);
    job.oui = oui;
    job.serial = lower;
    expect(&job, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
    hnb_tls_session_free(job.session);
}

static void test_hostname_mismatch(void)
{
    HnbTlsConfig acs, hnb;
    hnb_tls_config_init(&acs);
    hnb_tls_config_init(&hnb);
    hnb.hems_host = g_strdup("acs.elsewhere.example");
    g_autoptr(HnbTlsEngine) e = engine_with(&acs, &hnb);
    HnbTlsJob job;
    hnb_tls_job_init(&job, e, 1, 0, 0, NULL);
    expect(&job, HNB_TLS_HOSTNAME_MISMATCH, HNB_TLS_SIDE_HNB);
    hnb_tls_config_clear(&acs);
    hnb_tls_config_clear(&hnb);
}

/* An HNB whose profile differs from the ACS's. */
static void run_mismatched(const HnbTlsConfig *acs, const HnbTlsConfig *hnb, HnbTlsReason reason, HnbTlsSide side,
                           int version)
{
    g_autoptr(HnbTlsEngine) e = engine_with(acs, hnb);
    HnbTlsJob job;
    hnb_tls_job_init(&job, e, 1, 0, 0, NULL);
    expect(&job, reason, side);
    g_assert_cmpint(job.version, ==, version);
    hnb_tls_session_free(job.session);
}

static void test_tls10_refused(void)
{
    HnbTlsConfig acs, hnb;
    hnb_tls_config_init(&acs);
    hnb_tls_config_init(&hnb);
    hnb.custom = TRUE;
    hnb.min_version = hnb.max_version = TLS1_VERSION;
    run_mismatched(&acs, &hnb, HNB_TLS_PROTOCOL_VERSION, HNB_TLS_SIDE_ACS, 0);
    /* even an ACS with TLS 1.1 as its floor refuses TLS 1.0 */
    acs.min_version = TLS1_1_VERSION;
    run_mismatched(&acs, &hnb, HNB_TLS_PROTOCOL_VERSION, HNB_TLS_SIDE_ACS, 0);
    hnb_tls_config_clear(&acs);
    hnb_tls_config_clear(&hnb);
}

static void test_non_a5_refused(void)
{
    HnbTlsConfig acs, hnb;
    hnb_tls_config_init(&acs);
    hnb_tls_config_init(&hnb);
    hnb.custom = TRUE;
    g_free(hnb.ciphers);
    hnb.ciphers = g_strdup("ECDHE-RSA-AES128-GCM-SHA256");
    run_mismatched(&acs, &hnb, HNB_TLS_NO_SHARED_CIPHER, HNB_TLS_SIDE_ACS, 0);
    hnb_tls_config_clear(&acs);
    hnb_tls_config_clear(&hnb);
}

static void test_tls11_only_when_enabled(void)
{
    HnbTlsConfig acs, hnb;
    hnb_tls_config_init(&acs);
    hnb_tls_config_init(&hnb);
    hnb.min_version = hnb.max_version = TLS1_1_VERSION;
    run_mismatched(&acs, &hnb, HNB_TLS_PROTOCOL_VERSION, HNB_TLS_SIDE_ACS, 0);
    acs.min_version = TLS1_1_VERSION;
    run_mismatched(&acs, &hnb, HNB_TLS_OK, HNB_TLS_SIDE_NONE, TLS1_1_VERSION);
    /* a TLS 1.2 HNB still gets TLS 1.2 from an ACS with the 1.1 floor */
    run_mismatched(&acs, NULL, HNB_TLS_OK, HNB_TLS_SIDE_NONE, TLS1_2_VERSION);
    hnb_tls_config_clear(&acs);
    hnb_tls_config_clear(&hnb);
}

/* ---- resumption ---- */

/* An engine resuming by `mode`, kept sessions offered for a day. */
static HnbTlsEngine *resumption_engine(HnbTlsResumption mode)
{
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    cfg.resumption = mode;
    cfg.session_lifetime = HNB_DAY;
    HnbTlsEngine *e = engine_with(&cfg, NULL);
    hnb_tls_config_clear(&cfg);
    return e;
}

static void resumption(HnbTlsResumption mode)
{
    g_autoptr(HnbTlsEngine) e = resumption_engine(mode);

    HnbTlsJob job;
    hnb_tls_job_init(&job, e, 7, 0, 0, NULL);
    expect(&job, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
    g_assert_false(job.resumed);
    HnbTlsSession *kept = job.session;
    g_assert_nonnull(kept);
    /* the next periodic sessions resume (both ends report it), on fresh SSL objects and thread contexts */
    for (int k = 1; k <= 3; k++) {
        hnb_tls_job_init(&job, e, 7, k * HNB_HOUR, k * HNB_HOUR, kept);
        expect(&job, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
        g_assert_true(job.resumed);
        g_assert_nonnull(job.session);
        g_assert_cmpint(hnb_tls_session_created(job.session), ==, 0);
        hnb_tls_session_free(kept);
        kept = job.session;
    }
    /* a session older than session_lifetime is not offered */
    hnb_tls_job_init(&job, e, 7, 2 * HNB_DAY, 2 * HNB_DAY, kept);
    expect(&job, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
    g_assert_false(job.resumed);
    hnb_tls_session_free(job.session);
    /* reboot: the HNB loses its session, the next handshake is full */
    hnb_tls_session_free(kept);
    kept = NULL;
    hnb_tls_job_init(&job, e, 7, 4 * HNB_HOUR, 4 * HNB_HOUR, kept);
    expect(&job, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
    g_assert_false(job.resumed);
    /* and a session of another HNB claiming another identity fails the identity check even when resumed */
    HnbTlsJob other;
    char oui[7], serial[11];
    hnb_pki_device_id(pki, 8, oui, serial);
    hnb_tls_job_init(&other, e, 7, 5 * HNB_HOUR, 5 * HNB_HOUR, job.session);
    other.oui = oui;
    other.serial = serial;
    expect(&other, HNB_TLS_IDENTITY_MISMATCH, HNB_TLS_SIDE_ACS);
    hnb_tls_session_free(job.session);
}

static void test_resume_ids(void) { resumption(HNB_TLS_RESUME_IDS); }
static void test_resume_tickets(void) { resumption(HNB_TLS_RESUME_TICKETS); }

static void test_resume_none(void)
{
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    cfg.resumption = HNB_TLS_RESUME_NONE;
    g_autoptr(HnbTlsEngine) e = engine_with(&cfg, NULL);
    hnb_tls_config_clear(&cfg);
    HnbTlsJob job;
    hnb_tls_job_init(&job, e, 7, 0, 0, NULL);
    expect(&job, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
    g_assert_null(job.session);
}

/* ---- recovery sessions (the golden module's credential) ---- */

static void test_recovery(void)
{
    run_simple(3, 0, HNB_HOUR, HNB_TLS_JOB_RECOVERY_CERT, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
    /* the recovery certificate outlives the device certificate (ends 30 days after the epoch) */
    run_simple(3, 0, 100 * HNB_DAY, 0, HNB_TLS_EXPIRED, HNB_TLS_SIDE_ACS);
    run_simple(3, 0, 100 * HNB_DAY, HNB_TLS_JOB_RECOVERY_CERT, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
    /* the HNB's check of the H(e)MS is unchanged */
    run_simple(3, -31 * HNB_DAY, 0, HNB_TLS_JOB_RECOVERY_CERT, HNB_TLS_NOT_YET_VALID, HNB_TLS_SIDE_HNB);
}

/* Each credential only for its kind of session, and the identity rule applies in a recovery session too. */
static void test_recovery_kind(void)
{
    run_simple(3, 0, 0, HNB_TLS_JOB_CROSS_CERT, HNB_TLS_UNKNOWN_CA, HNB_TLS_SIDE_ACS);
    run_simple(3, 0, 0, HNB_TLS_JOB_RECOVERY_CERT | HNB_TLS_JOB_CROSS_CERT, HNB_TLS_UNKNOWN_CA, HNB_TLS_SIDE_ACS);
    run_simple(3, 0, 0, HNB_TLS_JOB_RECOVERY_CERT | HNB_TLS_JOB_FOREIGN_CERT, HNB_TLS_UNKNOWN_CA, HNB_TLS_SIDE_ACS);
    run_simple(3, 0, 0, HNB_TLS_JOB_RECOVERY_CERT | HNB_TLS_JOB_NO_CERT, HNB_TLS_NO_CLIENT_CERT, HNB_TLS_SIDE_ACS);
    g_autoptr(HnbTlsEngine) e = default_engine();
    char oui[7], serial[11];
    hnb_pki_device_id(pki, 2, oui, serial);
    HnbTlsJob job;
    hnb_tls_job_init(&job, e, 1, 0, 0, NULL); /* HNB 1's golden module claims to be HNB 2 */
    job.flags = HNB_TLS_JOB_RECOVERY_CERT;
    job.oui = oui;
    job.serial = serial;
    expect(&job, HNB_TLS_IDENTITY_MISMATCH, HNB_TLS_SIDE_ACS);
}

static void test_recovery_revoked(void)
{
    run_simple(5, 0, 0, HNB_TLS_JOB_RECOVERY_CERT, HNB_TLS_REVOKED, HNB_TLS_SIDE_ACS);
    run_simple(6, 0, 0, HNB_TLS_JOB_RECOVERY_CERT, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
}

/* recovery_lifetime 40 d from 30 d before the epoch: the recovery certificate is expired at the ACS from t = 10 d,
 * while the device certificate (to t = 30 d) is fine. */
static void test_recovery_expired(void)
{
    g_autoptr(HnbPki) k = make_pki(40 * HNB_DAY);
    g_autoptr(GError) error = NULL;
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    g_autoptr(HnbTlsEngine) e = hnb_tls_engine_new(k, &cfg, NULL, &error);
    g_assert_no_error(error);
    hnb_tls_config_clear(&cfg);
    static const struct {
        HnbTime acs_time;
        uint32_t flags;
        HnbTlsReason reason;
    } cases[] = {
        {11 * HNB_DAY, HNB_TLS_JOB_RECOVERY_CERT, HNB_TLS_EXPIRED},
        {11 * HNB_DAY, 0, HNB_TLS_OK},
        {9 * HNB_DAY, HNB_TLS_JOB_RECOVERY_CERT, HNB_TLS_OK},
    };
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        HnbTlsJob job;
        hnb_tls_job_init(&job, e, 1, 0, cases[c].acs_time, NULL);
        job.flags = cases[c].flags;
        expect(&job, cases[c].reason, cases[c].reason == HNB_TLS_OK ? HNB_TLS_SIDE_NONE : HNB_TLS_SIDE_ACS);
        hnb_tls_session_free(job.session);
    }
}

/* One job of HNB 7 offering `offer`; returns its kept session (caller frees). */
static HnbTlsSession *kind_job(HnbTlsEngine *e, HnbTime t, const HnbTlsSession *offer, uint32_t flags,
                               gboolean resumed)
{
    HnbTlsJob job;
    hnb_tls_job_init(&job, e, 7, t, t, offer);
    job.flags = flags;
    expect(&job, HNB_TLS_OK, HNB_TLS_SIDE_NONE);
    g_assert_cmpint(job.resumed, ==, resumed);
    g_assert_nonnull(job.session);
    return job.session;
}

/* No resumption across kinds: a device session offered in a recovery session (or the reverse) gets a full handshake
 * (the ACS's session id contexts differ); a session of the same kind resumes. */
static void recovery_resumption(HnbTlsResumption mode)
{
    g_autoptr(HnbTlsEngine) e = resumption_engine(mode);
    const uint32_t rec = HNB_TLS_JOB_RECOVERY_CERT;
    HnbTlsSession *dev = kind_job(e, 0, NULL, 0, FALSE);
    HnbTlsSession *r1 = kind_job(e, HNB_HOUR, dev, rec, FALSE); /* device session offered in recovery */
    HnbTlsSession *r2 = kind_job(e, 2 * HNB_HOUR, r1, rec, TRUE);  /* recovery resumes recovery */
    HnbTlsSession *d2 = kind_job(e, 3 * HNB_HOUR, r2, 0, FALSE);   /* recovery session offered in a normal one */
    HnbTlsSession *d3 = kind_job(e, 4 * HNB_HOUR, d2, 0, TRUE);    /* device resumes device */
    HnbTlsSession *sessions[] = {dev, r1, r2, d2, d3};
    for (size_t k = 0; k < G_N_ELEMENTS(sessions); k++)
        hnb_tls_session_free(sessions[k]);
}

static void test_recovery_resume_ids(void) { recovery_resumption(HNB_TLS_RESUME_IDS); }
static void test_recovery_resume_tickets(void) { recovery_resumption(HNB_TLS_RESUME_TICKETS); }

/* ---- determinism across thread counts ---- */

#define NJOBS 48

typedef struct {
    HnbTlsReason reason;
    HnbTlsSide side;
    gboolean resumed;
} Outcome;

/* A mix of every outcome, two rounds so that the second resumes sessions of the first.  threads < 0: every job on
 * fresh SSL objects and a fresh thread context (hnb_tls_job_run_once), the reference for the pooled runs, whose
 * threads reuse one SSL pair after each successful handshake. */
static void run_batch(HnbTlsEngine *e, int threads, gboolean recovery_mix, Outcome out[2][NJOBS])
{
    HnbPool *pool = threads >= 0 ? hnb_pool_new((unsigned)threads, 5, hnb_tls_thread_init, hnb_tls_thread_free, e)
                                 : NULL;
    HnbTlsJob *jobs = g_new0(HnbTlsJob, NJOBS);
    HnbTlsSession *kept[NJOBS] = {0};
    uint64_t tickets[NJOBS];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < NJOBS; i++) {
            HnbTime t = round * HNB_HOUR + (i % 7 == 3 ? 100 * HNB_DAY : 0);
            hnb_tls_job_init(&jobs[i], e, (uint32_t)i, i % 11 == 4 ? -40 * HNB_DAY : t, t, kept[i]);
            jobs[i].flags = i % 13 == 6 ? HNB_TLS_JOB_FOREIGN_CERT : i % 17 == 8 ? HNB_TLS_JOB_NO_CERT : 0;
            /* recovery sessions among them, some switching kind between the rounds (no resumption then) */
            if (recovery_mix && (i % 3 == 1 || (round == 1 && i % 4 == 2)))
                jobs[i].flags |= i % 19 == 9 ? HNB_TLS_JOB_RECOVERY_CERT | HNB_TLS_JOB_CROSS_CERT
                                             : HNB_TLS_JOB_RECOVERY_CERT;
            if (pool)
                tickets[i] = hnb_pool_submit(pool, hnb_tls_job_run, &jobs[i]);
            else
                hnb_tls_job_run_once(&jobs[i]);
        }
        for (int i = NJOBS - 1; i >= 0; i--) { /* join in reverse, just to differ from submission order */
            if (pool)
                hnb_pool_join(pool, tickets[i]);
            out[round][i] = (Outcome){jobs[i].reason, jobs[i].side, jobs[i].resumed};
            if (jobs[i].session) {
                hnb_tls_session_free(kept[i]);
                kept[i] = jobs[i].session;
            }
        }
    }
    for (int i = 0; i < NJOBS; i++)
        hnb_tls_session_free(kept[i]);
    g_free(jobs);
    if (pool)
        hnb_pool_free(pool);
}

static void test_threads(void)
{
    g_autoptr(HnbTlsEngine) e = default_engine();
    static Outcome ref[2][NJOBS], got[2][NJOBS];
    run_batch(e, -1, FALSE, ref);
    int seen[HNB_TLS_REASON_COUNT] = {0}, resumed = 0;
    for (int i = 0; i < NJOBS; i++) {
        seen[ref[0][i].reason]++;
        resumed += ref[1][i].resumed;
    }
    g_assert_cmpint(seen[HNB_TLS_OK], >, 0);
    g_assert_cmpint(seen[HNB_TLS_REVOKED], ==, 1);
    g_assert_cmpint(seen[HNB_TLS_EXPIRED], >, 0);
    g_assert_cmpint(seen[HNB_TLS_UNKNOWN_CA], >, 0);
    g_assert_cmpint(seen[HNB_TLS_NO_CLIENT_CERT], >, 0);
    g_assert_cmpint(seen[HNB_TLS_NOT_YET_VALID], >, 0);
    g_assert_cmpint(resumed, ==, seen[HNB_TLS_OK]); /* every round-0 success resumes in round 1 */
    for (int threads = 0; threads <= 2; threads++) {
        hnb_tls_engine_set_ctx_mode(e, threads == 1 ? HNB_TLS_CTX_SHARED : HNB_TLS_CTX_PER_THREAD);
        run_batch(e, threads, FALSE, got);
        g_assert_cmpmem(ref, sizeof ref, got, sizeof got);
    }
}

/* The same with recovery sessions in the mix: the kept SSL pairs serve both kinds. */
static void test_threads_recovery(void)
{
    g_autoptr(HnbTlsEngine) e = default_engine();
    static Outcome ref[2][NJOBS], got[2][NJOBS];
    run_batch(e, -1, TRUE, ref);
    int ok = 0, resumed = 0;
    for (int i = 0; i < NJOBS; i++) {
        ok += ref[0][i].reason == HNB_TLS_OK;
        resumed += ref[1][i].resumed;
    }
    g_assert_cmpint(resumed, >, 0);
    g_assert_cmpint(resumed, <, ok); /* the sessions that switched kind did not resume */
    for (int threads = 0; threads <= 2; threads++) {
        hnb_tls_engine_set_ctx_mode(e, threads == 1 ? HNB_TLS_CTX_SHARED : HNB_TLS_CTX_PER_THREAD);
        run_batch(e, threads, TRUE, got);
        g_assert_cmpmem(ref, sizeof ref, got, sizeof got);
    }
}

/* ---- compliance checker ---- */

static HnbScenario *load_tls(const char *text)
{
    static const HnbKeySpec *const schemas[] = {hnb_tls_schema, NULL};
    g_autoptr(GError) error = NULL;
    HnbScenario *sc = hnb_scenario_load_data(text, strlen(text), "test.ini", schemas, NULL, &error);
    g_assert_no_error(error);
    return sc;
}

static char *check(const char *text, gboolean *compliant)
{
    g_autoptr(HnbScenario) sc = load_tls(text);
    g_autoptr(GString) report = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(hnb_tls_check(sc, report, compliant, &error));
    g_assert_no_error(error);
    if (g_test_verbose())
        g_test_message("%s", report->str);
    return g_strdup(report->str);
}

static void assert_line(const char *report, const char *status, const char *words)
{
    g_autofree char *needle = g_strdup_printf("\n%s  %s", status, words);
    if (!strstr(report, needle))
        g_error("no line \"%s  %s\" in:\n%s", status, words, report);
}

static void test_check_compliant(void)
{
    gboolean ok = FALSE;
    g_autofree char *r = check("[tls]\n", &ok);
    g_assert_true(ok);
    g_assert_null(strstr(r, "\nFAIL"));
    assert_line(r, "PASS", "SSL 3.0 shall not be used");
    assert_line(r, "PASS", "At least TLS 1.1 shall be supported. TLS 1.2 should be supported.");
    assert_line(r, "PASS", "Shared-secret-based authentication");
    assert_line(r, "PASS", "The support of TLS cipher suite RSA_WITH_AES_128_CBC_SHA shall be mandatory.");
    assert_line(r, "PASS", "Only TLS cipher suites listed in TLS 1.2 shall be used. Ciphersuites with RC4");
    assert_line(r, "PASS", "The support for H(e)NB authentication using client-side");
    assert_line(r, "PASS", "The H(e)NB acting as CPE shall be authenticated to the H(e)MS by the globally unique");
    assert_line(r, "PASS", "If the H(e)NB contacts the H(e)MS without having the accurate absolute time");
    /* one line per rule of the shared table (crypto/profile.c, also what `hnbsim probe` prints), in its order */
    const char *at = r;
    for (int k = 0; k < HNB_PROFILE_RULE_COUNT; k++) {
        g_autofree char *needle = g_strdup_printf("\nPASS  %s", hnb_profile_rule(k)->words);
        const char *found = strstr(at, needle);
        if (!found)
            g_error("rule %s: no \"%s\" (in order) in:\n%s", hnb_profile_rule(k)->id, needle + 1, r);
        at = found + strlen(needle);
    }
    /* TLS 1.1 as the floor is still compliant */
    g_autofree char *r11 = check("[tls]\nmin_version = tls1.1\n", &ok);
    g_assert_true(ok);
    assert_line(r11, "PASS", "At least TLS 1.1 shall be supported. TLS 1.2 should be supported. (TLS 1.1 and 1.2");
}

static void test_check_noncompliant(void)
{
    gboolean ok = TRUE;
    g_autofree char *r = check("[tls]\nprofile = custom\nmin_version = tls1.0\nmax_version = tls1.3\n"
                               "ciphers = ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA\nclient_cert = optional\n",
                               &ok);
    g_assert_false(ok);
    assert_line(r, "FAIL", "[profile] TLS 1.0 shall not be used.");
    assert_line(r, "FAIL", "Shared-secret-based authentication");
    assert_line(r, "FAIL", "The support of TLS cipher suite RSA_WITH_AES_128_CBC_SHA shall be mandatory.");
    assert_line(r, "FAIL", "Only TLS cipher suites listed in TLS 1.2 shall be used.");
    assert_line(r, "PASS", "The support for H(e)NB authentication using client-side");
    assert_line(r, "FAIL", "The H(e)NB acting as CPE shall be authenticated to the H(e)MS by the globally unique");
    g_assert_nonnull(strstr(r, "ECDHE-RSA-AES128-GCM-SHA256"));
    g_assert_nonnull(strstr(r, "TLS_AES_128_GCM_SHA256")); /* TLS 1.3 suites are not RFC 5246 suites */
    /* no client certificate at all; only TLS 1.2-less versions */
    g_autofree char *r2 = check("[tls]\nmin_version = tls1.1\nmax_version = tls1.1\nclient_cert = none\n", &ok);
    g_assert_false(ok);
    assert_line(r2, "WARN", "At least TLS 1.1 shall be supported. TLS 1.2 should be supported.");
    assert_line(r2, "FAIL", "The support for H(e)NB authentication using client-side");
    /* SSL 3.0 */
    g_autofree char *r3 = check("[tls]\nprofile = custom\nmin_version = ssl3\n", &ok);
    g_assert_false(ok);
    assert_line(r3, "FAIL", "SSL 3.0 shall not be used as it is outdated.");
}

static void test_bad_ciphers(void)
{
    g_autoptr(HnbScenario) sc = load_tls("[tls]\nciphers = NOT-A-CIPHER\n");
    g_autoptr(GString) report = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    gboolean ok;
    g_assert_false(hnb_tls_check(sc, report, &ok, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_nonnull(strstr(error->message, "NOT-A-CIPHER"));
}

static void test_reason_names(void)
{
    static const char *const want[] = {"ok", "expired", "not_yet_valid", "unknown_ca", "identity_mismatch",
                                       "hostname_mismatch", "no_client_cert", "protocol_version", "no_shared_cipher",
                                       "revoked", "bad_signature", "other"};
    G_STATIC_ASSERT(G_N_ELEMENTS(want) == HNB_TLS_REASON_COUNT);
    for (int r = 0; r < HNB_TLS_REASON_COUNT; r++)
        g_assert_cmpstr(hnb_tls_reason_name(r), ==, want[r]);
    g_assert_cmpint(hnb_tls_reason_from_verify(X509_V_ERR_CERT_SIGNATURE_FAILURE), ==, HNB_TLS_BAD_SIGNATURE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    pki = make_pki(0);
    g_test_add_func("/tls/reason-names", test_reason_names);
    g_test_add_func("/tls/ok", test_ok);
    g_test_add_func("/tls/expired", test_expired);
    g_test_add_func("/tls/not-yet-valid", test_not_yet_valid);
    g_test_add_func("/tls/unknown-ca", test_unknown_ca);
    g_test_add_func("/tls/revoked", test_revoked);
    g_test_add_func("/tls/no-client-cert", test_no_client_cert);
    g_test_add_func("/tls/identity-mismatch", test_identity_mismatch);
    g_test_add_func("/tls/hostname-mismatch", test_hostname_mismatch);
    g_test_add_func("/tls/tls10-refused", test_tls10_refused);
    g_test_add_func("/tls/non-a5-refused", test_non_a5_refused);
    g_test_add_func("/tls/tls11-only-when-enabled", test_tls11_only_when_enabled);
    g_test_add_func("/tls/resume/ids", test_resume_ids);
    g_test_add_func("/tls/resume/tickets", test_resume_tickets);
    g_test_add_func("/tls/resume/none", test_resume_none);
    g_test_add_func("/tls/recovery", test_recovery);
    g_test_add_func("/tls/recovery-kind", test_recovery_kind);
    g_test_add_func("/tls/recovery-revoked", test_recovery_revoked);
    g_test_add_func("/tls/recovery-expired", test_recovery_expired);
    g_test_add_func("/tls/recovery-resume/ids", test_recovery_resume_ids);
    g_test_add_func("/tls/recovery-resume/tickets", test_recovery_resume_tickets);
    g_test_add_func("/tls/threads", test_threads);
    g_test_add_func("/tls/threads-recovery", test_threads_recovery);
    g_test_add_func("/tls/check/compliant", test_check_compliant);
    g_test_add_func("/tls/check/noncompliant", test_check_noncompliant);
    g_test_add_func("/tls/check/bad-ciphers", test_bad_ciphers);
    int r = g_test_run();
    hnb_pki_free(pki);
    return r;
}
