/* models/signing.c — signing servers: release campaigns, the emergency fix after a mass rewrite, and the exposure of
 * the signing key (the seed's third doubt: fewer signing servers are safer, more are faster).
 *
 * Flow of one image.  Each release (and the emergency fix) needs one signed image per HNB variant (V of them).  An
 * image is submitted to the server with the fewest images outstanding (ties: the lowest index), waits there for one
 * of the server's approvers (people with signing rights; each approves one image at a time, taking
 * [approval] delay of WORKING time — see workhours.h), then for the server's HSM, which signs one image at a time in
 * [signing] service.  Emergency images go ahead of release images in both queues (not pre-emptive).  With
 * [approval] emergency = oncall, an emergency approval takes oncall_delay of calendar time instead.
 *
 * Critical path of recovery.  At t_attack ([emergency] at) the fleet has been rewritten; the fixed images are ready
 * [emergency] build later and submitted.  Reported: attack -> first signed image, -> all V signed, -> fleet recovered.
 * The recovery stage is a fluid model: the N HNBs split evenly over the variants; variant v's HNBs start downloading
 * when its image is signed plus [recovery] contact, share the image server's bandwidth equally (each capped by its
 * access link), and are back in service [recovery] install after their download.  With mode = measured the stage is
 * a distribution instead (e.g. the fleet model's time to recover, given an image).
 *
 * Exposure.  Every server and every person with signing rights (approvers per server) adds a compromise rate.  The
 * key's compromise probability over [exposure] horizon is 1 - exp(-(S·server_rate + S·A·person_rate)·horizon) (the
 * analytic value, stated as such) and, independently, is counted: server j's compromise time is an exponential draw
 * of ("signing.compromise", j, 0), approver a's of (j, 1 + a); a replication counts a compromise when the earliest of
 * the S servers' draws lies within the horizon.
 *
 * The curve over S.  [signing] servers_curve lists server counts that one replication runs one after the other on
 * the same streams (common random numbers): an image's draws are keyed by its id (release · V + variant), a server's
 * and person's by their index, so S and S' see the same releases, the same work and the same attacker, and the
 * differences are the server counts' own.  Each S reports s<S>_* metrics; the model's table (curve.csv) gives
 * p50/p95 over replications per S, and the trade-off figure draws latency and P(compromise) against S.
 *
 * Real signatures.  Every image the HSM signs is a real ECDSA/RSA-PSS signature over its manifest with the PKI's
 * software-signing key, verified against the verification certificate (sign_job.c), run in the worker pool
 * between the HSM's start and end events.  Simulated time is the modelled service time, never the machine's.
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
#include "models/workhours.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define MAX_SERVERS 1000
#define MAX_CURVE 32
#define YEAR_S (365.0 * 86400.0)

/* ---------------------------------------------------------------------------------------------------------------- */
/* State */

typedef struct {
    uint32_t next;     /* next in its queue, or NONE */
    uint32_t release;  /* or HNB_SIGN_EMERGENCY */
    uint32_t variant;
    uint32_t server;
    HnbTime submitted, approved, started, signed_at;
} Request;

typedef struct {
    uint32_t head, tail, len;
} Fifo;

typedef struct {
    Fifo approval[2], hsm[2]; /* [0] emergency, [1] release */
    uint32_t approvers_free;
    uint32_t outstanding; /* submitted, not yet signed */
    gboolean busy;
    uint32_t in_service;
    HnbSignJob job;
    uint64_t ticket;
} Server;

/* What one replication needs for every S: parameters, streams, the PKI and the pool. */
typedef struct {
    /* parameters */
    HnbTime duration, sample;
    uint32_t variants, approvers;
    gboolean approval_required, oncall, emergency_first, emergency_enabled, measured;
    const HnbDist *service, *approval_delay, *oncall_delay, *interval, *attack_at, *build, *contact, *install,
        *recovery_time;
    HnbWorkHours hours;
    HnbTime release_start;
    uint64_t hnbs;
    double image_bytes, bandwidth, access_link;     /* bytes, bit/s, bit/s */
    double server_rate, person_rate, horizon_s;     /* 1/s, 1/s, s */
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
    double rate;                 /* compromise rate, 1/s */
    double p_analytic;
    gboolean compromised;
    double first_compromise_d;
} Outcome;

