/* models/maintenance.h — what an HNB relies on in a session with a local maintenance tool (models/maintenance.c): the
 * clock it checks the tool certificate's validity against and the tool CA's CRL it checks it with, given the HNB's own
 * settings and what a finder who stands at the HNB does to it.  A pure function of its inputs, shared by the model and
 * its tests, so that the tests' real handshakes see exactly the clock and the CRL the model's would.
 *
 * The HNB.  It saves its clock every `save_interval` at its own phase and, after a power loss, restarts from the last
 * save (TS 33.320 clause 6.3.1: the clock is restored to the last saved value; 0: saved at the cut itself, so a power
 * cycle loses no time).  It fetches the tool CA's CRL every `fetch_interval` at its own phase and, with
 * `crl_session`, also at the start of each tool session (RFC 5280 6.3: the relying party decides how fresh the CRL it
 * checks must be; clause 8.3.4 leaves it open).  With `ntp_at_boot`, after a power cycle it takes the time from NTP
 * before it accepts a tool session.  Fetching a CRL and NTP both need the HNB's WAN.
 *
 * The finder.  `cut_wan`: the HNB has no WAN during his session (it fetches nothing, so it checks the CRL it last
 * fetched, and it cannot take the time).  `power_cycle`: before his session he cuts the HNB's power; its clock restarts
 * from its last save and, unless NTP corrects it first, the session is checked against that clock (the model asks
 * for it only once his certificate has expired: before, a clock set back can only cost him).  When he leaves,
 * the WAN is back and the clock is corrected before his next visit (each session is on its own).
 */
#ifndef HNB_MAINTENANCE_H
#define HNB_MAINTENANCE_H

#include <glib.h>
#include "sim/time.h"

typedef struct {
    HnbTime save_interval, save_phase;   /* [power] clock_save_interval; this HNB's phase in [0, save_interval) */
    HnbTime fetch_interval, fetch_phase; /* [revocation] fetch_interval; this HNB's phase in [0, fetch_interval) */
    HnbTime crl_interval;                /* [revocation] crl_interval: publications at k·crl_interval */
    gboolean crl_session;                /* [hnb] tool_crl_check = session */
    gboolean ntp_at_boot;                /* [hnb] ntp_at_boot */
    gboolean cut_wan, power_cycle;       /* [thief] cut_wan; power_cycle: he power-cycles before this session */
} HnbMaintHnb;

typedef struct {
    HnbTime clock;     /* the HNB's clock: the tool certificate's validity (and the CRL's) is checked against it */
    HnbTime crl_pub;   /* the publication the CRL it checks comes from (its thisUpdate; it lists the tools reported
                          by then); 0, the empty CRL of t = 0, before its first fetch */
    gboolean fetched;  /* it fetched that CRL for this session ([hnb] tool_crl_check = session, WAN up) */
} HnbMaintSession;

/* Session at true time t >= 0. */
HnbMaintSession hnb_maint_session(const HnbMaintHnb *h, HnbTime t);

/* How long before t the HNB last saved its clock: in [0, save_interval), 0 without saves. */
HnbTime hnb_maint_clock_lag(const HnbMaintHnb *h, HnbTime t);

#endif
