/* models/maintenance.c — local maintenance tools with H(e)MS rights, and what a lost one costs (the seed's second
 * doubt).
 *
 * A separate model, not a part of trust.c: the question is about TLS client authentication of a tool by the HNB
 * (certificate lifetime, scope, CRL distribution), not about which keys the TrE trusts, and the two share nothing but
 * the PKI.
 *
 * Story of a run.  T tools work in the field, tool j in region j mod R (HNB i lives in region i mod R).  Each holds a
 * tool certificate from the PKI's tool CA (pki.h): scoped to its region or to the whole fleet, valid for `validity`
 * and renewed at half its life while the operator has the tool (tool j's generation g is issued at φ_j + g·V/2, φ_j
 * a random phase in (−V/2, 0]).  A tool is lost at an exponential time; with probability `hostile` the finder uses
 * it: after a start delay, attempts at `rate` on HNBs drawn from `regions` regions around the tool's own (a thief
 * drives around).  Each attempt is a TLS session in which the tool acts as the HNB's H(e)MS (tls.h, tool sessions):
 * the HNB checks the chain to the operator root, the scope name of its region, the validity against its clock, and
 * the tool CA's CRL it last fetched.  A session that succeeds compromises the HNB (the tool has H(e)MS rights); the
 * finder gives up after `give_up` refusals in a row.
 * Revocation: the loss is reported after `report_delay`; the tool CA publishes a CRL every `crl_interval` listing every
 * reported tool; HNB i fetches it every `fetch_interval` at its own phase.  A lost tool is useless everywhere once it
 * expires or every HNB holds a CRL listing it (publication + fetch_interval): its exposure window ends there.
 *
 * Real handshakes, cached by class.  An attempt's outcome depends on the tool certificate, the HNB's region (the name
 * it checks), whether the CRL the HNB holds lists the tool, and whether the certificate has expired; all HNB device
 * certificates are alike.  The first attempt of each class (tool, region, listed, expired) is a real OpenSSL
 * handshake with the exact CRL that HNB holds, and later attempts of the class reuse its outcome: a few handshakes
 * per lost tool instead of hundreds.  They run in the kernel's thread (per-call contexts, tls.h).
 *
 * CRLs need no per-HNB events: the CRL HNB i holds at time t is the latest publication at or before its latest fetch
 * at or before t, and a publication lists the tools reported by then.  Lost tools sorted by report time make the
 * revoked set of any publication a prefix of that order, so a CRL is known by its length (its "version").
 *
 * Streams (common random numbers, so mitigations are compared on the same losses and the same attempts): tool j's
 * loss time and hostility ("maint.loss", j, 0 and 1), renewal phase ("maint.phase", j), report delay
 * ("maint.report", j), start delay ("maint.start", j), attempt a's gap, region and HNB ("maint.attack", j, 3a..3a+2);
 * HNB i's fetch phase ("maint.fetch", i).
 */
#include "models/model.h"
#include "crypto/pki.h"
#include "crypto/tls_engine.h"

#include <math.h>
#include <string.h>

typedef struct {
    HnbTime lost_at, reported_at, useless_at; /* HNB_TIME_NEVER: not lost in the run (or never useless) */
    HnbTime phase;                            /* issue time of generation 0, in (−V/2, 0] */
    HnbTime nb, na;                           /* validity of the certificate it was lost with */
    uint32_t gen;                             /* its generation */
    uint32_t rank;                            /* position in report order (CRL version c lists ranks < c) */
    uint32_t refused;                         /* refusals in a row */
    gboolean hostile;
} Tool;

/* An attempt class's outcome (see the header comment); kept in a hash table: classes are few and made rarely. */
#define CLASS_KEY(j, region, listed, expired)                                                                         \
    ((uint64_t)(j) << 26 | (uint64_t)(region) << 2 | (uint64_t)(listed) << 1 | (uint64_t)(expired))

