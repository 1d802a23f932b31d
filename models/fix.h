/* models/fix.h — the fix part of the fleet: the OS hole the attacker used is known from the attack on; a fixed
 * image is built ([fix] develop later), signed for every HNB variant by the signing servers (models/signer.h, the
 * same queues, approvers, working hours and real signatures as the signing study), then published on the H(e)MS
 * ([fix] publish after its signature).  From then on the H(e)MS pushes the fixed image, not the vulnerable release.
 *
 * The part knows nothing of HNBs: it tells the population, through `published`, that variant v's fixed image is on
 * the H(e)MS; the population decides who needs it.  With [fix] enabled = false it schedules nothing and draws
 * nothing, so a scenario without it runs as before.
 */
#ifndef HNB_FIX_H
#define HNB_FIX_H

#include "models/signer.h"

typedef struct {
    gboolean enabled;       /* [fix] enabled */
    HnbTime known_at;       /* the hole is known: the attack's start (HNB_TIME_NEVER: no attack in the run) */
    const HnbDist *develop; /* [fix] develop: hole known -> fixed image built and submitted for signature */
    const HnbDist *publish; /* [fix] publish: an image signed -> on the H(e)MS (staging, tests) */
    uint32_t variants;      /* [signing] variants: HNB i is variant i % variants, one signed image each */
    HnbSignerParams signer; /* [signing] and [approval] */
} HnbFixParams;

typedef struct {
    HnbTime built, all_signed, first_published, all_published; /* HNB_TIME_NEVER: not in the run */
    uint32_t published;                                     /* variants published */
} HnbFixStats;

/* Variant v's fixed image is on the H(e)MS now. */
typedef void (*HnbFixPublished)(void *ctx, uint32_t variant);

typedef struct HnbFix HnbFix;

/* Registers its event kinds (and the signer's) and, if enabled and the hole is known within the run, schedules the
 * build.  Streams: "fix.develop", "fix.publish" and the signer's "fix.signing.*" of (seed, rep).  pool and pki are
 * borrowed (real signatures); NULL when disabled is fine for both. */
HnbFix *hnb_fix_new(HnbSim *sim, const HnbFixParams *p, uint64_t seed, guint rep, HnbPool *pool, const HnbPki *pki,
                    HnbFixPublished published, void *ctx);
void hnb_fix_free(HnbFix *f); /* joins signatures still at an HSM */

const HnbFixStats *hnb_fix_stats(const HnbFix *f);
/* The signer's counters, or NULL when the fix is disabled. */
const HnbSignerStats *hnb_fix_signer_stats(const HnbFix *f);
/* The first signature error (OpenSSL), or NULL; the caller owns it. */
GError *hnb_fix_take_error(HnbFix *f);

/* The [fix], [signing] and [approval] keys the fleet reads (fleet.c lists it among its schemas). */
extern const HnbKeySpec hnb_fix_schema[];
/* Read them; the scenario was validated at load. */
void hnb_fix_params_from_scenario(HnbFixParams *p, const HnbScenario *sc, HnbTime known_at);

#endif
