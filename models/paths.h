/* models/paths.h — the fleet's compliance per path: who authenticates to whom, with what, on each path an HNB uses.
 *
 * The [tls] group's report (crypto/tls_check.c) judges the TLS profile of TS 33.320 clause 8.3.4 once for the whole
 * scenario; it cannot say that the golden module has no credential for the SeGW, or that it speaks plain HTTP over
 * the public internet.  These lines do, one per path, in the same "PASS  ..." / "FAIL  ..." form, so that `check`
 * prints them and report.html's compliance table shows them beside the profile's rules.  They are a reading of the
 * specification for the configured layout, not an outcome of the run: tls_profile_compliant does not depend on them.
 *
 * The paths: the release image to the SeGW (TS 33.320 clause 7.1/7.3: IKEv2 with the device certificate; only with
 * [hems] reach = segw) and to the H(e)MS (clause 8.3.4: TLS); with a golden module (layouts golden and ab+golden),
 * the golden module to the SeGW (by [golden] credential) and to the H(e)MS (by [golden] tls and credential).
 */
#ifndef HNB_PATHS_H
#define HNB_PATHS_H

#include <glib.h>
#include "sim/scenario.h"

typedef struct {
    gboolean segw;          /* [hems] reach = segw: a SeGW between the HNBs and the H(e)MS */
    gboolean golden;        /* the layout has a golden module */
    const char *credential; /* [golden] credential: "device", "recovery" or "none" (any other text reads as none) */
    gboolean golden_tls;    /* [golden] tls */
} HnbPaths;

/* The paths of a loaded fleet scenario (credential borrowed from it). */
void hnb_paths_from_scenario(HnbPaths *p, const HnbScenario *sc);
/* Append one "PASS  ..." or "FAIL  ..." line per path to out. */
void hnb_paths_report(const HnbPaths *p, GString *out);
/* Both, as the fleet model's HnbModel.compliance hook. */
void hnb_paths_compliance(const HnbScenario *sc, GString *out);

#endif