typedef struct {
    const HnbScenario *sc;
    HnbSim *sim;
    /* parameters */
    uint32_t n, regions, ntools, reach_regions, give_up;
    HnbTime duration, sample, validity, crl_interval, fetch_interval;
    double loss_rate, hostile, attack_rate; /* per second */
    gboolean scoped;
    const HnbDist *report_delay, *start_delay;
    HnbStream s_loss, s_phase, s_report, s_start, s_attack, s_fetch;
    /* crypto */
    HnbPki *pki;
    HnbTlsConfig tls;
    X509_CRL **crls; /* by version (number of tools listed), made on first use */
    uint64_t *serials; /* lost certificates' serials in report order */
    GHashTable *classes; /* CLASS_KEY -> outcome + 1 */
    uint64_t handshakes_real;
    GError *error;
    /* state */
    Tool *tools;
    uint32_t *by_report; /* lost tools' indices sorted by report time */
    HnbTime *report_times; /* the same order */
    uint32_t nlost;
    HnbTime *fetch_phase; /* per HNB, in [0, fetch_interval) */
    uint8_t *compromised; /* per HNB */
    uint32_t k_loss, k_attempt, k_sample;
    /* outcomes */
    uint64_t lost_now, hostile_now, active_now, compromised_now;
    uint64_t attempts, outcome[HNB_TLS_REASON_COUNT], repeat;
    uint64_t attempts_since, refused_since;
    HnbSeries *series;
} Maint;

/* ---- CRLs -------------------------------------------------------------------------------------------------------- */

static int cmp_report(const void *a, const void *b, void *ud)
{
    const Tool *t = ud;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return t[x].reported_at < t[y].reported_at ? -1 : t[x].reported_at > t[y].reported_at ? 1 : (x > y) - (x < y);
}

/* Tools listed by the CRL published at or before t: those reported by the latest publication time. */
static uint32_t version_at(const Maint *m, HnbTime t)
{
    if (t < 0)
        return 0;
    HnbTime pub = t / m->crl_interval * m->crl_interval;
    uint32_t lo = 0, hi = m->nlost;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->report_times[mid] <= pub)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The CRL version HNB i holds at t (its latest fetch; every HNB holds the empty CRL of t = 0 before its first). */
static uint32_t held_version(const Maint *m, uint32_t i, HnbTime t)
{
    HnbTime phase = m->fetch_phase[i];
    if (t < phase)
        return 0;
    return version_at(m, phase + (t - phase) / m->fetch_interval * m->fetch_interval);
}

static X509_CRL *crl_of(Maint *m, uint32_t version)
{
    if (!m->crls[version]) {
        /* thisUpdate: the first publication that listed this many tools */
        HnbTime pub = version ? (m->report_times[version - 1] + m->crl_interval - 1) / m->crl_interval *
                                    m->crl_interval
                              : 0;
        m->crls[version] = hnb_pki_tool_crl(m->pki, m->serials, version, pub, m->error ? NULL : &m->error);
    }
    return m->crls[version];
}

/* ---- attempts ---------------------------------------------------------------------------------------------------- */

static HnbTlsReason handshake(Maint *m, uint32_t j, uint32_t i, uint32_t region, uint32_t version, HnbTime t)
{
    Tool *tl = &m->tools[j];
    GError **err = m->error ? NULL : &m->error;
    const HnbPkiCred *cred =
        hnb_pki_tool(m->pki, j, tl->gen, m->scoped ? (int)(j % m->regions) : -1, tl->nb, tl->na, err);
    X509_CRL *crl = crl_of(m, version);
    if (!cred || !crl)
        return HNB_TLS_OTHER;
    g_autofree char *host = hnb_pki_tool_host(m->pki, region);
    HnbTlsToolJob job = {
        .pki = m->pki, .cfg = &m->tls, .tool = cred, .crl = crl, .host = host,
        .hnb = i, .hnb_clock = t, .tool_time = t,
    };
    hnb_tls_tool_job_run(&job);
    m->handshakes_real++;
    if (job.reason == HNB_TLS_OTHER && !m->error)
        g_set_error(&m->error, HNB_ERROR, HNB_ERROR_RUN, "tool session of tool %u with HNB %u: %s", j, i, job.detail);
    return job.reason;
}

static void schedule_attempt(Maint *m, uint32_t j, HnbTime after, uint64_t a)
{
    double u = hnb_rng_uniform(m->s_attack, j, 3 * a);
    HnbTime gap = hnb_time_from_sec(hnb_exp_from_uniform(1.0 / m->attack_rate, u));
    if (gap <= m->duration - after && m->tools[j].refused < m->give_up) /* gap may saturate: no sum */
        hnb_sim_schedule(m->sim, after + gap, m->k_attempt, j, a);
    else
        m->active_now--;
}

