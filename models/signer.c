/* models/signer.c — the signing servers' queues (approvers, then the HSM) and their real signatures: see signer.h.
 *
 * Representation: an image (request id) has `threshold` shares, share s at index id·K + s of `sh`; the queues are FIFO
 * lists of share indices threaded through `next`.  With K = 1 a share's index is its request's id, so events, draws
 * and queue order are those of one request per image.
 *
 * Invariants: a share is in at most one FIFO; a server's `outstanding` counts its shares submitted and not yet
 * signed; `approvers_free` + quorum x its approvals in progress == approvers; an HSM is busy exactly while its
 * signature job is in the pool (submitted at the start event, joined at the end event or at free); a request's `left`
 * counts its shares not yet signed, and the user hears of it when it reaches 0.
 */
#include "models/signer.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

typedef struct {
    uint32_t head, tail, len;
} Fifo;

typedef struct {
    HnbSignRequest pub;
    uint32_t left; /* shares not yet signed */
} Request;

typedef struct {
    uint32_t next;   /* next in its queue, or NONE */
    uint32_t server;
    HnbTime approved;
    gboolean verified;
} Share;

typedef struct {
    Fifo approval[2], hsm[2]; /* [0] emergency, [1] release */
    uint32_t approvers_free;
    uint32_t outstanding; /* shares submitted, not yet signed */
    gboolean busy;
    uint32_t in_service; /* share index */
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
    Share *sh;
    uint32_t nreq;
    Server *srv;
    HnbSignerStats st;
    GError *error;
};

static Request *request_of(HnbSigner *s, uint32_t share)
{
    return &s->req[share / s->p.threshold];
}

static void fifo_push(HnbSigner *s, Fifo *q, uint32_t share)
{
    s->sh[share].next = NONE;
    if (q->len++ == 0)
        q->head = share;
    else
        s->sh[q->tail].next = share;
    q->tail = share;
}

static uint32_t fifo_pop(HnbSigner *s, Fifo *q)
{
    uint32_t share = q->head;
    q->head = s->sh[share].next;
    q->len--;
    return share;
}

static unsigned klass(uint32_t release)
{
    return release == HNB_SIGN_EMERGENCY ? 0 : 1;
}

/* The class to serve next: emergency first if so configured, else the older head. */
static Fifo *pick(HnbSigner *s, Fifo q[2])
{
    if (q[0].len == 0)
        return q[1].len ? &q[1] : NULL;
    if (q[1].len == 0 || s->p.emergency_first)
        return &q[0];
    return request_of(s, q[0].head)->pub.submitted <= request_of(s, q[1].head)->pub.submitted ? &q[0] : &q[1];
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
    uint32_t share = fifo_pop(s, q), id = share / s->p.threshold, k = share % s->p.threshold;
    hnb_gauge_set(&s->st.hsm_queue, now, hnb_signer_queued(s, TRUE));
    HnbSignRequest *rq = &s->req[id].pub;
    if (k == 0 || now > rq->started) /* the image's HSM start: its last share's */
        rq->started = now;
    v->busy = TRUE;
    v->in_service = share;
    if (s->p.server_keys) /* server j's own key, verified against itself */
        hnb_sign_job_init(&v->job, s->p.server_keys[j], NULL, rq->release, rq->variant, s->p.image_bytes);
    else {
        const HnbPkiCred *cred = hnb_pki_signing(s->pki);
        hnb_sign_job_init(&v->job, cred->key, cred->cert, rq->release, rq->variant, s->p.image_bytes);
    }
    v->ticket = hnb_pool_submit(s->pool, hnb_sign_job_run, &v->job);
    HnbRng g = hnb_rng_at(s->s.service, id, k);
    HnbTime t = hnb_dist_sample_time(s->p.service, &g);
    /* booked at the start, up to the end of the run */
    HnbTime left = s->p.duration - now;
    s->st.hsm_busy_s += hnb_time_to_sec(t < left ? t : left);
    hnb_sim_schedule(s->sim, now + t, s->k_signed, j, 0);
}

static void approved(HnbSigner *s, uint32_t share)
{
    Share *x = &s->sh[share];
    HnbSignRequest *rq = &request_of(s, share)->pub;
    x->approved = hnb_sim_now(s->sim);
    if (x->approved > rq->approved || share % s->p.threshold == 0) /* the image's approval: its last share's */
        rq->approved = x->approved;
    fifo_push(s, &s->srv[x->server].hsm[klass(rq->release)], share);
    hnb_gauge_set(&s->st.hsm_queue, x->approved, hnb_signer_queued(s, TRUE));
    try_sign(s, x->server);
}

