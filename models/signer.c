/* models/signer.c — the signing servers' queues (approvers, then the HSM) and their real signatures: see signer.h.
 *
 * Invariants: a request is in at most one FIFO (threaded through `next`); a server's `outstanding` counts its
 * requests submitted and not yet signed; `approvers_free` + its approvals in progress == approvers; an HSM is busy
 * exactly while its signature job is in the pool (submitted at the start event, joined at the end event or at free).
 */
#include "models/signer.h"

#include <string.h>

#define NONE UINT32_MAX

typedef struct {
    uint32_t head, tail, len;
} Fifo;

typedef struct {
    HnbSignRequest pub;
    uint32_t next; /* next in its queue, or NONE */
} Request;

typedef struct {
    Fifo approval[2], hsm[2]; /* [0] emergency, [1] release */
    uint32_t approvers_free;
    uint32_t outstanding; /* submitted, not yet signed */
    gboolean busy;
    uint32_t in_service;
    HnbSignJob job;
    uint64_t ticket;
} Server;

struct HnbSigner {
    HnbSim *sim;
    HnbSignerParams p;
    HnbSignerStreams s;
    HnbPool *pool;
    const HnbPki *pki;
    HnbSignerSigned done;
    void *ctx;
    uint32_t k_approved, k_signed;
    Request *req;
    uint32_t nreq;
    Server *srv;
    HnbSignerStats st;
    GError *error;
};

static void fifo_push(HnbSigner *s, Fifo *q, uint32_t id)
{
    s->req[id].next = NONE;
    if (q->len++ == 0)
        q->head = id;
    else
        s->req[q->tail].next = id;
    q->tail = id;
}

static uint32_t fifo_pop(HnbSigner *s, Fifo *q)
{
    uint32_t id = q->head;
    q->head = s->req[id].next;
    q->len--;
    return id;
}

static unsigned klass(uint32_t release)
{
    return release == HNB_SIGN_EMERGENCY ? 0 : 1;
}

/* The class to serve next: emergency first if so configured, else the older head. */
static Fifo *pick(const HnbSigner *s, Fifo q[2])
{
    if (q[0].len == 0)
        return q[1].len ? &q[1] : NULL;
    if (q[1].len == 0 || s->p.emergency_first)
        return &q[0];
    return s->req[q[0].head].pub.submitted <= s->req[q[1].head].pub.submitted ? &q[0] : &q[1];
}

double hnb_signer_queued(const HnbSigner *s, gboolean hsm)
{
    uint64_t n = 0;
    for (unsigned j = 0; j < s->p.servers; j++) {
        const Server *v = &s->srv[j];
        n += hsm ? v->hsm[0].len + v->hsm[1].len : v->approval[0].len + v->approval[1].len;
    }
    return (double)n;
}

static void try_sign(HnbSigner *s, uint32_t j)
{
    Server *v = &s->srv[j];
    Fifo *q = v->busy ? NULL : pick(s, v->hsm);
    if (q == NULL)
        return;
    HnbTime now = hnb_sim_now(s->sim);
    uint32_t id = fifo_pop(s, q);
    hnb_gauge_set(&s->st.hsm_queue, now, hnb_signer_queued(s, TRUE));
    HnbSignRequest *rq = &s->req[id].pub;
    rq->started = now;
    v->busy = TRUE;
    v->in_service = id;
    const HnbPkiCred *cred = hnb_pki_signing(s->pki);
    hnb_sign_job_init(&v->job, cred->key, cred->cert, rq->release, rq->variant, s->p.image_bytes);
    v->ticket = hnb_pool_submit(s->pool, hnb_sign_job_run, &v->job);
    HnbRng g = hnb_rng_at(s->s.service, id, 0);
    HnbTime t = hnb_dist_sample_time(s->p.service, &g);
    /* booked at the start, up to the end of the run */
    HnbTime left = s->p.duration - now;
    s->st.hsm_busy_s += hnb_time_to_sec(t < left ? t : left);
    hnb_sim_schedule(s->sim, now + t, s->k_signed, j, 0);
}

static void approved(HnbSigner *s, uint32_t id)
{
    HnbSignRequest *rq = &s->req[id].pub;
    rq->approved = hnb_sim_now(s->sim);
    fifo_push(s, &s->srv[rq->server].hsm[klass(rq->release)], id);
    hnb_gauge_set(&s->st.hsm_queue, rq->approved, hnb_signer_queued(s, TRUE));
    try_sign(s, rq->server);
}

static void try_approve(HnbSigner *s, uint32_t j)
{
    Server *v = &s->srv[j];
    HnbTime now = hnb_sim_now(s->sim);
    for (Fifo *q; v->approvers_free > 0 && (q = pick(s, v->approval)) != NULL;) {
        uint32_t id = fifo_pop(s, q);
        v->approvers_free--;
        s->st.approving++;
        HnbTime done;
        if (s->req[id].pub.release == HNB_SIGN_EMERGENCY && s->p.oncall) {
            HnbRng g = hnb_rng_at(s->s.oncall, id, 0);
            done = now + hnb_dist_sample_time(s->p.oncall_delay, &g);
        } else {
            HnbRng g = hnb_rng_at(s->s.approval, id, 0);
            done = hnb_workhours_add(&s->p.hours, now, hnb_dist_sample_time(s->p.approval_delay, &g));
        }
        hnb_sim_schedule(s->sim, done, s->k_approved, id, 0);
    }
    hnb_gauge_set(&s->st.approval_queue, now, hnb_signer_queued(s, FALSE));
}