static void on_attempt(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Maint *m = ud;
    (void)sim;
    uint32_t j = ev->entity;
    Tool *tl = &m->tools[j];
    /* the region (one of reach_regions around the tool's own), then an HNB of it */
    uint32_t region = (j % m->regions +
                       MIN((uint32_t)(hnb_rng_uniform(m->s_attack, j, 3 * ev->arg + 1) * m->reach_regions),
                           m->reach_regions - 1)) %
                      m->regions;
    uint32_t in_region = (m->n - region + m->regions - 1) / m->regions;
    uint32_t k = MIN((uint32_t)(hnb_rng_uniform(m->s_attack, j, 3 * ev->arg + 2) * in_region), in_region - 1);
    uint32_t i = region + k * m->regions;
    m->attempts++;
    m->attempts_since++;
    uint32_t version = held_version(m, i, ev->time);
    gboolean listed = tl->rank < version, expired = ev->time > tl->na;
    gpointer key = GSIZE_TO_POINTER(CLASS_KEY(j, region, listed, expired));
    gsize cached = GPOINTER_TO_SIZE(g_hash_table_lookup(m->classes, key));
    HnbTlsReason r;
    if (cached) {
        r = (HnbTlsReason)(cached - 1);
    } else {
        r = handshake(m, j, i, region, version, ev->time);
        g_hash_table_insert(m->classes, key, GSIZE_TO_POINTER((gsize)r + 1));
    }
    m->outcome[r]++;
    tl->refused = r == HNB_TLS_OK ? 0 : tl->refused + 1;
    if (r != HNB_TLS_OK)
        m->refused_since++;
    else if (m->compromised[i])
        m->repeat++;
    else {
        m->compromised[i] = 1;
        m->compromised_now++;
    }
    schedule_attempt(m, j, ev->time, ev->arg + 1);
}

static void on_loss(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Maint *m = ud;
    uint32_t j = ev->entity;
    m->lost_now++;
    if (!m->tools[j].hostile)
        return;
    m->hostile_now++;
    m->active_now++;
    HnbRng r = hnb_rng_at(m->s_start, j, 0);
    HnbTime first = ev->time + hnb_dist_sample_time(m->start_delay, &r);
    if (first <= m->duration) {
        /* the first attempt at `first` itself: schedule_attempt adds a gap, so place attempt 0 directly */
        hnb_sim_schedule(sim, first, m->k_attempt, j, 0);
    } else {
        m->active_now--;
    }
}

static void on_sample(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Maint *m = ud;
    double h = hnb_time_to_sec(m->sample) / 3600.0;
    double row[] = {
        hnb_time_to_sec(ev->time) / 3600.0, (double)m->compromised_now, (double)m->lost_now,
        (double)m->active_now,              m->attempts_since / h,      m->refused_since / h,
    };
    hnb_series_add_row(m->series, row);
    m->attempts_since = m->refused_since = 0;
    if (ev->time + m->sample <= m->duration)
        hnb_sim_schedule(sim, ev->time + m->sample, m->k_sample, 0, 0);
}

/* ---- set-up ------------------------------------------------------------------------------------------------------ */

