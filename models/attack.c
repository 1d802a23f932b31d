/* models/attack.c — the mass DoS rewrite (the seed's first doubt): an OS hole lets an attacker rewrite the writable
 * software of many HNBs at once; the rewritten image fails secure boot at the next boot.
 *
 * Which HNBs are vulnerable is draw 0 of ("attack.pick", i) < fraction, so every variant of a scenario (single,
 * golden, ab, ...) run with the same seed loses the same HNBs at the same moments: the comparison is between layouts,
 * not between luck.  `instant`: all vulnerable HNBs are rewritten at `start`.  `epidemic`: one is rewritten at
 * `start` and the rewrite spreads logistically, dI/dt = beta I (1 - I/V) over the V vulnerable HNBs.  Each rewritten
 * HNB is rebooted after `reboot_delay` (0: the attacker reboots it at once; a long delay: it meets its next reboot).
 */
#include "models/fleet.h"

#include <math.h>

static gboolean vulnerable(Fleet *f, uint32_t i)
{
    return hnb_rng_uniform(f->s_attack, i, 0) < f->attack_fraction;
}

/* Rewrite HNB i's writable images; FALSE if it is not running an OS the attacker can reach. */
static gboolean rewrite(Fleet *f, uint32_t i)
{
    Hnb *h = &f->hnb[i];
    if (h->state != HNB_S_RUNNING || (h->flags & (HNB_F_COMPROMISED | HNB_F_ON_GOLDEN)))
        return FALSE;
    if (f->attack_all_banks)
        h->images &= (uint8_t)~(HNB_IMG_A_OK | HNB_IMG_B_OK);
    else
        h->images &= (uint8_t)~((h->images & HNB_IMG_ON_B) ? HNB_IMG_B_OK : HNB_IMG_A_OK);
    h->flags |= HNB_F_COMPROMISED;
    f->attacked++;
    f->compromised_now++;
    HnbRng r = hnb_rng_at(f->s_attack, i, 1);
    HnbTime d = hnb_dist_sample_time(f->attack_reboot_delay, &r);
    hnb_sim_schedule(f->sim, hnb_sim_now(f->sim) + d, f->k_reboot, i, HNB_ARG(h->gen, 0));
    return TRUE;
}

static void on_attack(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    (void)sim;
    if (f->attack_mode == 1) {
        for (uint32_t i = 0; i < f->n; i++)
            if (vulnerable(f, i))
                rewrite(f, i);
        return;
    }
    /* epidemic: entity 0 is the first rewrite at `start`, entity 1 each later one; the victim is a uniformly random
     * vulnerable HNB not yet rewritten (rejection sampling on a dedicated counter) */
    uint64_t tries = 0;
    for (;;) {
        double u = hnb_rng_uniform(f->s_attack, UINT32_MAX - 1, ev->arg + tries++);
        uint32_t i = (uint32_t)(u * f->n);
        if (vulnerable(f, i) && rewrite(f, i))
            break;
        if (tries > 64ull * f->n) /* every vulnerable HNB is rewritten or out of reach */
            return;
    }
    hnb_sim_schedule(sim, ev->time, f->k_attack_spread, 0, ev->arg + tries); /* remember the counter */
}

/* Carries the epidemic's counter to the next infection (the arg of on_attack). */
static void on_attack_next(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    double infected = (double)f->attacked, v = (double)f->vulnerable;
    if (f->attacked >= f->vulnerable)
        return;
    double rate = f->spread_rate * infected * (1 - infected / v);
    double u = hnb_rng_uniform(f->s_attack, UINT32_MAX, ev->arg);
    HnbTime dt = (HnbTime)fmin(-log(u) / rate * 1e9, 9e18);
    if (ev->time + dt <= f->duration)
        hnb_sim_schedule(sim, ev->time + dt, f->k_attack, 1, ev->arg);
}

void hnb_fleet_attack_setup(Fleet *f)
{
    f->k_attack = hnb_sim_register(f->sim, "attack.rewrite", on_attack, f);
    f->k_attack_spread = hnb_sim_register(f->sim, "attack.spread", on_attack_next, f);
    if (f->attack_mode == 0 || f->attack_start > f->duration)
        return;
    for (uint32_t i = 0; i < f->n; i++)
        f->vulnerable += vulnerable(f, i);
    if (f->vulnerable > 0)
        hnb_sim_schedule(f->sim, f->attack_start, f->k_attack, 0, 0);
}