/* When `quorum` approvers who start on share `share` now are all done: the last of their delays. */
static HnbTime approval_done(HnbSigner *s, uint32_t share, HnbTime now)
{
    uint32_t id = share / s->p.threshold, k = share % s->p.threshold;
    gboolean oncall = s->req[id].pub.release == HNB_SIGN_EMERGENCY && s->p.oncall;
    HnbTime done = now;
    for (uint32_t a = 0; a < s->p.quorum; a++) {
        uint64_t draw = (uint64_t)k * s->p.quorum + a;
        HnbTime t;
        if (oncall) {
            HnbRng g = hnb_rng_at(s->s.oncall, id, draw);
            t = now + hnb_dist_sample_time(s->p.oncall_delay, &g);
        } else {
            HnbRng g = hnb_rng_at(s->s.approval, id, draw);
            t = hnb_workhours_add(&s->p.hours, now, hnb_dist_sample_time(s->p.approval_delay, &g));
        }
        done = a == 0 || t > done ? t : done;
    }
    return done;
}

static void try_approve(HnbSigner *s, uint32_t j)
{
    Server *v = &s->srv[j];
    HnbTime now = hnb_sim_now(s->sim);
    for (Fifo *q; v->approvers_free >= s->p.quorum && (q = pick(s, v->approval)) != NULL;) {
        uint32_t share = fifo_pop(s, q);
        v->approvers_free -= s->p.quorum;
        s->st.approving += s->p.quorum;
        hnb_sim_schedule(s->sim, approval_done(s, share, now), s->k_approved, share, 0);
    }
    hnb_gauge_set(&s->st.approval_queue, now, hnb_signer_queued(s, FALSE));
}

/* The server for share k of request id: the fewest shares outstanding among the servers its shares 0..k-1 leave
 * free, ties to the lowest index. */
static uint32_t least_loaded(const HnbSigner *s, uint32_t id, uint32_t k)
{
    uint32_t best = NONE;
    for (uint32_t j = 0; j < s->p.servers; j++) {
        gboolean taken = FALSE;
        for (uint32_t u = 0; u < k; u++)
            taken |= s->sh[id * s->p.threshold + u].server == j;
        if (!taken && (best == NONE || s->srv[j].outstanding < s->srv[best].outstanding))
            best = j;
    }
    return best;
}

void hnb_signer_submit(HnbSigner *s, uint32_t id, uint32_t release, uint32_t variant)
{
    g_return_if_fail(id < s->nreq);
    uint32_t K = s->p.threshold;
    s->req[id] = (Request){.left = K,
                           .pub = {.release = release, .variant = variant, .submitted = hnb_sim_now(s->sim)}};
    for (uint32_t k = 0; k < K; k++) {
        uint32_t j = least_loaded(s, id, k);
        s->srv[j].outstanding++;
        s->sh[id * K + k] = (Share){.next = NONE, .server = j};
    }
    s->req[id].pub.server = s->sh[id * K].server;
    for (uint32_t share = id * K; share < (id + 1) * K; share++) {
        if (!s->p.approval_required) {
            approved(s, share);
            continue;
        }
        fifo_push(s, &s->srv[s->sh[share].server].approval[klass(release)], share);
        try_approve(s, s->sh[share].server);
    }
}

static void on_approved(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbSigner *s = ud;
    (void)sim;
    uint32_t j = s->sh[ev->entity].server;
    s->srv[j].approvers_free += s->p.quorum;
    s->st.approving -= s->p.quorum;
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
    uint32_t share = v->in_service, id = share / s->p.threshold;
    s->sh[share].verified = v->job.reason == HNB_IMAGE_OK;
    hnb_sign_job_clear(&v->job);
    v->busy = FALSE;
    v->outstanding--;
    s->st.shares++;
    Request *r = &s->req[id];
    if (--r->left == 0) {
        HnbSignRequest *rq = &r->pub;
        rq->signed_at = ev->time;
        rq->verified = TRUE;
        for (uint32_t k = 0; k < s->p.threshold; k++)
            rq->verified &= s->sh[id * s->p.threshold + k].verified;
        if (rq->verified)
            s->st.verified++;
        else
            s->st.rejected++;
        s->st.signed_images++;
        s->done(s->ctx, id);
    }
    try_sign(s, ev->entity);
}