/* Draw every tool's fate up front (it depends on nothing that happens in the run) and order the reports. */
static void tools_init(Maint *m)
{
    HnbTime half = m->validity / 2 > 0 ? m->validity / 2 : 1;
    m->tools = g_new0(Tool, m->ntools);
    m->by_report = g_new(uint32_t, m->ntools);
    for (uint32_t j = 0; j < m->ntools; j++) {
        Tool *t = &m->tools[j];
        t->phase = -(HnbTime)(hnb_rng_uniform(m->s_phase, j, 0) * (double)half);
        t->lost_at = t->reported_at = t->useless_at = HNB_TIME_NEVER;
        double u = hnb_rng_uniform(m->s_loss, j, 0);
        HnbTime lost = m->loss_rate > 0 ? hnb_time_from_sec(hnb_exp_from_uniform(1.0 / m->loss_rate, u))
                                        : HNB_TIME_NEVER;
        if (lost > m->duration)
            continue;
        t->lost_at = lost;
        t->hostile = hnb_rng_uniform(m->s_loss, j, 1) < m->hostile;
        HnbRng r = hnb_rng_at(m->s_report, j, 0);
        t->reported_at = lost + hnb_dist_sample_time(m->report_delay, &r);
        /* the certificate on the tool when it was lost, and its validity */
        t->gen = (uint32_t)((lost - t->phase) / half);
        t->nb = t->phase + (HnbTime)t->gen * half;
        t->na = t->nb + m->validity;
        m->by_report[m->nlost++] = j;
    }
    g_qsort_with_data(m->by_report, (gint)m->nlost, sizeof(uint32_t), cmp_report, m->tools);
    m->report_times = g_new(HnbTime, m->nlost + 1);
    m->serials = g_new(uint64_t, m->nlost + 1);
    for (uint32_t r = 0; r < m->nlost; r++) {
        Tool *t = &m->tools[m->by_report[r]];
        t->rank = r;
        m->report_times[r] = t->reported_at;
        m->serials[r] = HNB_PKI_TOOL_SERIAL(m->by_report[r], t->gen);
        /* useless everywhere: expired, or listed by a publication every HNB has fetched since */
        HnbTime pub = (t->reported_at + m->crl_interval - 1) / m->crl_interval * m->crl_interval;
        t->useless_at = MIN(t->na, pub + m->fetch_interval);
    }
    m->crls = g_new0(X509_CRL *, m->nlost + 1);
}

/* Certificates the tool CA issues over the run: every generation of every tool the operator holds. */
static double certs_issued(const Maint *m)
{
    HnbTime half = m->validity / 2 > 0 ? m->validity / 2 : 1;
    double n = 0;
    for (uint32_t j = 0; j < m->ntools; j++) {
        HnbTime until = MIN(m->tools[j].lost_at, m->duration);
        n += (double)((until - m->tools[j].phase) / half + 1);
    }
    return n;
}

static gboolean validate(const HnbScenario *sc, GError **error)
{
    const char *src = hnb_scenario_source(sc);
    int64_t reach = hnb_scenario_int(sc, "attack", "regions"), regions = hnb_scenario_int(sc, "fleet", "regions"),
            size = hnb_scenario_int(sc, "fleet", "size");
    if (reach > regions || regions > size) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    reach > regions ? "%s: [attack] regions = %" G_GINT64_FORMAT
                                      " is more than [fleet] regions = %" G_GINT64_FORMAT
                                    : "%s: [fleet] regions = %" G_GINT64_FORMAT
                                      " is more than [fleet] size = %" G_GINT64_FORMAT " (a region without HNBs)",
                    src, reach > regions ? reach : regions, reach > regions ? regions : size);
        return FALSE;
    }
    if (hnb_scenario_int(sc, "tools", "count") >= (int64_t)HNB_PKI_TOOL_MAX) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: [tools] count: at most %u tools", src,
                    HNB_PKI_TOOL_MAX - 1);
        return FALSE;
    }
    HnbPkiParams pp;
    HnbTlsConfig tc;
    hnb_pki_params_init(&pp);
    hnb_tls_config_init(&tc);
    gboolean ok = hnb_pki_params_from_scenario(&pp, sc, error) && hnb_tls_config_from_scenario(&tc, sc, error);
    hnb_pki_params_clear(&pp);
    hnb_tls_config_clear(&tc);
    return ok;
}

static void params(Maint *m, const HnbScenario *sc, guint rep)
{
    uint64_t seed = (uint64_t)hnb_scenario_int(sc, "scenario", "seed");
    m->sc = sc;
    m->n = (uint32_t)hnb_scenario_int(sc, "fleet", "size");
    m->regions = (uint32_t)hnb_scenario_int(sc, "fleet", "regions");
    m->ntools = (uint32_t)hnb_scenario_int(sc, "tools", "count");
    m->loss_rate = hnb_scenario_number(sc, "tools", "loss_rate");
    m->validity = hnb_scenario_time(sc, "tools", "validity");
    m->scoped = strcmp(hnb_scenario_string(sc, "tools", "scope"), "region") == 0;
    m->report_delay = hnb_scenario_dist(sc, "revocation", "report_delay");
    m->crl_interval = hnb_scenario_time(sc, "revocation", "crl_interval");
    m->fetch_interval = hnb_scenario_time(sc, "revocation", "fetch_interval");
    m->hostile = hnb_scenario_number(sc, "attack", "hostile");
    m->start_delay = hnb_scenario_dist(sc, "attack", "start_delay");
    m->attack_rate = hnb_scenario_number(sc, "attack", "rate");
    m->reach_regions = (uint32_t)hnb_scenario_int(sc, "attack", "regions");
    m->give_up = (uint32_t)hnb_scenario_int(sc, "attack", "give_up");
    m->duration = hnb_scenario_time(sc, "scenario", "duration");
    m->sample = hnb_model_sample_interval(sc);
    m->s_loss = hnb_stream(seed, rep, "maint.loss");
    m->s_phase = hnb_stream(seed, rep, "maint.phase");
    m->s_report = hnb_stream(seed, rep, "maint.report");
    m->s_start = hnb_stream(seed, rep, "maint.start");
    m->s_attack = hnb_stream(seed, rep, "maint.attack");
    m->s_fetch = hnb_stream(seed, rep, "maint.fetch");
}

