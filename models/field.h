/* models/field.h — field service for HNBs that cannot recover remotely (bricked): technicians and their visits.
 *
 * A bricked HNB joins a FIFO of jobs.  Each job is a truck roll (a technician travels, repairs on site) or, with
 * probability ship_back, a ship-back (the subscriber mails the unit; it comes back after a turnaround time, without a
 * technician).  Technicians work only in working hours (a daily window, optionally weekdays only, in simulated time
 * where t = 0 is Monday 00:00): a visit is started only when it can start inside the window; work in progress is
 * finished.  The field module schedules its own kernel events and calls `repaired` when an HNB is back in service.
 */
#ifndef HNB_FIELD_H
#define HNB_FIELD_H

#include <glib.h>
#include <stdint.h>
#include "sim/dist.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/sim.h"

typedef struct {
    unsigned technicians;     /* 0: no field force (bricked HNBs stay bricked) */
    HnbTime day_start, day_end; /* working window within each day, e.g. 8h..17h; day_start == day_end: 24 h */
    gboolean weekdays_only;   /* no visits on days 5 and 6 of each week */
    HnbDist travel, repair;   /* per visit */
    double ship_back;         /* probability a job is a ship-back instead of a truck roll */
    HnbDist turnaround;       /* ship-back: from brick to back in service */
    double cost_truck_roll, cost_ship_back; /* per job, in currency units */
} HnbFieldParams;

/* The [field] group (technicians, working hours, travel, repair, ship-back, turnaround).  A model that lists it must
 * also have [cost] truck_roll and ship_back (numbers) in its own schema: hnb_field_params_from_scenario reads them. */
extern const HnbKeySpec hnb_field_schema[];
/* Parameters from a loaded scenario; HNB_ERROR_INPUT naming the file when the working window is not within a day. */
gboolean hnb_field_params_from_scenario(HnbFieldParams *p, const HnbScenario *sc, GError **error);

typedef struct HnbField HnbField;

/* repaired(hnb, user_data) is called from a kernel event when the HNB is back in service (its images restored). */
typedef void (*HnbFieldRepaired)(HnbSim *sim, uint32_t hnb, void *user_data);

/* Registers its event kinds on sim.  Random draws come from `stream`, per HNB (entity = hnb) and per job of that HNB,
 * so variants that brick the same HNBs see the same visits. */
HnbField *hnb_field_new(HnbSim *sim, const HnbFieldParams *p, HnbStream stream, HnbFieldRepaired repaired,
                        void *user_data);
void hnb_field_free(HnbField *f); /* after the run: pending field events point at f */

/* An HNB needs the field (now). */
void hnb_field_request(HnbField *f, uint32_t hnb);

typedef struct {
    uint64_t requests;     /* = truck_rolls + ship_backs + waiting */
    uint64_t truck_rolls;  /* visits started */
    uint64_t ship_backs;   /* ship-backs requested */
    uint64_t done;         /* HNBs back in service (repaired called) */
    size_t waiting;        /* truck-roll jobs not yet started */
    double cost;           /* so far: a visit is costed when it starts, a ship-back when requested */
    double technician_busy_hours; /* travel + repair, booked when a visit starts */
} HnbFieldStats;
void hnb_field_stats(const HnbField *f, HnbFieldStats *out);

/* What the field still owes at `now` (the end of a run), for a cost to completion.  No random draw: a visit in
 * progress ends when its drawn travel + repair say, a ship-back under way when its drawn turnaround says; a truck roll
 * still queued is projected through the FIFO as if every visit took the mean travel + mean repair: each goes to the
 * technician free first (from the end of his current visit, or now), starts at that time or when the next working
 * window opens, and ends a mean visit later.  done_ns sums, over the HNBs owed, the time from `now` until the field
 * hands them back (INFINITY with jobs queued and no technician). */
typedef struct {
    uint64_t hnbs;   /* queued truck rolls + visits in progress + ship-backs under way */
    uint64_t visits; /* queued truck rolls: visits not yet started (their cost is not booked yet) */
    double done_ns;
} HnbFieldOwed;
void hnb_field_owed(const HnbField *f, HnbTime now, HnbFieldOwed *out);

#endif
