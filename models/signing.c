/* models/signing.c — signing servers: release campaigns, the emergency fix after a mass rewrite, and the exposure of
 * the signing key (the seed's third doubt: fewer signing servers are safer, more are faster).
 *
 * Flow of one image.  Each release (and the emergency fix) needs one signed image per HNB variant (V of them); the
 * signing servers' queues — approvers in working hours, then the HSM, emergency images first — are the part
 * models/signer.h, which the fleet's fix uses too.
 *
 * Critical path of recovery.  At t_attack ([emergency] at) the fleet has been rewritten; the fixed images are ready
 * [emergency] build later and submitted.  Reported: attack -> first signed image, -> all V signed, -> fleet recovered.
 * The recovery stage is a fluid model: the N HNBs split evenly over the variants; variant v's HNBs start downloading
 * when its image is signed plus [recovery] contact, share the image server's bandwidth equally (each capped by its
 * access link), and are back in service [recovery] install after their download.  With mode = measured the stage is
 * a distribution instead (e.g. the fleet model's time to recover, given an image).
 *
 * Exposure.  Every server and every person with signing rights (approvers per server) falls at its own rate; who
 * then signs for the attacker is signing_risk.h's question: a server's host, or [approval] quorum of its people, make
 * that server sign; [signing] keys decides how many servers a signature needs (threshold:K: K; else one).  The
 * probability that the attacker can sign within [exposure] horizon is computed (signing_risk.h; with quorum 1 and
 * one share, 1 - exp(-(S·server_rate + S·A·person_rate)·horizon), as before those keys) and, independently, counted:
 * server j's compromise time is an exponential draw of ("signing.compromise", j, 0), approver a's of (j, 1 + a); a
 * replication counts a compromise when the time the attacker can first sign lies within the horizon.
 * Per-server and threshold keys are real keys (the PKI's named keys signing-server-<j>): each server's shares are
 * signed with its own key and verified against it.
 *
 * The curve over S.  [signing] servers_curve lists server counts that one replication runs one after the other on
 * the same streams (common random numbers): an image's draws are keyed by its id (release · V + variant), a server's
 * and person's by their index, so S and S' see the same releases, the same work and the same attacker, and the
 * differences are the server counts' own.  Each S reports s<S>_* metrics; the model's table (curve.csv) gives
 * p50/p95 over replications per S, and the trade-off figure draws latency and P(compromise) against S.
 *
 * Real signatures: every image the HSMs sign is a real signature, verified (signer.h).
 *
 * Memory.  Requests live in one array sized before the run (releases are known in advance); queues are FIFO lists
 * threaded through the requests (`next`), so nothing is allocated per image while the kernel runs, except what
 * OpenSSL allocates inside a signature.
 */
#include "models/model.h"
#include "crypto/pki.h"
#include "sim/pool.h"
#include "crypto/sign_job.h"
#include "sim/stats.h"
#include "models/signer.h"
#include "models/signing_risk.h"
#include "models/workhours.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERVERS 1000
#define MAX_CURVE 32
#define YEAR_S (365.0 * 86400.0)

/* ---------------------------------------------------------------------------------------------------------------- */
/* State */

/* What one replication needs for every S: parameters, streams, the PKI and the pool. */
typedef struct {
    /* parameters */
    HnbTime duration, sample;
    uint32_t variants;
    gboolean emergency_enabled, measured;
    HnbSignerParams signer; /* servers set per S */
    const HnbDist *interval, *attack_at, *build, *contact, *install,
        *recovery_time;
    HnbTime release_start;
    uint64_t hnbs;
    double image_bytes, bandwidth, access_link;     /* bytes, bit/s, bit/s */
    double server_rate, person_rate, horizon_s;     /* 1/s, 1/s, s */
    EVP_PKEY **server_keys;  /* per_server and threshold: a key for each server of the largest count; else NULL */
    /* streams */
    HnbStream s_release, s_approval, s_oncall, s_service, s_emergency, s_compromise, s_contact, s_install,
        s_recovery;
    /* crypto */
    HnbPki *pki;
    HnbPool *pool;
    GError *error;
    /* the workload, the same for every S */
    HnbTime *release_at;
    uint32_t nreleases;
    HnbTime attack, submit_emergency; /* HNB_TIME_NEVER: no emergency within the run */
} Ctx;

/* What one S gives. */
typedef struct {
    unsigned servers;
    HnbTally latency;            /* release images: submitted -> signed, h */
    HnbTally release_makespan;   /* per release: submitted -> all V signed, h */
    double approval_wait_h, hsm_wait_h; /* sums over signed images */
    uint64_t signed_images, verified, rejected;
    double hsm_busy_s;
    HnbGauge approval_queue, hsm_queue;
    double first_signed_h, all_signed_h, signing_h; /* emergency, from the attack (signing_h: from submission) */
    double recovered_h, hnb_hours;
    double rate;                 /* compromise rate of any one server or person, 1/s */
    double p_analytic;
    double capacity_after;       /* signing_risk.h: servers still signing while one compromised key is replaced */
    gboolean compromised;
    double first_compromise_d;
} Outcome;

/* One S on one kernel. */
typedef struct {
    Ctx *c;
    Outcome *o;
    HnbSim *sim;
    uint32_t k_release, k_emergency, k_sample;
    HnbSigner *signer;
    uint32_t *release_left; /* per release (and the emergency, last): images not yet signed */
    uint32_t emergency_signed;
    HnbTime emergency_first, emergency_last;
    HnbTime *variant_signed; /* emergency image of each variant */
    /* time series (NULL when not sampled) */
    HnbSeries *series;
    uint64_t signed_since_sample;
    double latency_since_sample;
} Run;