/* One S on one kernel. */
typedef struct {
    Ctx *c;
    Outcome *o;
    HnbSim *sim;
    uint32_t k_release, k_emergency, k_approved, k_signed, k_sample;
    Request *req;
    uint32_t nreq;
    Server *srv;
    unsigned nsrv;
    uint32_t *release_left; /* per release (and the emergency, last): images not yet signed */
    uint32_t emergency_signed;
    HnbTime emergency_first, emergency_last;
    HnbTime *variant_signed; /* emergency image of each variant */
    /* time series (NULL when not sampled) */
    HnbSeries *series;
    uint32_t approving;
    uint64_t signed_since_sample;
    double latency_since_sample;
} Run;

static void fifo_push(Run *r, Fifo *q, uint32_t id)
{
    r->req[id].next = NONE;
    if (q->len++ == 0)
        q->head = id;
    else
        r->req[q->tail].next = id;
    q->tail = id;
}

static uint32_t fifo_pop(Run *r, Fifo *q)
{
    uint32_t id = q->head;
    q->head = r->req[id].next;
    q->len--;
    return id;
}

/* The class to serve next: emergency first if so configured, else the older head. */
static Fifo *pick(Run *r, Fifo q[2])
{
    if (q[0].len == 0)
        return q[1].len ? &q[1] : NULL;
    if (q[1].len == 0 || r->c->emergency_first)
        return &q[0];
    return r->req[q[0].head].submitted <= r->req[q[1].head].submitted ? &q[0] : &q[1];
}

static double queued(const Run *r, gboolean hsm)
{
    uint64_t n = 0;
    for (unsigned j = 0; j < r->nsrv; j++)
        n += hsm ? r->srv[j].hsm[0].len + r->srv[j].hsm[1].len : r->srv[j].approval[0].len + r->srv[j].approval[1].len;
    return (double)n;
}

static void try_sign(Run *r, uint32_t j)
{
    Server *s = &r->srv[j];
    Fifo *q = s->busy ? NULL : pick(r, s->hsm);
    if (q == NULL)
        return;
    HnbTime now = hnb_sim_now(r->sim);
    uint32_t id = fifo_pop(r, q);
    hnb_gauge_set(&r->o->hsm_queue, now, queued(r, TRUE));
    Request *rq = &r->req[id];
    rq->started = now;
    s->busy = TRUE;
    s->in_service = id;
    const HnbPkiCred *cred = hnb_pki_signing(r->c->pki);
    hnb_sign_job_init(&s->job, cred->key, cred->cert, rq->release, rq->variant, (uint64_t)r->c->image_bytes);
    s->ticket = hnb_pool_submit(r->c->pool, hnb_sign_job_run, &s->job);
    HnbRng g = hnb_rng_at(r->c->s_service, id, 0);
    HnbTime t = hnb_dist_sample_time(r->c->service, &g);
    /* booked at the start, up to the end of the run */
    r->o->hsm_busy_s += hnb_time_to_sec(t < r->c->duration - now ? t : r->c->duration - now);
    hnb_sim_schedule(r->sim, now + t, r->k_signed, j, 0);
}

static void approved(Run *r, uint32_t id)
{
    Request *rq = &r->req[id];
    rq->approved = hnb_sim_now(r->sim);
    fifo_push(r, &r->srv[rq->server].hsm[rq->release == HNB_SIGN_EMERGENCY ? 0 : 1], id);
    hnb_gauge_set(&r->o->hsm_queue, rq->approved, queued(r, TRUE));
    try_sign(r, rq->server);
}

static void try_approve(Run *r, uint32_t j)
{
    Server *s = &r->srv[j];
    HnbTime now = hnb_sim_now(r->sim);
    for (Fifo *q; s->approvers_free > 0 && (q = pick(r, s->approval)) != NULL;) {
        uint32_t id = fifo_pop(r, q);
        s->approvers_free--;
        r->approving++;
        HnbTime done;
        if (r->req[id].release == HNB_SIGN_EMERGENCY && r->c->oncall) {
            HnbRng g = hnb_rng_at(r->c->s_oncall, id, 0);
            done = now + hnb_dist_sample_time(r->c->oncall_delay, &g);
        } else {
            HnbRng g = hnb_rng_at(r->c->s_approval, id, 0);
            done = hnb_workhours_add(&r->c->hours, now, hnb_dist_sample_time(r->c->approval_delay, &g));
        }
        hnb_sim_schedule(r->sim, done, r->k_approved, id, 0);
    }
    hnb_gauge_set(&r->o->approval_queue, now, queued(r, FALSE));
}

