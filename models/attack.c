/* models/attack.c — the mass DoS rewrite (the seed's first doubt): an OS hole lets an attacker rewrite the writable
 * software of many HNBs at once; the rewritten image fails secure boot at the next boot.
 *
 * Which HNBs are vulnerable is draw 0 of ("attack.pick", i) < fraction, so every variant of a scenario (single,
 * golden, ab, ...) run with the same seed loses the same HNBs at the same moments: the comparison is between layouts,
 * not between luck.  `instant`: all vulnerable HNBs are rewritten at `start`.  `epidemic`: one is rewritten at
 * `start` and the rewrite spreads logistically, dI/dt = beta I (1 - I/V) over the V vulnerable HNBs.  Each rewritten
 * HNB is rebooted after `reboot_delay` (0: the attacker reboots it at once; a long delay: it meets its next reboot).
 *
 * The hole stays open until the HNB runs a fixed image (fix.h): with `repeat`, the attacker sweeps the exposed HNBs
 * again every `repeat` after `start` (sweep s = 1, 2, ...) and rewrites each one the HNB population says it can reach
 * — one that recovered onto the vulnerable release is rewritten again.  HNB i's reboot delay in sweep s is draw 1 + s
 * of ("attack.pick", i) (draw 1: the first attack), so adding sweeps shifts no earlier draw.
 */
#include "models/attack.h"

#include <math.h>
#include <string.h>

struct HnbAttack {
    HnbSim *sim;
    HnbAttackParams p;
    uint32_t n;
    HnbTime duration;
    HnbStream stream;
    const HnbAttackTarget *target;
    void *ctx;
    uint32_t k_attack, k_spread, k_sweep;
    HnbAttackStats st;
};

HnbAttackMode hnb_attack_mode_parse(const char *text)
{
    return strcmp(text, "none") == 0 ? HNB_ATTACK_NONE
           : strcmp(text, "instant") == 0 ? HNB_ATTACK_INSTANT
                                          : HNB_ATTACK_EPIDEMIC;
}

HnbAttackBanks hnb_attack_banks_parse(const char *text)
{
    return strcmp(text, "all") == 0 ? HNB_ATTACK_BANKS_ALL : HNB_ATTACK_BANKS_ACTIVE;
}

static gboolean vulnerable(const HnbAttack *a, uint32_t i)
{
    return hnb_rng_uniform(a->stream, i, 0) < a->p.fraction;
}

/* Rewrite HNB i in sweep s (0: the attack) and set its reboot; FALSE if it is not running an OS the attacker can
 * reach. */
static gboolean rewrite(HnbAttack *a, uint32_t i, uint32_t s)
{
    if (!a->target->rewrite(a->ctx, i, a->p.banks))
        return FALSE;
    a->st.attacked++;
    a->st.repeated += s > 0;
    HnbRng r = hnb_rng_at(a->stream, i, 1 + (uint64_t)s);
    a->target->reboot_in(a->ctx, i, hnb_dist_sample_time(a->p.reboot_delay, &r));
    return TRUE;
}

static void on_attack(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbAttack *a = ud;
    if (a->p.mode == HNB_ATTACK_INSTANT) {
        for (uint32_t i = 0; i < a->n; i++)
            if (vulnerable(a, i))
                rewrite(a, i, 0);
        return;
    }
    /* epidemic: entity 0 is the first rewrite at `start`, entity 1 each later one; the victim is a uniformly random
     * vulnerable HNB not yet rewritten (rejection sampling on a dedicated counter) */
    uint64_t tries = 0;
    for (;;) {
        double u = hnb_rng_uniform(a->stream, UINT32_MAX - 1, ev->arg + tries++);
        uint32_t i = (uint32_t)(u * a->n);
        if (vulnerable(a, i) && rewrite(a, i, 0))
            break;
        if (tries > 64ull * a->n) /* every vulnerable HNB is rewritten or out of reach */
            return;
    }
    hnb_sim_schedule(sim, ev->time, a->k_spread, 0, ev->arg + tries); /* remember the counter */
}

/* Carries the epidemic's counter to the next infection (the arg of on_attack). */
static void on_spread(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbAttack *a = ud;
    double infected = (double)a->st.attacked, v = (double)a->st.vulnerable;
    if (a->st.attacked >= a->st.vulnerable)
        return;
    double rate = a->p.spread_rate * infected * (1 - infected / v);
    double u = hnb_rng_uniform(a->stream, UINT32_MAX, ev->arg);
    HnbTime dt = (HnbTime)fmin(-log(u) / rate * 1e9, 9e18);
    if (ev->time + dt <= a->duration)
        hnb_sim_schedule(sim, ev->time + dt, a->k_attack, 1, ev->arg);
}

/* Repeated sweep number ev->arg: every exposed HNB the attacker can reach again. */
static void on_sweep(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbAttack *a = ud;
    uint32_t s = (uint32_t)ev->arg;
    for (uint32_t i = 0; i < a->n; i++)
        if (vulnerable(a, i))
            rewrite(a, i, s);
    HnbTime next = a->p.start + (HnbTime)(s + 1) * a->p.repeat;
    if (s < UINT32_MAX - 1 && next <= a->duration)
        hnb_sim_schedule(sim, next, a->k_sweep, 0, s + 1);
}

HnbAttack *hnb_attack_new(HnbSim *sim, const HnbAttackParams *p, uint32_t hnbs, HnbTime duration, HnbStream stream,
                          const HnbAttackTarget *target, void *ctx)
{
    g_return_val_if_fail(sim != NULL && p != NULL && target != NULL, NULL);
    HnbAttack *a = g_new0(HnbAttack, 1);
    *a = (HnbAttack){.sim = sim, .p = *p, .n = hnbs, .duration = duration, .stream = stream, .target = target,
                     .ctx = ctx};
    a->k_attack = hnb_sim_register(sim, "attack.rewrite", on_attack, a);
    a->k_spread = hnb_sim_register(sim, "attack.spread", on_spread, a);
    if (p->mode == HNB_ATTACK_NONE || p->start > duration)
        return a;
    for (uint32_t i = 0; i < hnbs; i++)
        a->st.vulnerable += vulnerable(a, i);
    if (a->st.vulnerable > 0)
        hnb_sim_schedule(sim, p->start, a->k_attack, 0, 0);
    if (a->st.vulnerable > 0 && p->repeat > 0) { /* registered only then: runs without it keep their kinds */
        a->k_sweep = hnb_sim_register(sim, "attack.sweep", on_sweep, a);
        if (p->repeat <= duration - p->start)
            hnb_sim_schedule(sim, p->start + p->repeat, a->k_sweep, 0, 1);
    }
    return a;
}

void hnb_attack_free(HnbAttack *a)
{
    g_free(a);
}

const HnbAttackStats *hnb_attack_stats(const HnbAttack *a)
{
    return &a->st;
}