static void submit(Run *r, uint32_t id, uint32_t release, uint32_t variant)
{
    hnb_signer_submit(r->signer, id, release, variant);
}

static void on_release(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Run *r = ud;
    (void)sim;
    for (uint32_t v = 0; v < r->c->variants; v++)
        submit(r, ev->entity * r->c->variants + v, ev->entity, v);
}

static void on_emergency(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Run *r = ud;
    (void)sim;
    (void)ev;
    for (uint32_t v = 0; v < r->c->variants; v++)
        submit(r, r->c->nreleases * r->c->variants + v, HNB_SIGN_EMERGENCY, v);
}

/* The signer signed request id (HnbSignerSigned). */
static void on_signed(void *ctx, uint32_t id)
{
    Run *r = ctx;
    const HnbSignRequest *rq = hnb_signer_request(r->signer, id);
    HnbTime now = rq->signed_at;
    Outcome *o = r->o;
    o->approval_wait_h += hnb_time_to_sec(rq->approved - rq->submitted) / 3600;
    o->hsm_wait_h += hnb_time_to_sec(rq->started - rq->approved) / 3600;
    double lat_h = hnb_time_to_sec(now - rq->submitted) / 3600;
    r->signed_since_sample++;
    r->latency_since_sample += lat_h;
    uint32_t slot = rq->release == HNB_SIGN_EMERGENCY ? r->c->nreleases : rq->release;
    if (rq->release == HNB_SIGN_EMERGENCY) {
        if (r->emergency_signed++ == 0)
            r->emergency_first = now;
        r->emergency_last = now;
        r->variant_signed[rq->variant] = now;
    } else {
        hnb_tally_add(&o->latency, lat_h);
        if (--r->release_left[slot] == 0)
            hnb_tally_add(&o->release_makespan, hnb_time_to_sec(now - r->c->release_at[slot]) / 3600);
    }
}