static void submit(Run *r, uint32_t id, uint32_t release, uint32_t variant)
{
    uint32_t best = 0;
    for (uint32_t j = 1; j < r->nsrv; j++)
        if (r->srv[j].outstanding < r->srv[best].outstanding)
            best = j;
    r->srv[best].outstanding++;
    r->req[id] = (Request){.next = NONE, .release = release, .variant = variant, .server = best,
                           .submitted = hnb_sim_now(r->sim)};
    if (!r->c->approval_required) {
        approved(r, id);
        return;
    }
    fifo_push(r, &r->srv[best].approval[release == HNB_SIGN_EMERGENCY ? 0 : 1], id);
    try_approve(r, best);
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

static void on_approved(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Run *r = ud;
    (void)sim;
    uint32_t j = r->req[ev->entity].server;
    r->srv[j].approvers_free++;
    r->approving--;
    approved(r, ev->entity);
    try_approve(r, j);
}

static void on_signed(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Run *r = ud;
    (void)sim;
    Server *s = &r->srv[ev->entity];
    hnb_pool_join(r->c->pool, s->ticket);
    if (s->job.error && !r->c->error)
        r->c->error = g_steal_pointer(&s->job.error);
    if (s->job.reason == HNB_IMAGE_OK)
        r->o->verified++;
    else
        r->o->rejected++;
    hnb_sign_job_clear(&s->job);

    HnbTime now = ev->time;
    Request *rq = &r->req[s->in_service];
    rq->signed_at = now;
    s->busy = FALSE;
    s->outstanding--;
    Outcome *o = r->o;
    o->signed_images++;
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
    try_sign(r, ev->entity);
}

static void on_sample(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Run *r = ud;
    double per_h = hnb_time_to_sec(r->c->sample) / 3600;
    double busy = 0;
    for (unsigned j = 0; j < r->nsrv; j++)
        busy += r->srv[j].busy;
    double row[] = {
        hnb_time_to_sec(ev->time) / 3600,
        queued(r, FALSE),
        (double)r->approving,
        queued(r, TRUE),
        busy,
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

static void exposure(const Ctx *c, unsigned S, Outcome *o)
{
    o->rate = S * (c->server_rate + c->approvers * c->person_rate);
    o->p_analytic = -expm1(-o->rate * c->horizon_s);
    double first = INFINITY;
    for (unsigned j = 0; j < S; j++)
        for (unsigned a = 0; a <= c->approvers; a++) { /* a == 0: the server itself; 1..A: its people */
            double rate = a == 0 ? c->server_rate : c->person_rate;
            if (rate > 0)
                first = fmin(first, hnb_exp_from_uniform(1 / rate, hnb_rng_uniform(c->s_compromise, j, a)));
        }
    o->compromised = first <= c->horizon_s;
    o->first_compromise_d = o->compromised ? first / 86400 : NAN;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* One S */

static void simulate(Ctx *c, unsigned S, Outcome *o, HnbSeries *series, HnbProgress *progress)
{
    Run r = {.c = c, .o = o, .nsrv = S, .series = series, .emergency_first = HNB_TIME_NEVER};
    *o = (Outcome){.servers = S};
    hnb_tally_init(&o->latency);
    hnb_tally_init(&o->release_makespan);
    hnb_gauge_init(&o->approval_queue, 0, 0);
    hnb_gauge_init(&o->hsm_queue, 0, 0);
    r.sim = hnb_sim_new();
    r.k_release = hnb_sim_register(r.sim, "signing.release", on_release, &r);
    r.k_emergency = hnb_sim_register(r.sim, "signing.emergency", on_emergency, &r);
    r.k_approved = hnb_sim_register(r.sim, "signing.approved", on_approved, &r);
    r.k_signed = hnb_sim_register(r.sim, "signing.signed", on_signed, &r);
    r.k_sample = hnb_sim_register(r.sim, "signing.sample", on_sample, &r);
    r.nreq = (c->nreleases + 1) * c->variants;
    r.req = g_new0(Request, r.nreq);
    r.srv = g_new0(Server, S);
    for (unsigned j = 0; j < S; j++)
        r.srv[j].approvers_free = c->approvers;
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

    /* images still at the HSM when the run ends: their jobs were submitted, so join them before the pool is reused */
    for (unsigned j = 0; j < S; j++)
        if (r.srv[j].busy) {
            hnb_pool_join(c->pool, r.srv[j].ticket);
            hnb_sign_job_clear(&r.srv[j].job);
        }
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
    g_free(r.srv);
    g_free(r.req);
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
        .approvers = (uint32_t)hnb_scenario_int(sc, "approval", "approvers"),
        .approval_required = hnb_scenario_bool(sc, "approval", "required"),
        .oncall = strcmp(hnb_scenario_string(sc, "approval", "emergency"), "oncall") == 0,
        .emergency_first = hnb_scenario_bool(sc, "signing", "emergency_first"),
        .emergency_enabled = hnb_scenario_bool(sc, "emergency", "enabled"),
        .measured = strcmp(hnb_scenario_string(sc, "recovery", "mode"), "measured") == 0,
        .service = hnb_scenario_dist(sc, "signing", "service"),
        .approval_delay = hnb_scenario_dist(sc, "approval", "delay"),
        .oncall_delay = hnb_scenario_dist(sc, "approval", "oncall_delay"),
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
    (void)hnb_workhours_parse(&c->hours, hnb_scenario_string(sc, "approval", "hours"),
                              strcmp(hnb_scenario_string(sc, "approval", "days"), "weekdays") == 0, NULL);

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
                    "time-average images waiting for an approver");
    hnb_metrics_add(m, "approval_queue_max", "images", o->approval_queue.max, "most images waiting for an approver");
    hnb_metrics_add(m, "attack_at_h", "h", c->attack != HNB_TIME_NEVER ? hnb_time_to_sec(c->attack) / 3600 : NAN,
                    "the mass rewrite (t = 0 is Monday 00:00)");
    hnb_metrics_add(m, "emergency_first_signed_h", "h", o->first_signed_h, "attack -> first fixed image signed");
    hnb_metrics_add(m, "emergency_all_signed_h", "h", o->all_signed_h, "attack -> fixed images of all variants signed");
    hnb_metrics_add(m, "emergency_signing_h", "h", o->signing_h,
                    "fixed images submitted -> all signed (the signing servers' share of the critical path)");
    hnb_metrics_add(m, "fleet_recovered_h", "h", o->recovered_h, "attack -> every HNB back in service");
    hnb_metrics_add(m, "recovery_hnb_hours", "HNB-h", o->hnb_hours, "HNB-hours out of service from the attack");
    hnb_metrics_add(m, "compromise_rate_per_y", "1/y", o->rate * YEAR_S,
                    "signing-key compromise rate: servers x (server rate + approvers x person rate)");
    hnb_metrics_add(m, "p_compromise", "", o->p_analytic,
                    "P(signing-key compromise within the horizon) = 1 - exp(-rate x horizon) (analytic)");
    hnb_metrics_add(m, "key_compromised", "", o->compromised,
                    "1 if a server or person was compromised within the horizon in this replication (simulated; "
                    "the mean over replications estimates p_compromise)");
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
    /* batches of one: at most S signatures are in flight, and a batch that waits to fill would only run at its join */
    c.pool = hnb_pool_new(progress ? progress->pool_threads : 0, 1, NULL, NULL, NULL);
    unsigned curve[MAX_CURVE], ncurve = 0;
    (void)parse_curve(hnb_scenario_string(sc, "signing", "servers_curve"), curve, &ncurve, NULL);

    Outcome o;
    *series = hnb_series_new(G_N_ELEMENTS(cols), cols, units);
    simulate(&c, (unsigned)hnb_scenario_int(sc, "signing", "servers"), &o, *series, progress);
    metrics(&c, &o, out);
    outcome_clear(&o);
    for (unsigned k = 0; k < ncurve; k++) {
        simulate(&c, curve[k], &o, NULL, NULL);
        curve_metrics(&o, out);
        outcome_clear(&o);
    }
    hnb_pool_free(c.pool);
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
    {"signing", "servers", HNB_KEY_INT, 0, "2", "1", "1000", NULL,
     "signing servers, each an HSM with its own queue and approvers (the run's time series are for this count)"},
    {"signing", "servers_curve", HNB_KEY_STRING, 0, "1 2 3 4 6 8", NULL, NULL, NULL,
     "server counts each replication also runs on the same random numbers, for the latency/exposure trade-off "
     "(curve.csv, figures/tradeoff); increasing, up to 32 values; none: no curve"},
    {"signing", "variants", HNB_KEY_INT, 0, "8", "1", "4096", NULL,
     "HNB models/variants: one image each per release and per emergency fix"},
    {"signing", "service", HNB_KEY_DIST, HNB_UNIT_DURATION, "lognormal(15m,0.5)", NULL, NULL, NULL,
     "HSM time per image: the signing ceremony (key activation, hash check against the build record, sign, log); "
     "a bare HSM signature is ~0.2 ms"},
    {"signing", "emergency_first", HNB_KEY_BOOL, 0, "true", NULL, NULL, NULL,
     "emergency images go ahead of release images in every queue (not pre-emptive)"},
    {"approval", "required", HNB_KEY_BOOL, 0, "true", NULL, NULL, NULL,
     "each image needs a person's approval before the HSM signs it"},
    {"approval", "approvers", HNB_KEY_INT, 0, "2", "1", "1000", NULL,
     "people with signing rights per server; each approves one image at a time (and adds exposure)"},
    {"approval", "delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "lognormal(1h,0.7)", NULL, NULL, NULL,
     "working time an approval takes (review of the build and change ticket); the clock stops outside hours"},
    {"approval", "hours", HNB_KEY_STRING, 0, "08:00-18:00", NULL, NULL, NULL,
     "approvers' daily working window, HH:MM-HH:MM (t = 0 is Monday 00:00), or always"},
    {"approval", "days", HNB_KEY_ENUM, 0, "weekdays", NULL, NULL, "weekdays|all", "working days"},
    {"approval", "emergency", HNB_KEY_ENUM, 0, "hours", NULL, NULL, "hours|oncall",
     "emergency approvals: in working hours like any other, or by an on-call approver at any time"},
    {"approval", "oncall_delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "lognormal(1h,0.5)", NULL, NULL, NULL,
     "emergency = oncall: calendar time from the request to the on-call approval"},
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
    {"queue", "Images waiting for an approver and for an HSM", "images", "approval_queue hsm_queue"},
    {"busy", "Approvers and HSMs at work", "count", "approving hsm_busy"},
    {"latency", "Mean signing latency of the images signed in each interval", "h", "latency_mean_h"},
    {"emergency", "Fixed images signed after the mass rewrite", "images", "emergency_signed"},
};

static const HnbTableFigure table_figures[] = {
    {"tradeoff", "Signing servers: emergency-patch latency (p50/p95 over replications) vs signing-key exposure",
     "servers", "signing servers S",
     "all_signed_p50_h all_signed_p95_h fleet_recovered_p50_h fleet_recovered_p95_h release_all_signed_mean_h",
     "h from the attack (release: from submission)", "p_compromise p_compromise_sim:p_compromise_sim_ci95",
     "P(signing-key compromise within the horizon)"},
};

static const HnbCompareFigure compare_figures[] = {
    {"approval-queue", "Images waiting for an approver", "time (h)", "images", HNB_COMPARE_SERIES, "approval_queue"},
    {"emergency-signed", "Fixed images signed after the mass rewrite", "time (h)", "images", HNB_COMPARE_SERIES,
     "emergency_signed"},
    {"all-signed", "Attack -> all fixed images signed", NULL, "h", HNB_COMPARE_BAR, "emergency_all_signed_h"},
    {"recovered", "Attack -> fleet recovered", NULL, "h", HNB_COMPARE_BAR, "fleet_recovered_h"},
    {"compromise", "P(signing-key compromise within the horizon)", NULL, "", HNB_COMPARE_BAR, "p_compromise"},
};

static const HnbKeySpec *const shared_schemas[] = {hnb_pki_schema, NULL};

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
