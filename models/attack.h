/* models/attack.h — the attacker part of the fleet: the mass DoS rewrite (the seed's first doubt).
 *
 * The attacker acts on HNBs only through its HnbAttackTarget table: rewrite an HNB's writable images (the HNB decides
 * whether its state lets the attacker in), then reboot it after a delay.
 */
#ifndef HNB_ATTACK_H
#define HNB_ATTACK_H

#include <glib.h>
#include <stdint.h>
#include "sim/dist.h"
#include "sim/rng.h"
#include "sim/sim.h"

typedef enum {
    HNB_ATTACK_NONE,
    HNB_ATTACK_INSTANT,  /* every vulnerable HNB is rewritten at `start` */
    HNB_ATTACK_EPIDEMIC, /* one at `start`, then a logistic spread over the vulnerable set */
} HnbAttackMode;

typedef enum {
    HNB_ATTACK_BANKS_ALL,    /* every writable bank */
    HNB_ATTACK_BANKS_ACTIVE, /* only the active one (ab layouts then fall back to the other) */
} HnbAttackBanks;

/* The schema's enums: "none", "instant", "epidemic"; "all", "active". */
HnbAttackMode hnb_attack_mode_parse(const char *text);
HnbAttackBanks hnb_attack_banks_parse(const char *text);

typedef struct {
    HnbAttackMode mode;
    HnbTime start;
    double fraction;             /* share of the fleet the OS hole exposes */
    double spread_rate;          /* epidemic: rewrites per rewritten HNB per second while all are susceptible */
    HnbAttackBanks banks;        /* which writable images it rewrites */
    const HnbDist *reboot_delay; /* from the rewrite to the reboot */
    HnbTime repeat;              /* sweep again every `repeat` after start (0: never) */
} HnbAttackParams;

typedef struct {
    /* rewrite HNB i's writable images (`banks`); FALSE if the attacker cannot reach its OS */
    gboolean (*rewrite)(void *ctx, uint32_t hnb, HnbAttackBanks banks);
    void (*reboot_in)(void *ctx, uint32_t hnb, HnbTime delay); /* reboot it `delay` from now */
} HnbAttackTarget;

typedef struct {
    uint64_t vulnerable; /* HNBs the hole exposes (counted only when an attack comes) */
    uint64_t attacked;   /* rewrites (an HNB rewritten again by a repeated sweep counts again) */
    uint64_t repeated;   /* of which by the repeated sweeps */
} HnbAttackStats;

typedef struct HnbAttack HnbAttack;

/* Registers its event kinds and schedules the attack on a fleet of `hnbs` (nothing when mode is none or start lies
 * after `duration`).  Draws from `stream` ("attack.pick"): draw 0 of entity i decides whether HNB i is vulnerable. */
HnbAttack *hnb_attack_new(HnbSim *sim, const HnbAttackParams *p, uint32_t hnbs, HnbTime duration, HnbStream stream,
                          const HnbAttackTarget *target, void *ctx);
void hnb_attack_free(HnbAttack *a);
const HnbAttackStats *hnb_attack_stats(const HnbAttack *a);

#endif
