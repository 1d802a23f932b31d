/* tools/drive/hems_drive.h — a real H(e)MS behind the HnbHems seam (models/hems.h): `hnbsim drive`'s implementation
 * (docs/DESIGN.md, "`hnbsim drive` and the validation study", parts 2 and 3).
 *
 * Every session the fleet model hands to its H(e)MS becomes a real one through tools/drive/client.h — TCP, the
 * clause 8.3.4 handshake with the HNB's device (or recovery) credential, the CWMP exchange — and every download a
 * real HTTPS GET with its signed manifest checked.  What the HNB brings comes from the population (HnbAcsClient.peer):
 * its kept TLS session, its pending event codes, whether it needs the image (reported as SoftwareVersion: the golden
 * version, so the real campaign decides to send a Download, or the published one).  What the server decides comes
 * back as the model's outcomes: ok with the action the server took (a Download, or nothing), refused (8005/503, SYN,
 * RST, closed), failed (the handshake, a timeout, a cut).  An outcome enters the kernel as an event posted through the
 * pacer (tools/drive/pace.h), so the HNB's next step runs at the scenario time the outcome happened.
 *
 * Counted as the model counts (models/acs.h HnbAcsStats, image_server.h HnbImageServerStats), from the client's
 * timestamps × speed: latencies in scenario seconds.  Sessions that end after the run has ended (the grace) are not
 * handed to the population and are counted apart (HnbHemsDriveExtra).
 */
#ifndef HNB_HEMS_DRIVE_H
#define HNB_HEMS_DRIVE_H

#include "models/fleet_run.h"
#include "tools/drive/client.h"
#include "tools/drive/pace.h"

typedef struct {
    struct ev_loop *loop;       /* the client's and the pacer's */
    HnbDriveClient *client;     /* borrowed; outlives the run */
    double speed;               /* scenario seconds per real second */
    const char *image_version;  /* the published release's SoftwareVersion (`hnbsim acs --image-version`) */
    const char *golden_version; /* what an HNB that needs the image reports (its golden module, or an old release) */
    uint32_t devices;           /* dev<i> of the PKI directory exist for i < devices: the fleet's size */
    gboolean wan;               /* emulate [acs] rtt: each round trip waits a draw (client.h wan_rtt) */
} HnbHemsDriveConfig;

typedef struct HnbHemsDrive HnbHemsDrive;

/* What `make` (an HnbHemsNew) is given as data: the configuration in, the implementation out (borrowed: the fleet run
 * frees it with its other parts). */
typedef struct {
    HnbHemsDriveConfig cfg;
    HnbHemsDrive *made;
} HnbHemsDriveSetup;

gboolean hnb_hems_drive_new(void *setup, HnbSim *sim, const HnbScenario *sc, guint rep,
                            const HnbAcsClient *acs_client, const HnbImageServerClient *image_client,
                            void *population, HnbWindow *sessions_win, HnbHems *out, GError **error);

/* The pacer that runs the kernel (made after the run, which owns the kernel): set before it starts. */
void hnb_hems_drive_set_pace(HnbHemsDrive *d, HnbPace *pace);

/* Measured, beyond the model's counters. */
typedef struct {
    uint64_t outcomes[HNB_DRIVE_OUTCOME_COUNT];            /* sessions by the client's outcome, the grace's included */
    uint64_t image_outcomes[HNB_DRIVE_IMAGE_OUTCOME_COUNT]; /* image fetches likewise */
    uint64_t after_end;        /* sessions that ended after the run's end (not handed to the population) */
    uint64_t after_end_ok;     /* of which ended with the final 204 */
    uint64_t in_flight;        /* sessions and fetches still under way now */
    uint64_t connects_late;    /* connects that started more than 10 ms after their scenario time (pace lag) */
    char first_failure[240];   /* the first failed session's outcome and detail ("" none) */
} HnbHemsDriveExtra;
void hnb_hems_drive_extra(const HnbHemsDrive *d, HnbHemsDriveExtra *out);
/* sessions.csv: a row per session that ended, in the order they ended — replication, hnb, time_ns (the scenario time
 * of its connect), events (its Inform's codes), then what was measured: outcome, reason (the handshake's, or -),
 * connect_us, handshake_us, first_response_us, end_us (real µs from connect(); nan when not reached).  The first
 * four columns are the schedule's: two drives of one scenario and seed against a server that never refuses agree on
 * them (sorted), as the model does on its sessions. */
const char *hnb_hems_drive_sessions_csv(const HnbHemsDrive *d);
/* Cut every session and fetch still under way (counted as open); no callback follows. */
void hnb_hems_drive_cut_all(HnbHemsDrive *d);

#endif
