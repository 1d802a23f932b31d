/* models/signing_risk.h — what a compromise of signing servers and of the people with signing rights yields, under
 * M-of-N approval and the three key designs of [signing] keys (seed doubt 3: fewer servers are safer, more are
 * faster — unless a signature needs more than one of them).
 *
 * Who signs for an attacker.  Server j signs an image the HNBs accept for whoever holds it: its host (with HSM access:
 * the approvals are a check the server itself enforces) or `quorum` of its approvers (M-of-N approval: M approvals
 * from the same server's people, who are then "the server" as far as the HSM is concerned).  A single person signs
 * nothing when quorum >= 2.  Then:
 *   shared      one key on every server: any one server signing for the attacker is a key compromise;
 *   per_server  a key per server, each in the HNBs' trust set: the same, any one server is enough — but the key to
 *               revoke is that server's alone, and the other servers keep signing while it is replaced;
 *   threshold   an image needs shares from K distinct servers: the attacker needs K of them.
 * With quorum 1 and shared keys this is the model before those keys existed: rate S·(server + A·person), and the
 * analytic probability is computed by the same expression, bit for bit.
 *
 * Pure functions of their arguments, no state: the signing model and the tests call them.
 */
#ifndef HNB_SIGNING_RISK_H
#define HNB_SIGNING_RISK_H

#include <glib.h>
#include <stdint.h>
#include "models/signer.h"

typedef struct {
    unsigned servers;   /* S >= 1 */
    uint32_t approvers; /* A per server */
    uint32_t quorum;    /* M, 1 <= M (M > A: the people never sign) */
    HnbSigningKeys keys;
    uint32_t threshold; /* K: shares per image (1 unless keys == THRESHOLD), 1 <= K <= S */
} HnbSigningRisk;

/* Does server j sign for the attacker, given whether its host is compromised and how many of its approvers are? */
gboolean hnb_signing_server_signs(const HnbSigningRisk *r, gboolean host, uint32_t officers);

/* Can the attacker make a signature the HNBs accept, given each server's host (host[j]) and compromised approvers
 * (officers[j])? */
gboolean hnb_signing_attacker_signs(const HnbSigningRisk *r, const gboolean *host, const uint32_t *officers);

/* When the attacker can first sign, given when each host falls (host_t[j]) and each approver (person_t[j·A + a]);
 * INFINITY for never.  The quorum-th earliest approver of a server, or its host if earlier, makes it sign; the
 * threshold-th earliest server (1st unless threshold) makes a signature. */
double hnb_signing_first_time(const HnbSigningRisk *r, const double *host_t, const double *person_t);

/* P(the attacker can sign within horizon_s) when each host falls at rate server_rate and each person at person_rate
 * (1/s), all independent.  Quorum 1 and K = 1: 1 - exp(-S(server + A·person)·horizon), as before these keys. */
double hnb_signing_p_analytic(const HnbSigningRisk *r, double server_rate, double person_rate, double horizon_s);

/* The share of the S servers that still make accepted signatures while the key(s) of one compromised server are
 * replaced: 0 with a shared key (every server holds it), (S-1)/S per server, and with threshold:K (S-1)/S if the
 * other S-1 servers are still >= K, else 0. */
double hnb_signing_capacity_after(const HnbSigningRisk *r);

#endif