static void metrics(Maint *m, HnbMetrics *out)
{
    double window = 0, window_max = 0, latency = 0;
    uint32_t hostile = 0;
    for (uint32_t r = 0; r < m->nlost; r++) {
        const Tool *t = &m->tools[m->by_report[r]];
        HnbTime pub = (t->reported_at + m->crl_interval - 1) / m->crl_interval * m->crl_interval;
        latency += hnb_time_to_sec(pub + m->fetch_interval - t->lost_at) / 3600.0;
        if (!t->hostile)
            continue;
        double w = hnb_time_to_sec(t->useless_at - t->lost_at) / 3600.0;
        window += w;
        window_max = MAX(window_max, w);
        hostile++;
    }
    double certs = certs_issued(m);
    double fetches = (double)m->n * hnb_time_to_sec(m->duration) / hnb_time_to_sec(m->fetch_interval);
    double publications = (double)(m->duration / m->crl_interval + 1);
    double c_hnb = hnb_scenario_number(m->sc, "cost", "compromised_hnb");
    double c_cert = hnb_scenario_number(m->sc, "cost", "tool_cert");
    double c_fetch = hnb_scenario_number(m->sc, "cost", "crl_fetch");
    double c_pub = hnb_scenario_number(m->sc, "cost", "crl_publication");
    double mitigation = certs * c_cert + fetches * c_fetch + publications * c_pub;
    hnb_metrics_add(out, "hnbs", "HNBs", m->n, "fleet size");
    hnb_metrics_add(out, "tools", "tools", m->ntools, "maintenance tools in the field");
    hnb_metrics_add(out, "tools_lost", "tools", m->nlost, "tools lost or stolen during the run");
    hnb_metrics_add(out, "tools_hostile", "tools", hostile, "lost tools used against HNBs");
    hnb_metrics_add(out, "compromised", "HNBs", (double)m->compromised_now, "HNBs a lost tool took over");
    hnb_metrics_add(out, "attempts", "sessions", (double)m->attempts, "tool sessions the finders tried");
    for (int k = 0; k < HNB_TLS_REASON_COUNT; k++) {
        char name[48];
        g_snprintf(name, sizeof name, "attempts_%s", hnb_tls_reason_name((HnbTlsReason)k));
        hnb_metrics_add(out, name, "sessions", (double)m->outcome[k], "tool sessions with this outcome");
    }
    hnb_metrics_add(out, "attempts_repeat", "sessions", (double)m->repeat, "successful sessions on HNBs already taken");
    hnb_metrics_add(out, "handshakes_real", "handshakes", (double)m->handshakes_real,
                    "real OpenSSL handshakes (one per attempt class; the rest reuse their outcome)");
    hnb_metrics_add(out, "exposure_mean_h", "h", hostile ? window / hostile : NAN,
                    "lost hostile tool: from the loss until it is useless everywhere (expired, or revoked and fetched)");
    hnb_metrics_add(out, "exposure_max_h", "h", hostile ? window_max : NAN, "longest such window");
    hnb_metrics_add(out, "revocation_latency_mean_h", "h", m->nlost ? latency / m->nlost : NAN,
                    "from a loss until every HNB holds a CRL listing the tool");
    hnb_metrics_add(out, "tool_certs_issued", "certificates", certs, "tool certificates issued (renewals included)");
    hnb_metrics_add(out, "crl_publications", "CRLs", publications, "CRLs the tool CA published");
    hnb_metrics_add(out, "crl_fetches", "fetches", fetches, "CRL downloads by the HNBs");
    hnb_metrics_add(out, "compromise_cost", "cost", (double)m->compromised_now * c_hnb,
                    "compromised HNBs x [cost] compromised_hnb");
    hnb_metrics_add(out, "mitigation_cost", "cost", mitigation, "certificates, CRL publications and fetches");
    hnb_metrics_add(out, "total_cost", "cost", (double)m->compromised_now * c_hnb + mitigation, "both");
    hnb_metrics_add(out, "events", "events", (double)hnb_sim_events_run(m->sim), "kernel events run");
}

