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
 * the tool CA's CRL.  A session that succeeds compromises the HNB (the tool has H(e)MS rights); the finder gives up
 * after `give_up` refusals in a row.
 * Revocation: the loss is reported after `report_delay`; the tool CA publishes a CRL every `crl_interval` listing every
 * reported tool; HNB i fetches it every `fetch_interval` at its own phase and, with [hnb] tool_crl_check = session,
 * at the start of each tool session too.
 * The finder at the HNB (maintenance.h): a local session is local, so he may cut the HNB's WAN ([thief] cut_wan: no
 * CRL fetch, no NTP) and, once his certificate has expired, power-cycle it ([thief] power_cycle: its clock restarts
 * from its last save, [power] clock_save_interval, TS 33.320 6.3.1, unless [hnb] ntp_at_boot corrects it first over
 * the WAN).  A lost tool is useless everywhere once no HNB would accept it: once every HNB's clock in a session is
 * past notAfter (true time or, with a clock the finder can set back, notAfter + clock_save_interval) or every HNB
 * checks a CRL listing it (publication + fetch_interval; with session checks over a WAN he leaves up, the publication
 * itself): its exposure window ends there.
 *
 * Real handshakes, cached by class.  An attempt's outcome depends on the tool certificate, the HNB's region (the name
 * it checks), whether the CRL the HNB checks lists the tool, and where the HNB's clock (not true time) stands against
 * the certificate's notBefore and notAfter and the CRL's thisUpdate and nextUpdate; all HNB device certificates are
 * alike.  The first attempt of each class is a real OpenSSL handshake with the exact CRL that HNB checks and the exact
 * clock it checks it at, and later attempts of the class reuse its outcome: a few handshakes per lost tool instead of
 * hundreds.  They run in the kernel's thread (per-call contexts, tls.h).
 *
 * CRLs need no per-HNB events: the CRL HNB i checks at time t is the latest publication at or before its latest fetch
 * at or before t (or t itself, fetched for the session), and a publication lists the tools reported by then.  Lost
 * tools sorted by report time make the revoked set of any publication a prefix of that order, so which tools a CRL
 * lists is known by its length (its "version"); each publication an HNB checks is made once, a real CRL with its own
 * thisUpdate.
 *
 * Streams (common random numbers, so mitigations are compared on the same losses and the same attempts): tool j's
 * loss time and hostility ("maint.loss", j, 0 and 1), renewal phase ("maint.phase", j), report delay
 * ("maint.report", j), start delay ("maint.start", j), attempt a's gap, region and HNB ("maint.attack", j, 3a..3a+2);
 * HNB i's fetch phase ("maint.fetch", i) and clock-save phase ("maint.clock", i): a stream of its own, so the thief's
 * options shift no other draw.
 */
#include "models/maintenance.h"
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

/* An attempt class's outcome (see the header comment); kept in a hash table: classes are few and made rarely.  `when`
 * says where the HNB's clock stands (CLOCK_*): with the true clock only `expired` can be set, so without the finder's
 * options the classes are today's. */
enum {
    CLOCK_EXPIRED = 1 << 0,       /* past the certificate's notAfter */
    CLOCK_BEFORE_CERT = 1 << 1,   /* before its notBefore (a saved clock older than the certificate) */
    CLOCK_BEFORE_CRL = 1 << 2,    /* before the CRL's thisUpdate (a saved clock older than the CRL it fetched) */
    CLOCK_AFTER_CRL = 1 << 3,     /* past the CRL's nextUpdate */
};
#define CLASS_KEY(j, region, listed, when)                                                                            \
    ((uint64_t)(j) << 26 | (uint64_t)((when) >> 1) << 14 | (uint64_t)(region) << 2 | (uint64_t)(listed) << 1 |       \
     (uint64_t)((when) & CLOCK_EXPIRED))