static void on_sample(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Run *r = ud;
    double per_h = hnb_time_to_sec(r->c->sample) / 3600;
    double row[] = {
        hnb_time_to_sec(ev->time) / 3600,
        hnb_signer_queued(r->signer, FALSE),
        (double)hnb_signer_stats(r->signer)->approving,
        hnb_signer_queued(r->signer, TRUE),
        (double)hnb_signer_busy(r->signer),
        (double)r->signed_since_sample / per_h,
        r->signed_since_sample ? r->latency_since_sample / (double)r->signed_since_sample : NAN,
        (double)r->emergency_signed,
    };
    hnb_series_add_row(r->series, row);
    r->signed_since_sample = 0;
    r->latency_since_sample = 0;
    if (ev->time + r->c->sample <= r->c->duration)
        hnb_sim_schedule(sim, ev->time + r->c->sample, r->k_sample, 0, 0);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Recovery after the fix is signed */

/* Fluid fair sharing: groups (variants) of n HNBs each start at start[v] with `bits` to fetch; every active HNB gets
 * min(link, bandwidth / active).  Active HNBs all get the same rate, so the group that started first always has the
 * least left and groups finish in start order: the loop only ever finishes the head group.  Writes each group's
 * finish time (s) into done[]. */
static void fluid(const double *start, const uint64_t *n, unsigned groups, double bits, double bandwidth, double link,
                  double *done)
{
    unsigned *order = g_new(unsigned, groups);
    double *left = g_new(double, groups);
    for (unsigned v = 0; v < groups; v++)
        order[v] = v;
    for (unsigned i = 1; i < groups; i++) /* insertion sort by start (stable): groups are few */
        for (unsigned k = i; k > 0 && start[order[k]] < start[order[k - 1]]; k--) {
            unsigned x = order[k];
            order[k] = order[k - 1];
            order[k - 1] = x;
        }
    unsigned first = 0, arrived = 0; /* the active groups are order[first .. arrived) */
    uint64_t active = 0;
    double t = groups ? start[order[0]] : 0;
    while (first < groups) {
        for (; arrived < groups && start[order[arrived]] <= t; arrived++) {
            left[order[arrived]] = n[order[arrived]] ? bits : 0;
            active += n[order[arrived]];
        }
        if (first == arrived) { /* idle until the next group */
            t = start[order[arrived]];
            continue;
        }
        double rate = active ? fmin(link, bandwidth / (double)active) : link;
        double to_finish = left[order[first]] / rate, to_arrive = arrived < groups ? start[order[arrived]] - t : INFINITY;
        double dt = fmin(to_finish, to_arrive);
        for (unsigned k = first; k < arrived; k++)
            left[order[k]] = k == first && dt == to_finish ? 0 : left[order[k]] - rate * dt;
        t += dt;
        /* the head, and any group that started with it (same bits left up to rounding) */
        while (first < arrived && left[order[first]] <= bits * 1e-9) {
            done[order[first]] = t;
            active -= n[order[first]];
            first++;
        }
    }
    g_free(order);
    g_free(left);
}

static void recovery(Run *r)
{
    Ctx *c = r->c;
    Outcome *o = r->o;
    unsigned V = c->variants;
    if (r->emergency_signed < V) {
        o->recovered_h = o->hnb_hours = NAN;
        return;
    }
    double attack = hnb_time_to_sec(c->attack);
    double *start = g_new(double, V), *done = g_new(double, V);
    uint64_t *n = g_new(uint64_t, V);
    for (unsigned v = 0; v < V; v++)
        n[v] = c->hnbs / V + (v < c->hnbs % V); /* an even split; the first variants take the remainder */
    if (c->measured) {
        for (unsigned v = 0; v < V; v++) {
            HnbRng g = hnb_rng_at(c->s_recovery, v, 0);
            done[v] = hnb_time_to_sec(r->variant_signed[v] + hnb_dist_sample_time(c->recovery_time, &g));
        }
    } else {
        for (unsigned v = 0; v < V; v++) {
            HnbRng g = hnb_rng_at(c->s_contact, v, 0);
            start[v] = hnb_time_to_sec(r->variant_signed[v] + hnb_dist_sample_time(c->contact, &g));
        }
        fluid(start, n, V, c->image_bytes * 8, c->bandwidth, c->access_link, done);
        for (unsigned v = 0; v < V; v++) {
            HnbRng g = hnb_rng_at(c->s_install, v, 0);
            done[v] += hnb_time_to_sec(hnb_dist_sample_time(c->install, &g));
        }
    }
    double last = -INFINITY, hours = 0;
    for (unsigned v = 0; v < V; v++)
        if (n[v] > 0) { /* a variant without HNBs recovers nobody */
            last = fmax(last, done[v]);
            hours += (double)n[v] * (done[v] - attack) / 3600;
        }
    o->recovered_h = isfinite(last) ? (last - attack) / 3600 : NAN;
    o->hnb_hours = hours;
    g_free(start);
    g_free(done);
    g_free(n);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Exposure */

static HnbSigningRisk risk_of(const Ctx *c, unsigned S)
{
    return (HnbSigningRisk){.servers = S, .approvers = c->signer.approvers, .quorum = c->signer.quorum,
                            .keys = c->signer.keys, .threshold = c->signer.threshold};
}

static void exposure(const Ctx *c, unsigned S, Outcome *o)
{
    uint32_t approvers = c->signer.approvers;
    HnbSigningRisk risk = risk_of(c, S);
    o->rate = S * (c->server_rate + approvers * c->person_rate);
    o->p_analytic = hnb_signing_p_analytic(&risk, c->server_rate, c->person_rate, c->horizon_s);
    o->capacity_after = hnb_signing_capacity_after(&risk);
    double *host = g_new(double, S), *person = g_new(double, (size_t)S * approvers + 1);
    for (unsigned j = 0; j < S; j++)
        for (unsigned a = 0; a <= approvers; a++) { /* a == 0: the server itself; 1..A: its people */
            double rate = a == 0 ? c->server_rate : c->person_rate;
            double t = rate > 0 ? hnb_exp_from_uniform(1 / rate, hnb_rng_uniform(c->s_compromise, j, a)) : INFINITY;
            if (a == 0)
                host[j] = t;
            else
                person[(size_t)j * approvers + a - 1] = t;
        }
    double first = hnb_signing_first_time(&risk, host, person);
    g_free(host);
    g_free(person);
    o->compromised = first <= c->horizon_s;
    o->first_compromise_d = o->compromised ? first / 86400 : NAN;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* One S */

static void simulate(Ctx *c, unsigned S, Outcome *o, HnbSeries *series, HnbProgress *progress)
{
    Run r = {.c = c, .o = o, .series = series, .emergency_first = HNB_TIME_NEVER};
    *o = (Outcome){.servers = S};
    hnb_tally_init(&o->latency);
    hnb_tally_init(&o->release_makespan);
    r.sim = hnb_sim_new();
    r.k_release = hnb_sim_register(r.sim, "signing.release", on_release, &r);
    r.k_emergency = hnb_sim_register(r.sim, "signing.emergency", on_emergency, &r);
    HnbSignerParams sp = c->signer;
    sp.servers = S;
    sp.server_keys = c->server_keys;
    HnbSignerStreams ss = {.approval = c->s_approval, .oncall = c->s_oncall, .service = c->s_service};
    r.signer = hnb_signer_new(r.sim, &sp, ss, c->pool, c->pki, (c->nreleases + 1) * c->variants, on_signed, &r);
    r.k_sample = hnb_sim_register(r.sim, "signing.sample", on_sample, &r);
    r.release_left = g_new(uint32_t, c->nreleases + 1);
    for (uint32_t k = 0; k <= c->nreleases; k++)
        r.release_left[k] = c->variants;
    r.variant_signed = g_new(HnbTime, c->variants);

    for (uint32_t k = 0; k < c->nreleases; k++)
        hnb_sim_schedule(r.sim, c->release_at[k], r.k_release, k, 0);
    if (c->submit_emergency != HNB_TIME_NEVER)
        hnb_sim_schedule(r.sim, c->submit_emergency, r.k_emergency, 0, 0);
    if (series && c->sample <= c->duration)
        hnb_sim_schedule(r.sim, c->sample, r.k_sample, 0, 0);
    hnb_model_run_kernel(r.sim, c->duration, progress);

    const HnbSignerStats *st = hnb_signer_stats(r.signer);
    o->signed_images = st->signed_images;
    o->verified = st->verified;
    o->rejected = st->rejected;
    o->hsm_busy_s = st->hsm_busy_s;
    o->approval_queue = st->approval_queue;
    o->hsm_queue = st->hsm_queue;
    GError *err = hnb_signer_take_error(r.signer);
    if (err && !c->error)
        c->error = err;
    else
        g_clear_error(&err);
    hnb_signer_free(r.signer); /* joins the images still at an HSM before the pool is reused */
    double attack = hnb_time_to_sec(c->attack);
    gboolean all = c->attack != HNB_TIME_NEVER && r.emergency_signed == c->variants;
    o->first_signed_h = r.emergency_signed ? (hnb_time_to_sec(r.emergency_first) - attack) / 3600 : NAN;
    o->all_signed_h = all ? (hnb_time_to_sec(r.emergency_last) - attack) / 3600 : NAN;
    o->signing_h = all ? hnb_time_to_sec(r.emergency_last - c->submit_emergency) / 3600 : NAN;
    if (c->attack != HNB_TIME_NEVER)
        recovery(&r);
    else
        o->recovered_h = o->hnb_hours = NAN;
    exposure(c, S, o);
    g_free(r.variant_signed);
    g_free(r.release_left);
    hnb_sim_free(r.sim);
}

static void outcome_clear(Outcome *o)
{
    hnb_tally_clear(&o->latency);
    hnb_tally_clear(&o->release_makespan);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Scenario */

/* "1 2 3 4 6 8" -> strictly increasing server counts; "none" -> no curve (a file cannot write an empty value);
 * FALSE with a message when malformed. */
static gboolean parse_curve(const char *text, unsigned *out, unsigned *n, GError **error)
{
    *n = 0;
    if (strcmp(text, "none") == 0)
        return TRUE;
    g_auto(GStrv) items = g_strsplit_set(text, " \t,", -1);
    for (char **it = items; *it; it++) {
        if (**it == '\0')
            continue;
        char *end;
        guint64 v = g_ascii_strtoull(*it, &end, 10);
        if (*end != '\0' || v < 1 || v > MAX_SERVERS || *n == MAX_CURVE || (*n > 0 && v <= out[*n - 1])) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                        "\"%s\": expected up to %d increasing server counts in 1..%d separated by spaces "
                        "(e.g. 1 2 3 4 6 8), or none", text, MAX_CURVE, MAX_SERVERS);
            return FALSE;
        }
        out[(*n)++] = (unsigned)v;
    }
    return TRUE;
}

static gboolean validate(const HnbScenario *sc, GError **error)
{
    HnbWorkHours wh;
    unsigned curve[MAX_CURVE], n;
    if (!hnb_workhours_parse(&wh, hnb_scenario_string(sc, "approval", "hours"), TRUE, error)) {
        g_prefix_error(error, "%s: [approval] hours = ", hnb_scenario_source(sc));
        return FALSE;
    }
    if (!parse_curve(hnb_scenario_string(sc, "signing", "servers_curve"), curve, &n, error)) {
        g_prefix_error(error, "%s: [signing] servers_curve = ", hnb_scenario_source(sc));
        return FALSE;
    }
    HnbSignerParams sp;
    if (!hnb_signer_params_from_scenario(&sp, sc, error))
        return FALSE;
    if (n > 0 && curve[0] < sp.threshold) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [signing] servers_curve = \"%s\": %u server(s) cannot make the %u shares of [signing] keys = "
                    "%s; start the curve at %u", hnb_scenario_source(sc),
                    hnb_scenario_string(sc, "signing", "servers_curve"), curve[0], sp.threshold,
                    hnb_scenario_string(sc, "signing", "keys"), sp.threshold);
        return FALSE;
    }
    /* releases are laid out before the run: a zero mean gap would never end, and a huge count would not fit */
    double gap = hnb_dist_mean(hnb_scenario_dist(sc, "release", "interval"));
    double images = hnb_time_to_sec(hnb_scenario_time(sc, "scenario", "duration")) / (gap / 1e9) *
                    (double)hnb_scenario_int(sc, "signing", "variants");
    if (!(gap > 0) || images > 5e7) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [release] interval = \"%s\": expected a mean gap above 0 that gives at most 5e7 release "
                    "images over [scenario] duration (this gives %.3g)", hnb_scenario_source(sc),
                    hnb_scenario_text(sc, "release", "interval"), gap > 0 ? images : INFINITY);
        return FALSE;
    }
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    gboolean ok = hnb_pki_params_from_scenario(&pp, sc, error);
    hnb_pki_params_clear(&pp);
    return ok;
}