static void maint_free(Maint *m)
{
    if (m->crls)
        for (uint32_t v = 0; v <= m->nlost; v++)
            X509_CRL_free(m->crls[v]);
    g_free(m->crls);
    if (m->classes)
        g_hash_table_destroy(m->classes);
    if (m->series)
        hnb_series_free(m->series);
    if (m->sim)
        hnb_sim_free(m->sim);
    hnb_tls_config_clear(&m->tls);
    hnb_pki_free(m->pki);
    g_clear_error(&m->error);
    g_free(m->tools);
    g_free(m->by_report);
    g_free(m->report_times);
    g_free(m->serials);
    g_free(m->fetch_phase);
    g_free(m->compromised);
    g_free(m);
}

static gboolean run(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbMetrics *out, HnbSeries **series,
                    HnbSeries **cdf, GError **error)
{
    static const char *const cols[] = {"time_h",       "compromised",  "tools_lost",
                                       "tools_active", "attempts_per_h", "refused_per_h"};
    static const char *const units[] = {"h", "HNBs", "tools", "tools", "sessions/h", "sessions/h"};
    (void)cdf;
    Maint *m = g_new0(Maint, 1);
    params(m, sc, rep);
    hnb_tls_config_init(&m->tls);
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    gboolean ok = hnb_pki_params_from_scenario(&pp, sc, error) && (m->pki = hnb_pki_new(&pp, error)) != NULL &&
                  hnb_tls_config_from_scenario(&m->tls, sc, error);
    hnb_pki_params_clear(&pp);
    if (!ok) {
        maint_free(m);
        return FALSE;
    }
    tools_init(m);
    m->classes = g_hash_table_new(g_direct_hash, g_direct_equal);
    m->fetch_phase = g_new(HnbTime, m->n);
    for (uint32_t i = 0; i < m->n; i++)
        m->fetch_phase[i] = (HnbTime)(hnb_rng_uniform(m->s_fetch, i, 0) * (double)m->fetch_interval);
    m->compromised = g_new0(uint8_t, m->n);
    m->series = hnb_series_new(G_N_ELEMENTS(cols), cols, units);
    m->sim = hnb_sim_new();
    m->k_loss = hnb_sim_register(m->sim, "maint.loss", on_loss, m);
    m->k_attempt = hnb_sim_register(m->sim, "maint.attempt", on_attempt, m);
    m->k_sample = hnb_sim_register(m->sim, "maint.sample", on_sample, m);
    for (uint32_t j = 0; j < m->ntools; j++)
        if (m->tools[j].lost_at != HNB_TIME_NEVER)
            hnb_sim_schedule(m->sim, m->tools[j].lost_at, m->k_loss, j, 0);
    if (m->sample <= m->duration)
        hnb_sim_schedule(m->sim, m->sample, m->k_sample, 0, 0);
    hnb_model_run_kernel(m->sim, m->duration, progress);
    if (m->error) {
        g_propagate_error(error, g_steal_pointer(&m->error));
        maint_free(m);
        return FALSE;
    }
    metrics(m, out);
    *series = g_steal_pointer(&m->series);
    maint_free(m);
    return TRUE;
}