typedef struct {
    const HnbScenario *sc;
    HnbSim *sim;
    /* parameters */
    uint32_t n, regions, ntools, reach_regions, give_up;
    HnbTime duration, sample, validity, crl_interval, fetch_interval, save_interval, crl_lifetime;
    double loss_rate, hostile, attack_rate; /* per second */
    gboolean scoped;
    gboolean crl_session, ntp_at_boot, cut_wan, power_cycle; /* maintenance.h */
    const HnbDist *report_delay, *start_delay;
    HnbStream s_loss, s_phase, s_report, s_start, s_attack, s_fetch, s_clock;
    /* crypto */
    HnbPki *pki;
    HnbTlsConfig tls;
    GHashTable *crls; /* publication index -> X509_CRL, made on first use */
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
    uint64_t attempts, outcome[HNB_TLS_REASON_COUNT], repeat, session_fetches;
    uint64_t attempts_since, refused_since;
    HnbSeries *series;
} Maint;

/* ---- the HNB in a tool session (maintenance.h) -------------------------------------------------------------------- */

HnbTime hnb_maint_clock_lag(const HnbMaintHnb *h, HnbTime t)
{
    if (h->save_interval <= 0)
        return 0;
    HnbTime since = (t - h->save_phase) % h->save_interval;
    return since < 0 ? since + h->save_interval : since;
}

HnbMaintSession hnb_maint_session(const HnbMaintHnb *h, HnbTime t)
{
    HnbMaintSession s = {.clock = t, .crl_pub = 0, .fetched = FALSE};
    /* a power cycle sets the clock back to the last save; only NTP over the WAN brings it forward before the session */
    if (h->power_cycle && (h->cut_wan || !h->ntp_at_boot))
        s.clock = t - hnb_maint_clock_lag(h, t);
    HnbTime fetch = -1;
    if (h->crl_session && !h->cut_wan) {
        fetch = t;
        s.fetched = TRUE;
    } else if (t >= h->fetch_phase) {
        fetch = h->fetch_phase + (t - h->fetch_phase) / h->fetch_interval * h->fetch_interval;
    }
    if (fetch >= 0)
        s.crl_pub = fetch / h->crl_interval * h->crl_interval;
    return s;
}

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

/* What HNB i relies on in a session at t with a tool whose certificate ends at na: its clock and the CRL it checks
 * (maintenance.h).  The finder power-cycles the HNB only when his certificate has expired (he reads its notAfter):
 * otherwise a clock set back gains him nothing and may cost him the session (a clock before the thisUpdate of the CRL
 * the HNB holds fails the CRL check). */
static HnbMaintSession session_of(const Maint *m, uint32_t i, HnbTime t, HnbTime na)
{
    HnbMaintHnb h = {
        .save_interval = m->save_interval,
        .save_phase = m->save_interval > 0 ? (HnbTime)(hnb_rng_uniform(m->s_clock, i, 0) * (double)m->save_interval)
                                           : 0,
        .fetch_interval = m->fetch_interval, .fetch_phase = m->fetch_phase[i], .crl_interval = m->crl_interval,
        .crl_session = m->crl_session, .ntp_at_boot = m->ntp_at_boot, .cut_wan = m->cut_wan,
        .power_cycle = m->power_cycle && t > na,
    };
    return hnb_maint_session(&h, t);
}

/* The CRL of publication `pub` (thisUpdate = pub), listing the tools reported by then. */
static X509_CRL *crl_of(Maint *m, HnbTime pub)
{
    gpointer key = GSIZE_TO_POINTER((gsize)(pub / m->crl_interval));
    X509_CRL *crl = g_hash_table_lookup(m->crls, key);
    if (!crl) {
        crl = hnb_pki_tool_crl(m->pki, m->serials, version_at(m, pub), pub, m->error ? NULL : &m->error);
        if (crl)
            g_hash_table_insert(m->crls, key, crl);
    }
    return crl;
}

/* ---- attempts ---------------------------------------------------------------------------------------------------- */