void hnb_signer_submit(HnbSigner *s, uint32_t id, uint32_t release, uint32_t variant)
{
    g_return_if_fail(id < s->nreq);
    uint32_t best = 0;
    for (uint32_t j = 1; j < s->p.servers; j++)
        if (s->srv[j].outstanding < s->srv[best].outstanding)
            best = j;
    s->srv[best].outstanding++;
    s->req[id] = (Request){.next = NONE,
                           .pub = {.release = release, .variant = variant, .server = best,
                                   .submitted = hnb_sim_now(s->sim)}};
    if (!s->p.approval_required) {
        approved(s, id);
        return;
    }
    fifo_push(s, &s->srv[best].approval[klass(release)], id);
    try_approve(s, best);
}

static void on_approved(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbSigner *s = ud;
    (void)sim;
    uint32_t j = s->req[ev->entity].pub.server;
    s->srv[j].approvers_free++;
    s->st.approving--;
    approved(s, ev->entity);
    try_approve(s, j);
}

static void on_signed(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbSigner *s = ud;
    (void)sim;
    Server *v = &s->srv[ev->entity];
    hnb_pool_join(s->pool, v->ticket);
    if (v->job.error && !s->error)
        s->error = g_steal_pointer(&v->job.error);
    HnbSignRequest *rq = &s->req[v->in_service].pub;
    rq->verified = v->job.reason == HNB_IMAGE_OK;
    if (rq->verified)
        s->st.verified++;
    else
        s->st.rejected++;
    hnb_sign_job_clear(&v->job);
    rq->signed_at = ev->time;
    v->busy = FALSE;
    v->outstanding--;
    s->st.signed_images++;
    s->done(s->ctx, v->in_service);
    try_sign(s, ev->entity);
}

HnbSigner *hnb_signer_new(HnbSim *sim, const HnbSignerParams *p, HnbSignerStreams streams, HnbPool *pool,
                          const HnbPki *pki, uint32_t max_requests, HnbSignerSigned done, void *ctx)
{
    g_return_val_if_fail(sim && p && p->servers >= 1 && pool && pki && done, NULL);
    HnbSigner *s = g_new0(HnbSigner, 1);
    *s = (HnbSigner){.sim = sim, .p = *p, .s = streams, .pool = pool, .pki = pki, .done = done, .ctx = ctx,
                     .nreq = max_requests};
    s->k_approved = hnb_sim_register(sim, "signing.approved", on_approved, s);
    s->k_signed = hnb_sim_register(sim, "signing.signed", on_signed, s);
    s->req = g_new0(Request, max_requests ? max_requests : 1);
    s->srv = g_new0(Server, p->servers);
    for (unsigned j = 0; j < p->servers; j++)
        s->srv[j].approvers_free = p->approvers;
    hnb_gauge_init(&s->st.approval_queue, 0, 0);
    hnb_gauge_init(&s->st.hsm_queue, 0, 0);
    return s;
}

void hnb_signer_free(HnbSigner *s)
{
    if (!s)
        return;
    /* images still at an HSM when the run ended: their jobs were submitted, so join them before the pool is reused */
    for (unsigned j = 0; j < s->p.servers; j++)
        if (s->srv[j].busy) {
            hnb_pool_join(s->pool, s->srv[j].ticket);
            hnb_sign_job_clear(&s->srv[j].job);
        }
    g_clear_error(&s->error);
    g_free(s->srv);
    g_free(s->req);
    g_free(s);
}

const HnbSignRequest *hnb_signer_request(const HnbSigner *s, uint32_t id)
{
    return &s->req[id].pub;
}

const HnbSignerStats *hnb_signer_stats(const HnbSigner *s)
{
    return &s->st;
}

unsigned hnb_signer_busy(const HnbSigner *s)
{
    unsigned n = 0;
    for (unsigned j = 0; j < s->p.servers; j++)
        n += s->srv[j].busy;
    return n;
}

GError *hnb_signer_take_error(HnbSigner *s)
{
    return g_steal_pointer(&s->error);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Scenario keys, shared by the signing study and the fleet's fix */

const HnbKeySpec hnb_signer_schema[] = {
    {"signing", "servers", HNB_KEY_INT, 0, "2", "1", "1000", NULL,
     "signing servers, each an HSM with its own queue and approvers (the run's time series are for this count)"},
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
    HNB_KEY_END,
};

gboolean hnb_signer_params_from_scenario(HnbSignerParams *p, const HnbScenario *sc, GError **error)
{
    *p = (HnbSignerParams){
        .servers = (unsigned)hnb_scenario_int(sc, "signing", "servers"),
        .approvers = (uint32_t)hnb_scenario_int(sc, "approval", "approvers"),
        .approval_required = hnb_scenario_bool(sc, "approval", "required"),
        .oncall = strcmp(hnb_scenario_string(sc, "approval", "emergency"), "oncall") == 0,
        .emergency_first = hnb_scenario_bool(sc, "signing", "emergency_first"),
        .service = hnb_scenario_dist(sc, "signing", "service"),
        .approval_delay = hnb_scenario_dist(sc, "approval", "delay"),
        .oncall_delay = hnb_scenario_dist(sc, "approval", "oncall_delay"),
        .duration = hnb_scenario_time(sc, "scenario", "duration"),
    };
    if (!hnb_workhours_parse(&p->hours, hnb_scenario_string(sc, "approval", "hours"),
                             strcmp(hnb_scenario_string(sc, "approval", "days"), "weekdays") == 0, error)) {
        g_prefix_error(error, "%s: [approval] hours = ", hnb_scenario_source(sc));
        return FALSE;
    }
    return TRUE;
}