static const HnbKeySpec schema[] = {
    {"fleet", "size", HNB_KEY_INT, 0, "10000", "1", "16000000", NULL, "number of HNBs (HNB i is in region i mod R)"},
    {"fleet", "regions", HNB_KEY_INT, 0, "20", "1", "4096", NULL,
     "regions R (a region's HNBs are what one technician's tool serves)"},
    {"tools", "count", HNB_KEY_INT, 0, "200", "1", "1000000", NULL, "maintenance tools, tool j in region j mod R"},
    {"tools", "loss_rate", HNB_KEY_NUMBER, HNB_UNIT_RATE, "4/y", "0/s", NULL, NULL,
     "losses or thefts per tool per unit time (exponential)"},
    {"tools", "validity", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "730d", "1h", "36500d", NULL,
     "tool certificate lifetime; renewed at half its life while the operator holds the tool"},
    {"tools", "scope", HNB_KEY_ENUM, 0, "fleet", NULL, NULL, "fleet|region",
     "what the tool certificate names: every region (*.tools.<realm>) or its own (region-<r>.tools.<realm>)"},
    {"revocation", "report_delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(0s,2d)", NULL, NULL, NULL,
     "from a loss to the operator revoking the tool certificate"},
    {"revocation", "crl_interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1d", "1s", "365d", NULL,
     "the tool CA publishes a CRL this often"},
    {"revocation", "fetch_interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "7d", "1s", "365d", NULL,
     "each HNB fetches the tool CA's CRL this often (at its own phase)"},
    {"attack", "hostile", HNB_KEY_NUMBER, HNB_UNIT_FRACTION, "1", NULL, NULL, NULL,
     "share of lost tools that their finder uses against HNBs"},
    {"attack", "start_delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(1h,1d)", NULL, NULL, NULL,
     "from the loss to the first attempt"},
    {"attack", "rate", HNB_KEY_NUMBER, HNB_UNIT_RATE, "2/h", "0.001/h", NULL, NULL,
     "attempts per hostile tool per unit time (each a TLS session with an HNB in reach)"},
    {"attack", "regions", HNB_KEY_INT, 0, "3", "1", "4096", NULL,
     "regions within the finder's reach: the tool's own and the next ones"},
    {"attack", "give_up", HNB_KEY_INT, 0, "20", "1", "1000000", NULL,
     "the finder stops after this many refused sessions in a row"},
    {"cost", "compromised_hnb", HNB_KEY_NUMBER, HNB_UNIT_NONE, "150", "0", NULL, NULL,
     "cost of one compromised HNB (clean-up visit, subscriber harm)"},
    {"cost", "tool_cert", HNB_KEY_NUMBER, HNB_UNIT_NONE, "1", "0", NULL, NULL, "cost of issuing one tool certificate"},
    {"cost", "crl_publication", HNB_KEY_NUMBER, HNB_UNIT_NONE, "1", "0", NULL, NULL, "cost of one CRL publication"},
    {"cost", "crl_fetch", HNB_KEY_NUMBER, HNB_UNIT_NONE, "0.0001", "0", NULL, NULL, "cost of one HNB CRL download"},
    HNB_KEY_END,
};

static const HnbFigure figures[] = {
    {"compromised", "HNBs taken over through lost maintenance tools", "HNBs", "compromised", FALSE},
    {"tools", "Tools lost, and lost tools still in a finder's use", "tools", "tools_lost tools_active", FALSE},
    {"attempts", "Tool sessions tried and refused", "sessions/h", "attempts_per_h refused_per_h", FALSE},
};

static const HnbCompareFigure compare_figures[] = {
    {"compromised", "HNBs taken over through lost maintenance tools", "time (h)", "HNBs", HNB_COMPARE_SERIES,
     "compromised", FALSE},
    {"active-tools", "Lost tools still in a finder's use", "time (h)", "tools", HNB_COMPARE_SERIES,
     "tools_active", FALSE},
    {"exposure", "Exposure window of a lost tool (mean)", NULL, "h", HNB_COMPARE_BAR, "exposure_mean_h", FALSE},
    {"cost", "Cost: compromised HNBs and the mitigation itself", NULL, "cost", HNB_COMPARE_BAR, "total_cost", FALSE},
};

static const HnbKeySpec *const shared_schemas[] = {hnb_tls_schema, hnb_pki_schema, NULL};

const HnbModel hnb_model_maintenance = {
    .name = "maintenance",
    .doc = "local maintenance tools with H(e)MS rights: losses, real TLS sessions against HNBs, revocation by CRL",
    .schema = schema,
    .more_schemas = shared_schemas,
    .figures = figures,
    .nfigures = G_N_ELEMENTS(figures),
    .run = run,
    .validate = validate,
    .compare_figures = compare_figures,
    .ncompare_figures = G_N_ELEMENTS(compare_figures),
};