static HnbTlsReason handshake(Maint *m, uint32_t j, uint32_t i, uint32_t region, const HnbMaintSession *s,
                              HnbTime t)
{
    Tool *tl = &m->tools[j];
    GError **err = m->error ? NULL : &m->error;
    const HnbPkiCred *cred =
        hnb_pki_tool(m->pki, j, tl->gen, m->scoped ? (int)(j % m->regions) : -1, tl->nb, tl->na, err);
    X509_CRL *crl = crl_of(m, s->crl_pub);
    if (!cred || !crl)
        return HNB_TLS_OTHER;
    g_autofree char *host = hnb_pki_tool_host(m->pki, region);
    HnbTlsToolJob job = {
        .pki = m->pki, .cfg = &m->tls, .tool = cred, .crl = crl, .host = host,
        .hnb = i, .hnb_clock = s->clock, .tool_time = t,
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
    HnbMaintSession s = session_of(m, i, ev->time, tl->na);
    m->session_fetches += (uint64_t)s.fetched;
    gboolean listed = tl->rank < version_at(m, s.crl_pub);
    HnbTime c = s.clock;
    unsigned when = (c > tl->na ? CLOCK_EXPIRED : 0) | (c < tl->nb ? CLOCK_BEFORE_CERT : 0) |
                    (c < s.crl_pub ? CLOCK_BEFORE_CRL : 0) | (c > s.crl_pub + m->crl_lifetime ? CLOCK_AFTER_CRL : 0);
    gpointer key = GSIZE_TO_POINTER(CLASS_KEY(j, region, listed, when));
    gsize cached = GPOINTER_TO_SIZE(g_hash_table_lookup(m->classes, key));
    HnbTlsReason r;
    if (cached) {
        r = (HnbTlsReason)(cached - 1);
    } else {
        r = handshake(m, j, i, region, &s, ev->time);
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

/* When every HNB checks a CRL listing tool t: the periodic fetch after the publication that lists it, or that
 * publication itself when every session fetches the CRL (session checks, the WAN up). */
static HnbTime listed_everywhere_at(const Maint *m, const Tool *t)
{
    HnbTime pub = (t->reported_at + m->crl_interval - 1) / m->crl_interval * m->crl_interval;
    return m->crl_session && !m->cut_wan ? pub : pub + m->fetch_interval;
}

/* When every HNB's clock in a session is past tool t's notAfter: then in true time, or, when the finder can set
 * clocks back to their last save, once the HNB that saved longest ago (a lag up to clock_save_interval: with many
 * HNBs at their own phases, some lag is as long as that) has saved after it. */
static HnbTime dead_at(const Maint *m, const Tool *t)
{
    return m->power_cycle && (m->cut_wan || !m->ntp_at_boot) ? t->na + m->save_interval : t->na;
}

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
        t->useless_at = MIN(dead_at(m, t), listed_everywhere_at(m, t));
    }
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
    m->save_interval = hnb_scenario_time(sc, "power", "clock_save_interval");
    m->crl_session = strcmp(hnb_scenario_string(sc, "hnb", "tool_crl_check"), "session") == 0;
    m->ntp_at_boot = hnb_scenario_bool(sc, "hnb", "ntp_at_boot");
    m->cut_wan = hnb_scenario_bool(sc, "thief", "cut_wan");
    m->power_cycle = hnb_scenario_bool(sc, "thief", "power_cycle");
    m->duration = hnb_scenario_time(sc, "scenario", "duration");
    m->sample = hnb_model_sample_interval(sc);
    m->s_loss = hnb_stream(seed, rep, "maint.loss");
    m->s_phase = hnb_stream(seed, rep, "maint.phase");
    m->s_report = hnb_stream(seed, rep, "maint.report");
    m->s_start = hnb_stream(seed, rep, "maint.start");
    m->s_attack = hnb_stream(seed, rep, "maint.attack");
    m->s_fetch = hnb_stream(seed, rep, "maint.fetch");
    m->s_clock = hnb_stream(seed, rep, "maint.clock");
}

static void metrics(Maint *m, HnbMetrics *out)
{
    double window = 0, window_max = 0, latency = 0;
    uint32_t hostile = 0;
    for (uint32_t r = 0; r < m->nlost; r++) {
        const Tool *t = &m->tools[m->by_report[r]];
        latency += hnb_time_to_sec(listed_everywhere_at(m, t) - t->lost_at) / 3600.0;
        if (!t->hostile)
            continue;
        double w = hnb_time_to_sec(t->useless_at - t->lost_at) / 3600.0;
        window += w;
        window_max = MAX(window_max, w);
        hostile++;
    }
    double certs = certs_issued(m);
    /* the periodic fetches, and those of the tool sessions (the finders'; a technician's own sessions are not
     * modelled) */
    double fetches = (double)m->n * hnb_time_to_sec(m->duration) / hnb_time_to_sec(m->fetch_interval) +
                     (double)m->session_fetches;
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
    /* with the finder's options the tool dies later than "expired or fetched" says: the doc says what it measures */
    gboolean thief = m->cut_wan || m->power_cycle;
    hnb_metrics_add(out, "exposure_mean_h", "h", hostile ? window / hostile : NAN,
                    thief ? "lost hostile tool: from the loss until no HNB would accept it under the finder's options "
                            "(every HNB's clock in a session past notAfter, or every HNB's CRL lists it)"
                          : "lost hostile tool: from the loss until it is useless everywhere (expired, or revoked and "
                            "fetched)");
    hnb_metrics_add(out, "exposure_max_h", "h", hostile ? window_max : NAN, "longest such window");
    hnb_metrics_add(out, "revocation_latency_mean_h", "h", m->nlost ? latency / m->nlost : NAN,
                    m->crl_session ? "from a loss until every HNB checks a CRL listing the tool in a session"
                                   : "from a loss until every HNB holds a CRL listing the tool");
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
        g_hash_table_destroy(m->crls);
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
    m->crl_lifetime = pp.crl_lifetime; /* the tool CRL's nextUpdate, which the HNB's clock may pass */
    hnb_pki_params_clear(&pp);
    if (!ok) {
        maint_free(m);
        return FALSE;
    }
    tools_init(m);
    m->crls = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)X509_CRL_free);
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
    {"hnb", "tool_crl_check", HNB_KEY_ENUM, 0, "periodic", NULL, NULL, "periodic|session",
     "the CRL an HNB checks a tool against: the one of its last periodic fetch, or one it fetches at the start of "
     "each tool session (needs its WAN; without it, the last one it fetched).  Clause 8.3.4 and RFC 5280 6.3 leave "
     "the relying party to choose how fresh"},
    {"hnb", "ntp_at_boot", HNB_KEY_BOOL, 0, "false", NULL, NULL, NULL,
     "after a power cycle the HNB takes the time from NTP (needs its WAN) before it accepts a tool session; false: "
     "its clock runs on from its last save (TS 33.320 6.3.1) until something corrects it, and a tool session can "
     "come first"},
    {"power", "clock_save_interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0s", "0s", "3650d", NULL,
     "the HNB saves its clock this often (each at its own phase) and restarts from the last save after a power "
     "loss (TS 33.320 6.3.1); 0s: saved at the failure itself"},
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
    {"thief", "cut_wan", HNB_KEY_BOOL, 0, "false", NULL, NULL, NULL,
     "the finder cuts the HNB's WAN for his session (a local session is local): it fetches no CRL and cannot take "
     "the time, so it checks the CRL it last fetched, at its own clock"},
    {"thief", "power_cycle", HNB_KEY_BOOL, 0, "false", NULL, NULL, NULL,
     "the finder power-cycles the HNB before each session once his certificate has expired: its clock restarts from "
     "its last save ([power] clock_save_interval), unless [hnb] ntp_at_boot corrects it over a WAN he has not cut"},
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
     "compromised", FALSE, NULL, FALSE},
    {"active-tools", "Lost tools still in a finder's use", "time (h)", "tools", HNB_COMPARE_SERIES,
     "tools_active", FALSE, NULL, FALSE},
    {"exposure", "Exposure window of a lost tool (mean)", NULL, "h", HNB_COMPARE_BAR, "exposure_mean_h", FALSE, NULL,
     FALSE},
    {"cost", "Cost: compromised HNBs and the mitigation itself", NULL, "cost", HNB_COMPARE_BAR, "total_cost", FALSE,
     NULL, FALSE},
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