HnbSigner *hnb_signer_new(HnbSim *sim, const HnbSignerParams *p, HnbSignerStreams streams, HnbPool *pool,
                          const HnbPki *pki, uint32_t max_requests, HnbSignerSigned done, void *ctx)
{
    g_return_val_if_fail(sim && p && p->servers >= 1 && p->quorum >= 1 && p->threshold >= 1 &&
                             p->threshold <= p->servers && pool && pki && done,
                         NULL);
    g_return_val_if_fail(!p->approval_required || p->quorum <= p->approvers, NULL);
    HnbSigner *s = g_new0(HnbSigner, 1);
    *s = (HnbSigner){.sim = sim, .p = *p, .s = streams, .pool = pool, .pki = pki, .done = done, .ctx = ctx,
                     .nreq = max_requests};
    s->k_approved = hnb_sim_register(sim, "signing.approved", on_approved, s);
    s->k_signed = hnb_sim_register(sim, "signing.signed", on_signed, s);
    s->req = g_new0(Request, max_requests ? max_requests : 1);
    s->sh = g_new0(Share, (size_t)(max_requests ? max_requests : 1) * p->threshold);
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
    g_free(s->sh);
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
    {"signing", "keys", HNB_KEY_STRING, 0, "shared", NULL, NULL, NULL,
     "the signing keys (the spec is silent; seed doubt 3): shared (one key on every server: any server compromised "
     "signs for the attacker, and replacing the key stops every server), per_server (a key per server, all trusted "
     "by the HNBs: one compromised server still signs, but its key is revoked alone), threshold:K (an image needs "
     "signature shares from K distinct servers, K <= servers: fewer than K compromised servers sign nothing)"},
    {"signing", "emergency_first", HNB_KEY_BOOL, 0, "true", NULL, NULL, NULL,
     "emergency images go ahead of release images in every queue (not pre-emptive)"},
    {"approval", "required", HNB_KEY_BOOL, 0, "true", NULL, NULL, NULL,
     "each image needs a person's approval before the HSM signs it"},
    {"approval", "approvers", HNB_KEY_INT, 0, "2", "1", "1000", NULL,
     "people with signing rights per server; each approves one image at a time (and adds exposure)"},
    {"approval", "quorum", HNB_KEY_INT, 0, "1", "1", "1000", NULL,
     "M-of-N approval: approvers of the same server who must each approve an image (all at once; the image waits "
     "for M free approvers); a single compromised person signs nothing when M >= 2; <= approvers"},
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
        .quorum = (uint32_t)hnb_scenario_int(sc, "approval", "quorum"),
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
    if (!hnb_signing_keys_parse(hnb_scenario_string(sc, "signing", "keys"), &p->keys, &p->threshold, error)) {
        g_prefix_error(error, "%s: [signing] keys = ", hnb_scenario_source(sc));
        return FALSE;
    }
    if (p->threshold > p->servers) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [signing] keys = threshold:%u needs at least %u servers ([signing] servers = %u)",
                    hnb_scenario_source(sc), p->threshold, p->threshold, p->servers);
        return FALSE;
    }
    if (p->approval_required && p->quorum > p->approvers) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [approval] quorum = %u is more than the %u approvers per server ([approval] approvers): no "
                    "image could ever be approved", hnb_scenario_source(sc), p->quorum, p->approvers);
        return FALSE;
    }
    return TRUE;
}

gboolean hnb_signing_keys_parse(const char *text, HnbSigningKeys *keys, uint32_t *threshold, GError **error)
{
    *threshold = 1;
    if (strcmp(text, "shared") == 0) {
        *keys = HNB_SIGNING_KEYS_SHARED;
        return TRUE;
    }
    if (strcmp(text, "per_server") == 0) {
        *keys = HNB_SIGNING_KEYS_PER_SERVER;
        return TRUE;
    }
    if (g_str_has_prefix(text, "threshold:")) {
        const char *k = text + strlen("threshold:");
        char *end;
        guint64 v = g_ascii_strtoull(k, &end, 10);
        if (g_ascii_isdigit(*k) && *end == '\0' && v >= 2 && v <= 1000) {
            *keys = HNB_SIGNING_KEYS_THRESHOLD;
            *threshold = (uint32_t)v;
            return TRUE;
        }
    }
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                "\"%s\": expected shared, per_server or threshold:K with K in 2..1000 (e.g. threshold:2)", text);
    return FALSE;
}
