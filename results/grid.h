/* results/grid.h — the grid of a sweep: the cross product of value lists of scenario keys.
 *
 * Each axis is one key with its values, written as `GROUP.KEY=LIST` or `GROUP.KEY=FROM..TO[:STEP|xFACTOR]`:
 *     acs.workers=1..8            1 2 3 ... 8 (an integer range steps by 1 unless told)
 *     acs.workers=1..1024x2       1 2 4 ... 1024 (geometric; figures use a log axis)
 *     download.bandwidth=1Gbps..10Gbps:3Gbps    1Gbps 4Gbps 7Gbps 10Gbps
 *     hnb.layout=single,golden    a list: any key type; commas inside parentheses belong to the value
 * FROM, TO and STEP are read by the key's own parser (units included); every value is then checked against the key's
 * schema row exactly as a scenario file would be, so a grid never holds a value a file could not.  A range reaches
 * TO only if a step lands on it (as a loop `for (v = FROM; v <= TO; v += STEP)` would).
 *
 * Points are numbered in row-major order: the first axis varies slowest.  A grid can be written into a GKeyFile
 * (sweep.ini) and read back without the scenario, so `hnbsim merge` needs only the result directories.
 */
#ifndef HNB_GRID_H
#define HNB_GRID_H

#include <glib.h>
#include "sim/scenario.h"

typedef struct {
    char *name;         /* "group.key" */
    GPtrArray *values;  /* char *: each value as a scenario file would hold it */
    GArray *x;          /* double per value: its number for a figure's x axis (durations in s); NAN: not a number */
    char *unit;         /* the x unit ("s", "bit/s", "" ...) */
    gboolean geometric; /* given as FROM..TOxFACTOR */
} HnbGridAxis;

typedef struct {
    GPtrArray *axes; /* HnbGridAxis * */
} HnbGrid;

HnbGrid *hnb_grid_new(void);
void hnb_grid_free(HnbGrid *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbGrid, hnb_grid_free)

/* Add the axis `entry` ("group.key=SPEC") checked against sc's schema.  `origin` names where the entry came from in
 * messages ("--vary acs.workers=0..3", "FILE:LINE: [sweep] vary").  HNB_ERROR_INPUT on any problem. */
gboolean hnb_grid_add(HnbGrid *g, const HnbScenario *sc, const char *entry, const char *origin, GError **error);

/* Split a `[sweep] vary` text into entries at ';' (blank entries dropped). */
char **hnb_grid_split(const char *text);

guint hnb_grid_points(const HnbGrid *g); /* 1 for a grid without axes */
/* The value index on `axis` of point `point`. */
guint hnb_grid_index(const HnbGrid *g, guint point, guint axis);
const char *hnb_grid_value(const HnbGrid *g, guint point, guint axis);
/* "group.key=value" for every axis at `point` (appended to out, for use as --set overrides). */
void hnb_grid_sets(const HnbGrid *g, guint point, GPtrArray *out);
/* "acs.workers=4, hnb.layout=golden": a point for messages. */
char *hnb_grid_describe(const HnbGrid *g, guint point);

/* Into / out of groups "axis N" of a key file. */
void hnb_grid_save(const HnbGrid *g, GKeyFile *kf);
HnbGrid *hnb_grid_load(GKeyFile *kf, const char *source, GError **error);

#endif
