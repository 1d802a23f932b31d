/* models/fleet_run.h — one replication of the fleet model in steps, so that something other than the kernel's own
 * loop can drive it and something other than the model can answer its HNBs: `hnbsim drive` (issue 15) paces the
 * kernel in scaled real time and plays the sessions against a real H(e)MS, and a test plays them against a fake one.
 *
 *   run = hnb_fleet_run_new(...);                    the parts built, every first event scheduled
 *   ... run hnb_fleet_run_sim(run) up to hnb_fleet_run_duration(run), in one go or in slices ...
 *   hnb_fleet_run_finish(run, ...);                  censored at the horizon; metrics, series, recovery CDF
 *   hnb_fleet_run_free(run);
 *
 * hnb_model_fleet's `run` is exactly new(make = NULL) + hnb_model_run_kernel to the duration + finish + free, so a
 * stepped run with the model's H(e)MS writes what `hnbsim run` writes.
 */
#ifndef HNB_FLEET_RUN_H
#define HNB_FLEET_RUN_H

#include "models/hems.h"
#include "models/model.h"
#include "sim/window.h"

typedef struct HnbFleetRun HnbFleetRun;

/* Build the H(e)MS the HNBs talk to, on `sim`: it calls back through `acs_client` and `image_client` with ctx
 * `population`, adds every session opened as (1, 0) and every refusal as (0, 1) to `sessions_win` at the time it
 * happens (as hnb_acs_observe does: the peaks), and schedules nothing while it is built; the run frees it with
 * hnb_hems_free after its other parts.  FALSE with *error set: the
 * run is not started.  `data` is hnb_fleet_run_new's make_data. */
typedef gboolean (*HnbHemsNew)(void *data, HnbSim *sim, const HnbScenario *sc, guint rep,
                               const HnbAcsClient *acs_client, const HnbImageServerClient *image_client,
                               void *population, HnbWindow *sessions_win, HnbHems *out, GError **error);

/* The scenario must have passed the fleet model's validation (hnb_model_fleet.schema and its checks: what `hnbsim
 * run` loads).  make == NULL: the model's ACS and image server.  NULL with *error set if a part cannot be built (PKI,
 * TLS configuration, signing, make).  progress may be NULL and is borrowed, as the scenario is. */
HnbFleetRun *hnb_fleet_run_new(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbHemsNew make,
                               void *make_data, GError **error);
HnbSim *hnb_fleet_run_sim(HnbFleetRun *run);
HnbTime hnb_fleet_run_duration(const HnbFleetRun *run); /* [run] duration: run the kernel exactly to it */
/* The kernel has run to the duration: its results (out filled, *series and *cdf new), or FALSE with *error set when a
 * part failed during the run (a handshake that could not be run, a signature). */
gboolean hnb_fleet_run_finish(HnbFleetRun *run, HnbMetrics *out, HnbSeries **series, HnbSeries **cdf,
                              GError **error);
void hnb_fleet_run_free(HnbFleetRun *run); /* NULL is ignored */

#endif
