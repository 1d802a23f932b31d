/* models/fix.c — from the hole known to the fixed image published on the H(e)MS: see fix.h.
 *
 * Timeline of one replication: known_at (the attack's start: the operator sees HNBs drop) + develop = built, when the
 * fixed image of every variant is submitted to the signing servers as an emergency (request id = variant, so its
 * draws are those of the signing study's emergency images of the same index); each signed image is published
 * `publish` later (draw 0 of ("fix.publish", variant)).  The population hears of each variant's publication.
 */
#include "models/fix.h"

#include <string.h>

struct HnbFix {
    HnbSim *sim;
    HnbFixParams p;
    HnbStream s_develop, s_publish;
    HnbSigner *signer;
    HnbFixPublished published;
    void *ctx;
    uint32_t k_built, k_published;
    uint32_t signed_count;
    HnbFixStats st;
};

static void on_built(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbFix *f = ud;
    (void)sim;
    f->st.built = ev->time;
    for (uint32_t v = 0; v < f->p.variants; v++)
        hnb_signer_submit(f->signer, v, HNB_SIGN_EMERGENCY, v);
}

/* HnbSignerSigned: variant `id`'s image is signed; it goes on the H(e)MS after `publish`. */
static void on_signed(void *ctx, uint32_t id)
{
    HnbFix *f = ctx;
    HnbTime now = hnb_sim_now(f->sim);
    if (++f->signed_count == f->p.variants)
        f->st.all_signed = now;
    HnbRng g = hnb_rng_at(f->s_publish, id, 0);
    hnb_sim_schedule(f->sim, now + hnb_dist_sample_time(f->p.publish, &g), f->k_published, id, 0);
}

static void on_published(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbFix *f = ud;
    (void)sim;
    if (f->st.published == 0)
        f->st.first_published = ev->time;
    if (++f->st.published == f->p.variants)
        f->st.all_published = ev->time;
    f->published(f->ctx, ev->entity);
}

HnbFix *hnb_fix_new(HnbSim *sim, const HnbFixParams *p, uint64_t seed, guint rep, HnbPool *pool, const HnbPki *pki,
                    HnbFixPublished published, void *ctx)
{
    g_return_val_if_fail(sim && p && published, NULL);
    HnbFix *f = g_new0(HnbFix, 1);
    *f = (HnbFix){.sim = sim, .p = *p, .published = published, .ctx = ctx};
    f->st = (HnbFixStats){.built = HNB_TIME_NEVER, .all_signed = HNB_TIME_NEVER,
                          .first_published = HNB_TIME_NEVER, .all_published = HNB_TIME_NEVER};
    if (!p->enabled)
        return f; /* no kinds, no draws: the run is that of a scenario without [fix] */
    g_return_val_if_fail(pool && pki && p->variants >= 1, f);
    f->s_develop = hnb_stream(seed, rep, "fix.develop");
    f->s_publish = hnb_stream(seed, rep, "fix.publish");
    f->k_built = hnb_sim_register(sim, "fix.built", on_built, f);
    f->k_published = hnb_sim_register(sim, "fix.published", on_published, f);
    HnbSignerStreams ss = {.approval = hnb_stream(seed, rep, "fix.signing.approval"),
                           .oncall = hnb_stream(seed, rep, "fix.signing.oncall"),
                           .service = hnb_stream(seed, rep, "fix.signing.service")};
    f->signer = hnb_signer_new(sim, &p->signer, ss, pool, pki, p->variants, on_signed, f);
    if (p->known_at != HNB_TIME_NEVER) {
        HnbRng g = hnb_rng_at(f->s_develop, 0, 0);
        HnbTime develop = hnb_dist_sample_time(p->develop, &g);
        if (develop <= p->signer.duration - p->known_at)
            hnb_sim_schedule(sim, p->known_at + develop, f->k_built, 0, 0);
    }
    return f;
}

void hnb_fix_free(HnbFix *f)
{
    if (!f)
        return;
    hnb_signer_free(f->signer);
    g_free(f);
}

const HnbFixStats *hnb_fix_stats(const HnbFix *f)
{
    return &f->st;
}

const HnbSignerStats *hnb_fix_signer_stats(const HnbFix *f)
{
    return f->signer ? hnb_signer_stats(f->signer) : NULL;
}

GError *hnb_fix_take_error(HnbFix *f)
{
    return f->signer ? hnb_signer_take_error(f->signer) : NULL;
}

/* ---------------------------------------------------------------------------------------------------------------- */

const HnbKeySpec hnb_fix_schema[] = {
    {"fix", "enabled", HNB_KEY_BOOL, 0, "false", NULL, NULL, NULL,
     "the OS hole is fixed in this run: a fixed image is built, signed by the signing servers ([signing], "
     "[approval]) and published on the H(e)MS, which then pushes it to every HNB that runs the vulnerable image"},
    {"fix", "develop", HNB_KEY_DIST, HNB_UNIT_DURATION, "lognormal(2d,0.5)", NULL, NULL, NULL,
     "from the hole known (the attack's start) to the fixed image built and submitted for signature (one draw per "
     "replication)"},
    {"fix", "publish", HNB_KEY_DIST, HNB_UNIT_DURATION, "1h", NULL, NULL, NULL,
     "from a variant's image signed to its image on the H(e)MS (staging, campaign set-up)"},
    {"fix", "connection_requests", HNB_KEY_NUMBER, HNB_UNIT_RATE, "0/s", "0/s", NULL, NULL,
     "once a variant's fix is published, the H(e)MS wakes the HNBs that need it with Connection Requests (TR-069 "
     "3.2.2) at this rate in all (shared evenly by the variants' campaigns), in HNB order; 0/s: none, each HNB gets "
     "the fix at its next Inform (periodic or retry)"},
    {"recovery", "image", HNB_KEY_ENUM, 0, "release", NULL, NULL, "release|fixed",
     "what the H(e)MS pushes to an HNB that lost its image before the fix is published: the vulnerable release at "
     "once (fast, but the hole stays open), or nothing until the fixed image is published (fixed; needs [fix] "
     "enabled); after publication it always pushes the fix"},
    HNB_KEY_END,
};

void hnb_fix_params_from_scenario(HnbFixParams *p, const HnbScenario *sc, HnbTime known_at)
{
    *p = (HnbFixParams){
        .enabled = hnb_scenario_bool(sc, "fix", "enabled"),
        .known_at = known_at,
        .develop = hnb_scenario_dist(sc, "fix", "develop"),
        .publish = hnb_scenario_dist(sc, "fix", "publish"),
        .variants = (uint32_t)hnb_scenario_int(sc, "signing", "variants"),
    };
    (void)hnb_signer_params_from_scenario(&p->signer, sc, NULL); /* validated at load */
    p->signer.image_bytes = (uint64_t)hnb_scenario_number(sc, "download", "image_size");
}
