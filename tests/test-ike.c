/* tests/test-ike.c — IKEv2's cryptographic work per tunnel set-up (crypto/ike_job.h) with real OpenSSL: each outcome
 * from a real failure and the side that detected it (revoked, expired and foreign device at the SeGW; an HNB clock
 * before the SeGW certificate, a wrong SeGW name at the HNB), every Diffie-Hellman group, the other key types, the
 * golden module's recovery set-ups (recovery CA only, its CRL, its validity, each credential only for its kind), and
 * identical outcomes through the pool at 0, 1 and 2 threads. */
#include "crypto/ike_job.h"

#include <string.h>
#include "sim/pool.h"

/* One PKI for the program: device certificates valid from 30 days before the epoch for 60 days (so expired from
 * t = 30 d), recovery certificates from 30 days before for 7300 days (the default), the SeGW's from 30 days before
 * for 730 days, HNB 5 revoked. */
static HnbPki *pki;

/* recovery_lifetime 0: the default */
static HnbPki *make_pki(HnbPkiKeyType device, HnbPkiKeyType segw, HnbTime recovery_lifetime)
{
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    p.no_cache = TRUE;
    p.device_key = device;
    p.segw_key = segw;
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

static HnbIkeEngine *engine(HnbPki *k, int group, const char *host)
{
    g_autoptr(GError) error = NULL;
    HnbIkeEngine *e = hnb_ike_engine_new(k, group, host, &error);
    g_assert_no_error(error);
    return e;
}

/* One set-up in this thread; asserts no OpenSSL failure. */
static HnbIkeJob run(HnbIkeEngine *e, uint32_t hnb, HnbTime hnb_clock, HnbTime segw_time, uint32_t flags)
{
    HnbIkeJob j;
    hnb_ike_job_init(&j, e, hnb, 0, hnb_clock, segw_time);
    j.flags = flags;
    hnb_ike_job_run_once(&j);
    g_assert_no_error(j.error);
    return j;
}

static void expect(const HnbIkeJob *j, HnbTlsReason reason, HnbIkeSide side)
{
    if (j->reason != reason || j->side != side)
        g_test_message("HNB %u: %s on side %s (%s)", j->hnb, hnb_tls_reason_name(j->reason),
                       hnb_ike_side_name(j->side), j->detail);
    g_assert_cmpstr(hnb_tls_reason_name(j->reason), ==, hnb_tls_reason_name(reason));
    g_assert_cmpstr(hnb_ike_side_name(j->side), ==, hnb_ike_side_name(side));
}

static void test_ok(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    g_assert_cmpint(hnb_ike_engine_dh_group(e), ==, 19);
    HnbIkeJob j = run(e, 1, HNB_HOUR, HNB_HOUR, 0);
    expect(&j, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
    g_assert_cmpstr(j.detail, ==, "");
    /* the SeGW's share is part of the job's CPU time, and real work: a keygen, an ECDH, a chain with a CRL, a
     * verification and an RSA signature take more than 100 us on any machine this runs on */
    g_assert_cmpuint(j.segw_cpu_ns, >, 0);
    g_assert_cmpuint(j.segw_cpu_ns, <, j.cpu_ns);
    g_assert_cmpuint(j.cpu_ns, >, 100000);
    /* a second attempt is another exchange with the same outcome */
    HnbIkeJob k;
    hnb_ike_job_init(&k, e, 1, 7, HNB_HOUR, HNB_HOUR);
    hnb_ike_job_run_once(&k);
    expect(&k, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
}

static void test_revoked(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    HnbIkeJob j = run(e, 5, HNB_HOUR, HNB_HOUR, 0);
    expect(&j, HNB_TLS_REVOKED, HNB_IKE_SIDE_SEGW);
    g_assert_nonnull(strstr(j.detail, "revoked"));
    expect((HnbIkeJob[]){run(e, 4, HNB_HOUR, HNB_HOUR, 0)}, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
}

/* The HNB's clock rolled back before the SeGW certificate's notBefore (30 days before the epoch): the HNB refuses
 * the SeGW, while the SeGW (right clock) accepted the device. */
static void test_hnb_clock_before_segw_cert(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    HnbIkeJob j = run(e, 2, -31 * HNB_DAY, HNB_HOUR, 0);
    expect(&j, HNB_TLS_NOT_YET_VALID, HNB_IKE_SIDE_HNB);
    /* a second before notBefore fails, notBefore itself passes */
    expect((HnbIkeJob[]){run(e, 2, -30 * HNB_DAY - HNB_SEC, HNB_HOUR, 0)}, HNB_TLS_NOT_YET_VALID, HNB_IKE_SIDE_HNB);
    expect((HnbIkeJob[]){run(e, 2, -30 * HNB_DAY, HNB_HOUR, 0)}, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
    /* and far ahead, past the SeGW certificate's notAfter (700 days after the epoch) */
    expect((HnbIkeJob[]){run(e, 2, 701 * HNB_DAY, HNB_HOUR, 0)}, HNB_TLS_EXPIRED, HNB_IKE_SIDE_HNB);
}

/* The device certificate expires 30 days after the epoch: the SeGW's clock decides. */
static void test_device_expired(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    expect((HnbIkeJob[]){run(e, 3, HNB_HOUR, 31 * HNB_DAY, 0)}, HNB_TLS_EXPIRED, HNB_IKE_SIDE_SEGW);
    expect((HnbIkeJob[]){run(e, 3, 31 * HNB_DAY, 29 * HNB_DAY, 0)}, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
}

static void test_foreign(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    HnbIkeJob j = run(e, 0, HNB_HOUR, HNB_HOUR, HNB_IKE_JOB_FOREIGN_CERT);
    expect(&j, HNB_TLS_UNKNOWN_CA, HNB_IKE_SIDE_SEGW);
}

/* The HNB expects another SeGW name than the certificate's. */
static void test_hostname(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, "segw2.operator.example");
    expect((HnbIkeJob[]){run(e, 0, HNB_HOUR, HNB_HOUR, 0)}, HNB_TLS_HOSTNAME_MISMATCH, HNB_IKE_SIDE_HNB);
}

static void test_groups(void)
{
    static const int groups[] = {14, 19, 20, 21, 31};
    for (size_t k = 0; k < G_N_ELEMENTS(groups); k++) {
        g_autoptr(HnbIkeEngine) e = engine(pki, groups[k], NULL);
        g_assert_nonnull(hnb_ike_dh_group_name(groups[k]));
        expect((HnbIkeJob[]){run(e, 1, HNB_HOUR, HNB_HOUR, 0)}, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
        expect((HnbIkeJob[]){run(e, 5, HNB_HOUR, HNB_HOUR, 0)}, HNB_TLS_REVOKED, HNB_IKE_SIDE_SEGW);
    }
    g_autoptr(GError) error = NULL;
    g_assert_null(hnb_ike_engine_new(pki, 2, NULL, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_null(hnb_ike_dh_group_name(2));
}

/* RSA device keys with an EC SeGW key: both AUTH signatures change algorithm, the outcomes do not. */
static void test_key_types(void)
{
    g_autoptr(HnbPki) k = make_pki(HNB_PKI_KEY_RSA_2048, HNB_PKI_KEY_EC_P256, 0);
    g_assert_true(EVP_PKEY_is_a(hnb_pki_segw(k)->key, "EC"));
    g_autoptr(HnbIkeEngine) e = engine(k, HNB_IKE_DH_DEFAULT, NULL);
    expect((HnbIkeJob[]){run(e, 0, HNB_HOUR, HNB_HOUR, 0)}, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
    expect((HnbIkeJob[]){run(e, 5, HNB_HOUR, HNB_HOUR, 0)}, HNB_TLS_REVOKED, HNB_IKE_SIDE_SEGW);
}

/* The golden module's set-up: its recovery credential is accepted in a recovery set-up, with the device identity. */
static void test_recovery(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    HnbIkeJob j = run(e, 1, HNB_HOUR, HNB_HOUR, HNB_IKE_JOB_RECOVERY_CERT);
    expect(&j, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
    g_assert_cmpuint(j.segw_cpu_ns, >, 0);
    /* it outlives the device certificate: at t = 31 d the device set-up fails, the recovery set-up does not */
    expect((HnbIkeJob[]){run(e, 3, HNB_HOUR, 31 * HNB_DAY, 0)}, HNB_TLS_EXPIRED, HNB_IKE_SIDE_SEGW);
    expect((HnbIkeJob[]){run(e, 3, HNB_HOUR, 31 * HNB_DAY, HNB_IKE_JOB_RECOVERY_CERT)}, HNB_TLS_OK,
           HNB_IKE_SIDE_NONE);
    /* the HNB's check of the SeGW is the same in a recovery set-up */
    expect((HnbIkeJob[]){run(e, 2, -31 * HNB_DAY, HNB_HOUR, HNB_IKE_JOB_RECOVERY_CERT)}, HNB_TLS_NOT_YET_VALID,
           HNB_IKE_SIDE_HNB);
}

/* Each credential only for its kind of set-up: the SeGW's normal store holds the manufacturer CA only and its
 * recovery store the recovery CA only. */
static void test_recovery_kind(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    /* the recovery certificate in a normal set-up */
    HnbIkeJob j = run(e, 1, HNB_HOUR, HNB_HOUR, HNB_IKE_JOB_CROSS_CERT);
    expect(&j, HNB_TLS_UNKNOWN_CA, HNB_IKE_SIDE_SEGW);
    g_assert_nonnull(strstr(j.detail, "issuer"));
    /* the device certificate in a recovery set-up */
    expect((HnbIkeJob[]){run(e, 1, HNB_HOUR, HNB_HOUR, HNB_IKE_JOB_RECOVERY_CERT | HNB_IKE_JOB_CROSS_CERT)},
           HNB_TLS_UNKNOWN_CA, HNB_IKE_SIDE_SEGW);
    /* a foreign certificate in a recovery set-up */
    expect((HnbIkeJob[]){run(e, 1, HNB_HOUR, HNB_HOUR, HNB_IKE_JOB_RECOVERY_CERT | HNB_IKE_JOB_FOREIGN_CERT)},
           HNB_TLS_UNKNOWN_CA, HNB_IKE_SIDE_SEGW);
}

/* A revoked HNB is revoked in its recovery set-up too (the recovery CRL). */
static void test_recovery_revoked(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    HnbIkeJob j = run(e, 5, HNB_HOUR, HNB_HOUR, HNB_IKE_JOB_RECOVERY_CERT);
    expect(&j, HNB_TLS_REVOKED, HNB_IKE_SIDE_SEGW);
    g_assert_nonnull(strstr(j.detail, "revoked"));
    expect((HnbIkeJob[]){run(e, 4, HNB_HOUR, HNB_HOUR, HNB_IKE_JOB_RECOVERY_CERT)}, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
}

/* A recovery certificate expired at the SeGW's clock (recovery_lifetime 40 d from 30 d before the epoch: expired
 * from t = 10 d) while the device certificate (to t = 30 d) is fine. */
static void test_recovery_expired(void)
{
    g_autoptr(HnbPki) k = make_pki(HNB_PKI_KEY_EC_P256, HNB_PKI_KEY_RSA_2048, 40 * HNB_DAY);
    g_autoptr(HnbIkeEngine) e = engine(k, HNB_IKE_DH_DEFAULT, NULL);
    expect((HnbIkeJob[]){run(e, 1, HNB_HOUR, 11 * HNB_DAY, HNB_IKE_JOB_RECOVERY_CERT)}, HNB_TLS_EXPIRED,
           HNB_IKE_SIDE_SEGW);
    expect((HnbIkeJob[]){run(e, 1, HNB_HOUR, 11 * HNB_DAY, 0)}, HNB_TLS_OK, HNB_IKE_SIDE_NONE);
    expect((HnbIkeJob[]){run(e, 1, HNB_HOUR, 9 * HNB_DAY, HNB_IKE_JOB_RECOVERY_CERT)}, HNB_TLS_OK,
           HNB_IKE_SIDE_NONE);
}

/* N jobs of mixed outcomes (recovery set-ups among them) through the pool at 0, 1 and 2 threads: the same reason and
 * side for every job. */
#define NJOBS 48
static void fill(HnbIkeEngine *e, HnbIkeJob *jobs)
{
    for (uint32_t i = 0; i < NJOBS; i++) {
        uint32_t hnb = i % 8;
        HnbTime hnb_clock = i % 5 == 0 ? -40 * HNB_DAY : HNB_HOUR;
        HnbTime segw_time = i % 7 == 0 ? 40 * HNB_DAY : HNB_HOUR;
        hnb_ike_job_init(&jobs[i], e, hnb, i / 8, hnb_clock, segw_time);
        jobs[i].flags = i % 11 == 3   ? HNB_IKE_JOB_FOREIGN_CERT
                        : i % 3 == 1  ? HNB_IKE_JOB_RECOVERY_CERT
                        : i % 13 == 6 ? HNB_IKE_JOB_RECOVERY_CERT | HNB_IKE_JOB_CROSS_CERT
                                      : 0;
    }
}

static void test_pool_determinism(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    HnbIkeJob ref[NJOBS], jobs[NJOBS];
    fill(e, ref);
    for (int i = 0; i < NJOBS; i++)
        hnb_ike_job_run_once(&ref[i]);
    guint counts[HNB_TLS_REASON_COUNT] = {0};
    for (int i = 0; i < NJOBS; i++) {
        g_assert_no_error(ref[i].error);
        counts[ref[i].reason]++;
    }
    /* the mix has every outcome it was built for */
    g_assert_cmpuint(counts[HNB_TLS_OK], >, 0);
    g_assert_cmpuint(counts[HNB_TLS_REVOKED], >, 0);
    g_assert_cmpuint(counts[HNB_TLS_EXPIRED], >, 0);
    g_assert_cmpuint(counts[HNB_TLS_NOT_YET_VALID], >, 0);
    g_assert_cmpuint(counts[HNB_TLS_UNKNOWN_CA], >, 0);
    for (unsigned threads = 0; threads <= 2; threads++) {
        HnbPool *pool = hnb_pool_new(threads, 4, hnb_ike_thread_init, hnb_ike_thread_free, e);
        uint64_t tickets[NJOBS];
        fill(e, jobs);
        for (int i = 0; i < NJOBS; i++)
            tickets[i] = hnb_pool_submit(pool, hnb_ike_job_run, &jobs[i]);
        for (int i = 0; i < NJOBS; i++) {
            hnb_pool_join(pool, tickets[i]);
            g_assert_no_error(jobs[i].error);
            g_assert_cmpint(jobs[i].reason, ==, ref[i].reason);
            g_assert_cmpint(jobs[i].side, ==, ref[i].side);
            g_assert_cmpstr(jobs[i].detail, ==, ref[i].detail);
        }
        hnb_pool_free(pool);
    }
}

/* A worker whose thread context could not be built reports an error, not an outcome. */
static void test_no_thread_ctx(void)
{
    g_autoptr(HnbIkeEngine) e = engine(pki, HNB_IKE_DH_DEFAULT, NULL);
    HnbIkeJob j;
    hnb_ike_job_init(&j, e, 0, 0, 0, 0);
    hnb_ike_job_run(&j, NULL);
    g_assert_error(j.error, HNB_ERROR, HNB_ERROR_RUN);
    g_assert_cmpint(j.reason, ==, HNB_TLS_OTHER);
    hnb_ike_job_clear(&j);
    g_assert_null(j.error);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    pki = make_pki(HNB_PKI_KEY_EC_P256, HNB_PKI_KEY_RSA_2048, 0);
    g_test_add_func("/ike/ok", test_ok);
    g_test_add_func("/ike/revoked", test_revoked);
    g_test_add_func("/ike/hnb-clock-before-segw-cert", test_hnb_clock_before_segw_cert);
    g_test_add_func("/ike/device-expired", test_device_expired);
    g_test_add_func("/ike/foreign", test_foreign);
    g_test_add_func("/ike/hostname", test_hostname);
    g_test_add_func("/ike/groups", test_groups);
    g_test_add_func("/ike/key-types", test_key_types);
    g_test_add_func("/ike/recovery", test_recovery);
    g_test_add_func("/ike/recovery-kind", test_recovery_kind);
    g_test_add_func("/ike/recovery-revoked", test_recovery_revoked);
    g_test_add_func("/ike/recovery-expired", test_recovery_expired);
    g_test_add_func("/ike/pool-determinism", test_pool_determinism);
    g_test_add_func("/ike/no-thread-ctx", test_no_thread_ctx);
    int rc = g_test_run();
    hnb_pki_free(pki);
    return rc;
}
