/* tools/drive/equivalent.h — the speed-equivalent scenario: what a drive at speed X meets, written as a scenario the
 * model can run (docs/DESIGN.md, "`hnbsim drive` and the validation study", part 1).
 *
 * A drive runs the scenario's clock X times faster than real time while each session runs at real speed, so a real
 * duration d spans X·d of scenario time and a real rate r moves r/X per scenario second.  The model of what the drive
 * measures is therefore the scenario with its session-side durations times X — [acs] handshake_time,
 * resumed_handshake_time, cwmp_time, rtt, handshake_rtt, [cwmp] session_timeout, [hnb] syn_rto — and its transfer
 * rates divided by X — [download] bandwidth, access_link.  What the HNBs do on their own (boots, installs, waits) is
 * modelled in scenario time either way and is left alone.  At X = 1 nothing changes.
 */
#ifndef HNB_DRIVE_EQUIVALENT_H
#define HNB_DRIVE_EQUIVALENT_H

#include "sim/scenario.h"

/* Rewrite sc in place (each key changed carries a note naming the speed); FALSE with an error if a scaled value is
 * out of its key's range (e.g. a session timeout that would exceed it). */
gboolean hnb_drive_equivalent(HnbScenario *sc, double speed, GError **error);

#endif
