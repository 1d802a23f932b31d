/* models/segw_ike.h — the SeGW's link to the IKE job (crypto/ike_job.h): the cryptographic cost and checks of every
 * tunnel set-up (or one in N with [tls] fidelity = sampled:N, the TLS handshakes' setting) run for real in the fleet's
 * worker pool, between the SeGW part's submit (a worker takes the set-up) and join (its modelled CPU time ends), as
 * acs_tls.h does for the ACS's handshakes.  Not an IKE implementation: what a set-up does with public keys, and the
 * checks that decide its outcome (models/segw.h has the capacity model around it).
 *
 * The SeGW part reaches it through hnb_segw_ike_crypto (an HnbSegwCrypto table, ctx: the HnbSegwIke).  Rekeys are not
 * run: CREATE_CHILD_SA has no certificate check that could fail ([segw] rekey_time models its cost).
 *
 * Lifetime: new after the pool and the engine exist (models/acs_tls.h owns both in the fleet); the SeGW part, which
 * abandons the set-ups on its workers, is freed first; free before the pool.
 */
#ifndef HNB_SEGW_IKE_H
#define HNB_SEGW_IKE_H

#include "crypto/ike_job.h"
#include "models/acs_tls.h"
#include "models/segw.h"
#include "sim/pool.h"

typedef struct {
    int64_t workers;         /* [segw] workers: at most this many set-ups in flight */
    HnbTlsFidelity fidelity; /* [tls] fidelity: full, or one real set-up in N (the others take its outcome) */
} HnbSegwIkeParams;

typedef struct {
    uint64_t setups;                           /* set-ups submitted */
    uint64_t real;                             /* of which real IKE jobs */
    uint64_t side[3];                          /* real jobs that failed, by HnbIkeSide (the side that refused) */
    uint64_t job_cpu_ns, segw_cpu_ns;          /* this machine's CPU time in the real jobs: both ends, the SeGW's */
} HnbSegwIkeStats;

typedef struct HnbSegwIke HnbSegwIke;

/* Jobs of `engine` submitted to `pool` with `run` (hnb_acs_tls_ike_run for the fleet's pool, hnb_ike_job_run for a
 * pool of IKE thread contexts).  All borrowed. */
HnbSegwIke *hnb_segw_ike_new(const HnbSegwIkeParams *p, HnbPool *pool, HnbJobFn run, HnbIkeEngine *engine);
void hnb_segw_ike_free(HnbSegwIke *g);
/* A job that could not be computed (an OpenSSL failure, not an outcome) during the run: FALSE with the error. */
gboolean hnb_segw_ike_error(HnbSegwIke *g, GError **error);
const HnbSegwIkeStats *hnb_segw_ike_stats(const HnbSegwIke *g);

extern const HnbSegwCrypto hnb_segw_ike_crypto;

#endif