static void ctx_init(Ctx *c, const HnbScenario *sc, guint rep)
{
    uint64_t seed = (uint64_t)hnb_scenario_int(sc, "scenario", "seed");
    *c = (Ctx){
        .duration = hnb_scenario_time(sc, "scenario", "duration"),
        .sample = hnb_model_sample_interval(sc),
        .variants = (uint32_t)hnb_scenario_int(sc, "signing", "variants"),
        .emergency_enabled = hnb_scenario_bool(sc, "emergency", "enabled"),
        .measured = strcmp(hnb_scenario_string(sc, "recovery", "mode"), "measured") == 0,
        .interval = hnb_scenario_dist(sc, "release", "interval"),
        .attack_at = hnb_scenario_dist(sc, "emergency", "at"),
        .build = hnb_scenario_dist(sc, "emergency", "build"),
        .contact = hnb_scenario_dist(sc, "recovery", "contact"),
        .install = hnb_scenario_dist(sc, "recovery", "install"),
        .recovery_time = hnb_scenario_dist(sc, "recovery", "time"),
        .release_start = hnb_scenario_time(sc, "release", "start"),
        .hnbs = (uint64_t)hnb_scenario_int(sc, "recovery", "hnbs"),
        .image_bytes = hnb_scenario_number(sc, "recovery", "image_size"),
        .bandwidth = hnb_scenario_number(sc, "recovery", "bandwidth"),
        .access_link = hnb_scenario_number(sc, "recovery", "access_link"),
        .server_rate = hnb_scenario_number(sc, "exposure", "server_rate"),
        .person_rate = hnb_scenario_number(sc, "exposure", "person_rate"),
        .horizon_s = hnb_time_to_sec(hnb_scenario_time(sc, "exposure", "horizon")),
        .s_release = hnb_stream(seed, rep, "signing.release"),
        .s_approval = hnb_stream(seed, rep, "signing.approval"),
        .s_oncall = hnb_stream(seed, rep, "signing.oncall"),
        .s_service = hnb_stream(seed, rep, "signing.service"),
        .s_emergency = hnb_stream(seed, rep, "signing.emergency"),
        .s_compromise = hnb_stream(seed, rep, "signing.compromise"),
        .s_contact = hnb_stream(seed, rep, "recovery.contact"),
        .s_install = hnb_stream(seed, rep, "recovery.install"),
        .s_recovery = hnb_stream(seed, rep, "recovery.time"),
    };
    (void)hnb_signer_params_from_scenario(&c->signer, sc, NULL); /* validated at load */
    c->signer.image_bytes = (uint64_t)c->image_bytes;

    /* the releases: start, then interval draws (release k's gap is draw k of "signing.release"); a zero gap is
     * possible with some laws and is kept (two campaigns at once) */
    GArray *at = g_array_new(FALSE, FALSE, sizeof(HnbTime));
    for (HnbTime t = c->release_start; t < c->duration;) {
        g_array_append_val(at, t);
        HnbRng g = hnb_rng_at(c->s_release, at->len - 1, 0);
        HnbTime gap = hnb_dist_sample_time(c->interval, &g);
        if (gap > c->duration - t)
            break;
        t += gap;
    }
    c->nreleases = at->len;
    c->release_at = (HnbTime *)(void *)g_array_free(at, FALSE);

    c->attack = c->submit_emergency = HNB_TIME_NEVER;
    if (c->emergency_enabled) {
        HnbRng g = hnb_rng_at(c->s_emergency, 0, 0);
        HnbTime attack = hnb_dist_sample_time(c->attack_at, &g);
        g = hnb_rng_at(c->s_emergency, 1, 0);
        HnbTime build = hnb_dist_sample_time(c->build, &g);
        if (attack < c->duration) {
            c->attack = attack;
            if (build < c->duration - attack)
                c->submit_emergency = attack + build;
        }
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Metrics */

static double mean_or_nan(const HnbTally *t) { return t->n ? t->mean : NAN; }

static void metrics(const Ctx *c, const Outcome *o, HnbMetrics *m)
{
    double dur = hnb_time_to_sec(c->duration);
    hnb_metrics_add(m, "servers", "servers", o->servers, "signing servers ([signing] servers)");
    hnb_metrics_add(m, "releases", "releases", c->nreleases, "release campaigns in the run");
    hnb_metrics_add(m, "images_signed", "images", (double)o->signed_images, "images the HSMs signed");
    hnb_metrics_add(m, "signatures_verified", "images", (double)o->verified,
                    "real signatures that verified against the verification certificate");
    hnb_metrics_add(m, "signatures_rejected", "images", (double)o->rejected,
                    "real signatures that did not verify (0 unless something is broken)");
    hnb_metrics_add(m, "release_latency_mean_h", "h", mean_or_nan(&o->latency),
                    "release image: submitted -> signed, mean");
    hnb_metrics_add(m, "release_latency_p95_h", "h", hnb_tally_quantile(&o->latency, 0.95),
                    "release image: submitted -> signed, 95th percentile");
    hnb_metrics_add(m, "release_all_signed_mean_h", "h", mean_or_nan(&o->release_makespan),
                    "release campaign: submitted -> all variants signed, mean");
    hnb_metrics_add(m, "approval_wait_mean_h", "h", o->signed_images ? o->approval_wait_h / o->signed_images : NAN,
                    "submitted -> approved, mean over signed images");
    hnb_metrics_add(m, "hsm_wait_mean_h", "h", o->signed_images ? o->hsm_wait_h / o->signed_images : NAN,
                    "approved -> HSM starts, mean over signed images");
    hnb_metrics_add(m, "hsm_utilisation", "", o->hsm_busy_s / (dur * o->servers),
                    "HSM busy time / (servers x duration)");
    hnb_metrics_add(m, "approval_queue_mean", "images", hnb_gauge_mean(&o->approval_queue, c->duration),
                    "time-average images waiting for approvers (shares of images with threshold:K)");
    hnb_metrics_add(m, "approval_queue_max", "images", o->approval_queue.max,
                    "most images waiting for approvers (shares with threshold:K)");
    hnb_metrics_add(m, "attack_at_h", "h", c->attack != HNB_TIME_NEVER ? hnb_time_to_sec(c->attack) / 3600 : NAN,
                    "the mass rewrite (t = 0 is Monday 00:00)");
    hnb_metrics_add(m, "emergency_first_signed_h", "h", o->first_signed_h, "attack -> first fixed image signed");
    hnb_metrics_add(m, "emergency_all_signed_h", "h", o->all_signed_h, "attack -> fixed images of all variants signed");
    hnb_metrics_add(m, "emergency_signing_h", "h", o->signing_h,
                    "fixed images submitted -> all signed (the signing servers' share of the critical path)");
    hnb_metrics_add(m, "fleet_recovered_h", "h", o->recovered_h, "attack -> every HNB back in service");
    hnb_metrics_add(m, "recovery_hnb_hours", "HNB-h", o->hnb_hours, "HNB-hours out of service from the attack");
    hnb_metrics_add(m, "compromise_rate_per_y", "1/y", o->rate * YEAR_S,
                    "rate at which some server or person with signing rights is compromised: servers x (server rate "
                    "+ approvers x person rate); the key's compromise rate with quorum 1 and keys = shared or "
                    "per_server (a quorum or a threshold needs more than one)");
    hnb_metrics_add(m, "p_compromise", "", o->p_analytic,
                    "P(the attacker can make a signature the HNBs accept within the horizon), analytic: a server's "
                    "host or [approval] quorum of its people make it sign, and a signature needs threshold:K servers "
                    "(else one); with quorum 1 and one share, 1 - exp(-compromise rate x horizon)");
    hnb_metrics_add(m, "key_compromised", "", o->compromised,
                    "1 if the attacker could sign within the horizon in this replication (simulated from the servers' "
                    "and people's compromise draws; the mean over replications estimates p_compromise)");
    hnb_metrics_add(m, "capacity_after_compromise", "", o->capacity_after,
                    "share of the servers still making accepted signatures while one compromised server's key is "
                    "replaced: 0 with a shared key, (S-1)/S per server, and with threshold:K (S-1)/S while S-1 >= K");
}

static void curve_metrics(const Outcome *o, HnbMetrics *m)
{
    static const struct {
        const char *suffix, *unit, *doc;
        size_t offset;
    } cols[] = {
        {"first_signed_h", "h", "attack -> first fixed image signed", G_STRUCT_OFFSET(Outcome, first_signed_h)},
        {"all_signed_h", "h", "attack -> all variants signed", G_STRUCT_OFFSET(Outcome, all_signed_h)},
        {"fleet_recovered_h", "h", "attack -> fleet recovered", G_STRUCT_OFFSET(Outcome, recovered_h)},
        {"p_compromise", "", "P(key compromise within the horizon), analytic", G_STRUCT_OFFSET(Outcome, p_analytic)},
    };
    for (size_t k = 0; k < G_N_ELEMENTS(cols); k++) {
        char name[64], doc[160];
        g_snprintf(name, sizeof name, "s%u_%s", o->servers, cols[k].suffix);
        g_snprintf(doc, sizeof doc, "with %u server(s): %s", o->servers, cols[k].doc);
        hnb_metrics_add(m, name, cols[k].unit, *(const double *)(const void *)((const char *)o + cols[k].offset), doc);
    }
    char name[64], doc[160];
    g_snprintf(name, sizeof name, "s%u_release_all_signed_h", o->servers);
    g_snprintf(doc, sizeof doc, "with %u server(s): release campaign submitted -> all signed, mean", o->servers);
    hnb_metrics_add(m, name, "h", mean_or_nan(&o->release_makespan), doc);
    g_snprintf(name, sizeof name, "s%u_key_compromised", o->servers);
    g_snprintf(doc, sizeof doc, "with %u server(s): key compromised within the horizon (simulated, 0/1)", o->servers);
    hnb_metrics_add(m, name, "", o->compromised, doc);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* One replication */

static gboolean run(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbMetrics *out, HnbSeries **series,
                    HnbSeries **cdf, GError **error)
{
    static const char *const cols[] = {"time_h",    "approval_queue", "approving",      "hsm_queue",
                                       "hsm_busy",  "signed_per_h",   "latency_mean_h", "emergency_signed"};
    static const char *const units[] = {"h", "images", "approvers", "images", "HSMs", "images/h", "h", "images"};
    (void)cdf;
    Ctx c;
    ctx_init(&c, sc, rep);
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    gboolean ok = hnb_pki_params_from_scenario(&pp, sc, error) && (c.pki = hnb_pki_new(&pp, error)) != NULL;
    hnb_pki_params_clear(&pp);
    if (!ok) {
        g_free(c.release_at);
        return FALSE;
    }
    unsigned curve[MAX_CURVE], ncurve = 0;
    (void)parse_curve(hnb_scenario_string(sc, "signing", "servers_curve"), curve, &ncurve, NULL);
    unsigned servers = (unsigned)hnb_scenario_int(sc, "signing", "servers"), most = servers;
    for (unsigned k = 0; k < ncurve; k++)
        most = MAX(most, curve[k]);
    if (c.signer.keys != HNB_SIGNING_KEYS_SHARED) { /* each server's own key, cached on disk by the PKI */
        c.server_keys = g_new0(EVP_PKEY *, most);
        for (unsigned j = 0; j < most; j++) {
            char name[32];
            g_snprintf(name, sizeof name, "signing-server-%u", j);
            if (!(c.server_keys[j] = hnb_pki_key(c.pki, name, HNB_PKI_KEY_EC_P256, error))) {
                g_free(c.server_keys);
                hnb_pki_free(c.pki);
                g_free(c.release_at);
                return FALSE;
            }
        }
    }
    /* batches of one: at most S signatures are in flight, and a batch that waits to fill would only run at its join */
    c.pool = hnb_pool_new(progress ? progress->pool_threads : 0, 1, NULL, NULL, NULL);

    Outcome o;
    *series = hnb_series_new(G_N_ELEMENTS(cols), cols, units);
    simulate(&c, servers, &o, *series, progress);
    metrics(&c, &o, out);
    outcome_clear(&o);
    for (unsigned k = 0; k < ncurve; k++) {
        simulate(&c, curve[k], &o, NULL, NULL);
        curve_metrics(&o, out);
        outcome_clear(&o);
    }
    hnb_pool_free(c.pool);
    g_free(c.server_keys); /* the keys are the PKI's */
    hnb_pki_free(c.pki);
    g_free(c.release_at);
    if (c.error) {
        g_propagate_prefixed_error(error, c.error, "signing an image: ");
        return FALSE;
    }
    return TRUE;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The curve over S, across replications */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double metric(const HnbMetrics *m, const char *name)
{
    for (guint i = 0; i < m->items->len; i++)
        if (strcmp(g_array_index(m->items, HnbMetric, i).name, name) == 0)
            return g_array_index(m->items, HnbMetric, i).value;
    g_return_val_if_reached(NAN);
}

/* Nearest-rank quantile of one metric over replications; a NaN (the emergency not done by the end of the run) ranks
 * above every value, and a quantile that falls on one is NaN: not reached within the run. */
static double quantile(HnbMetrics *const *reps, guint nreps, const char *name, double q, double *buf)
{
    for (guint r = 0; r < nreps; r++) {
        double v = metric(reps[r], name);
        buf[r] = isnan(v) ? INFINITY : v;
    }
    qsort(buf, nreps, sizeof *buf, cmp_double);
    guint rank = (guint)ceil(q * nreps);
    double v = buf[(rank > 0 ? rank : 1) - 1];
    return isfinite(v) ? v : NAN;
}

static HnbSeries *table(const HnbScenario *sc, HnbMetrics *const *reps, guint nreps)
{
    static const char *const cols[] = {
        "servers",          "first_signed_p50_h",   "first_signed_p95_h",    "all_signed_p50_h",
        "all_signed_p95_h", "fleet_recovered_p50_h", "fleet_recovered_p95_h", "release_all_signed_mean_h",
        "p_compromise",     "p_compromise_sim",      "p_compromise_sim_ci95"};
    static const char *const units[] = {"servers", "h", "h", "h", "h", "h", "h", "h", "", "", ""};
    HnbSeries *t = hnb_series_new(G_N_ELEMENTS(cols), cols, units);
    unsigned curve[MAX_CURVE], n = 0;
    (void)parse_curve(hnb_scenario_string(sc, "signing", "servers_curve"), curve, &n, NULL);
    double *buf = g_new(double, nreps);
    for (unsigned k = 0; k < n; k++) {
        char name[64];
#define M(suffix) (g_snprintf(name, sizeof name, "s%u_" suffix, curve[k]), name)
        double row[G_N_ELEMENTS(cols)] = {curve[k]};
        row[1] = quantile(reps, nreps, M("first_signed_h"), 0.50, buf);
        row[2] = quantile(reps, nreps, M("first_signed_h"), 0.95, buf);
        row[3] = quantile(reps, nreps, M("all_signed_h"), 0.50, buf);
        row[4] = quantile(reps, nreps, M("all_signed_h"), 0.95, buf);
        row[5] = quantile(reps, nreps, M("fleet_recovered_h"), 0.50, buf);
        row[6] = quantile(reps, nreps, M("fleet_recovered_h"), 0.95, buf);
        double sum = 0;
        guint defined = 0;
        for (guint r = 0; r < nreps; r++) {
            double v = metric(reps[r], M("release_all_signed_h"));
            if (!isnan(v)) {
                sum += v;
                defined++;
            }
        }
        row[7] = defined ? sum / defined : NAN;
        row[8] = metric(reps[0], M("p_compromise"));
        for (guint r = 0; r < nreps; r++)
            buf[r] = metric(reps[r], M("key_compromised"));
#undef M
        hnb_ci95(buf, nreps, &row[9], &row[10]);
        hnb_series_add_row(t, row);
    }
    g_free(buf);
    return t;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Tables */

static const HnbKeySpec schema[] = {
    {"signing", "servers_curve", HNB_KEY_STRING, 0, "1 2 3 4 6 8", NULL, NULL, NULL,
     "server counts each replication also runs on the same random numbers, for the latency/exposure trade-off "
     "(curve.csv, figures/tradeoff); increasing, up to 32 values; none: no curve"},
    {"release", "start", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "10h", "0s", "3650d", NULL,
     "first release campaign (10h: Monday 10:00)"},
    {"release", "interval", HNB_KEY_DIST, HNB_UNIT_DURATION, "14d", NULL, NULL, NULL,
     "time between release campaigns (a distribution: exp(...) gives Poisson campaigns)"},
    {"emergency", "enabled", HNB_KEY_BOOL, 0, "true", NULL, NULL, NULL,
     "a mass rewrite happens and needs a fixed image signed for every variant"},
    {"emergency", "at", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(7d,14d)", NULL, NULL, NULL,
     "t_attack, one draw per replication (t = 0 is Monday 00:00; 4d17h is a Friday 17:00)"},
    {"emergency", "build", HNB_KEY_DIST, HNB_UNIT_DURATION, "lognormal(6h,0.5)", NULL, NULL, NULL,
     "attack -> fixed images built and submitted for signing (all variants at once)"},
    {"recovery", "mode", HNB_KEY_ENUM, 0, "bandwidth", NULL, NULL, "bandwidth|measured",
     "bandwidth: HNBs download the fixed image from a shared image server; measured: [recovery] time per variant"},
    {"recovery", "hnbs", HNB_KEY_INT, 0, "10000", "0", "1000000000", NULL,
     "HNBs to recover, split evenly over the variants"},
    {"recovery", "image_size", HNB_KEY_NUMBER, HNB_UNIT_SIZE, "50MB", "1kB", "100GB", NULL, "the fixed image"},
    {"recovery", "bandwidth", HNB_KEY_NUMBER, HNB_UNIT_BITRATE, "10Gbps", "1kbps", "100Tbps", NULL,
     "image server bandwidth, shared equally by the HNBs downloading"},
    {"recovery", "access_link", HNB_KEY_NUMBER, HNB_UNIT_BITRATE, "20Mbps", "1kbps", "100Gbps", NULL,
     "each HNB's access link, which caps its download"},
    {"recovery", "contact", HNB_KEY_DIST, HNB_UNIT_DURATION, "30m", NULL, NULL, NULL,
     "image signed -> that variant's HNBs start downloading (H(e)MS campaign set-up, the HNBs' next session)"},
    {"recovery", "install", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(90s,210s)", NULL, NULL, NULL,
     "download done -> back in service (verify, write, reboot, secure boot)"},
    {"recovery", "time", HNB_KEY_DIST, HNB_UNIT_DURATION, "lognormal(1h,0.5)", NULL, NULL, NULL,
     "mode = measured: image signed -> that variant's HNBs all back in service"},
    {"exposure", "server_rate", HNB_KEY_NUMBER, HNB_UNIT_RATE, "0.02/y", "0/s", NULL, NULL,
     "compromise rate of one signing server (its host, HSM access and site)"},
    {"exposure", "person_rate", HNB_KEY_NUMBER, HNB_UNIT_RATE, "0.01/y", "0/s", NULL, NULL,
     "compromise rate of one person with signing rights (coercion, credential theft, insider)"},
    {"exposure", "horizon", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "365d", "1s", "36500d", NULL,
     "period over which P(signing-key compromise) is reported"},
    HNB_KEY_END,
};

static const HnbFigure figures[] = {
    {"queue", "Images waiting for an approver and for an HSM", "images", "approval_queue hsm_queue", FALSE},
    {"busy", "Approvers and HSMs at work", "count", "approving hsm_busy", FALSE},
    {"latency", "Mean signing latency of the images signed in each interval", "h", "latency_mean_h", FALSE},
    {"emergency", "Fixed images signed after the mass rewrite", "images", "emergency_signed", FALSE},
};

static const HnbTableFigure table_figures[] = {
    {"tradeoff", "Signing servers: emergency-patch latency (p50/p95 over replications) vs signing-key exposure",
     "servers", "signing servers S",
     "all_signed_p50_h all_signed_p95_h fleet_recovered_p50_h fleet_recovered_p95_h release_all_signed_mean_h",
     "h from the attack (release: from submission)", "p_compromise p_compromise_sim:p_compromise_sim_ci95",
     "P(signing-key compromise within the horizon)"},
};

static const HnbCompareFigure compare_figures[] = {
    {"approval-queue", "Images waiting for an approver", "time (h)", "images", HNB_COMPARE_SERIES,
     "approval_queue", FALSE, NULL, FALSE},
    {"emergency-signed", "Fixed images signed after the mass rewrite", "time (h)", "images", HNB_COMPARE_SERIES,
     "emergency_signed", FALSE, NULL, FALSE},
    {"all-signed", "Attack -> all fixed images signed", NULL, "h", HNB_COMPARE_BAR, "emergency_all_signed_h", FALSE,
     NULL, FALSE},
    {"recovered", "Attack -> fleet recovered", NULL, "h", HNB_COMPARE_BAR, "fleet_recovered_h", FALSE, NULL, FALSE},
    {"compromise", "P(signing-key compromise within the horizon)", NULL, "", HNB_COMPARE_BAR, "p_compromise", FALSE,
     NULL, FALSE},
    /* faster and safer is down and to the left: each design's curve over S, labelled by S */
    {"frontier", "Emergency patch latency against P(the attacker can sign), each design over the number of servers",
     "P(the attacker can sign within the horizon), analytic", "attack -> all variants signed, median (h)",
     HNB_COMPARE_TABLE, "p_compromise:all_signed_p50_h", FALSE, "curve.csv", TRUE},
};

static const HnbKeySpec *const shared_schemas[] = {hnb_signer_schema, hnb_pki_schema, NULL};

const HnbModel hnb_model_signing = {
    .name = "signing",
    .doc = "signing servers: release campaigns and the emergency fix after a mass rewrite; latency vs key exposure "
           "over the number of servers",
    .schema = schema,
    .more_schemas = shared_schemas,
    .figures = figures,
    .nfigures = G_N_ELEMENTS(figures),
    .run = run,
    .validate = validate,
    .compare_figures = compare_figures,
    .ncompare_figures = G_N_ELEMENTS(compare_figures),
    .table = table,
    .table_file = "curve.csv",
    .table_figures = table_figures,
    .ntable_figures = G_N_ELEMENTS(table_figures),
};
