/* results/sweep.h — the result of a sweep: the plan (grid, variants, replications), the cells run so far, and the
 * files built from them.
 *
 * A cell is one (variant, point, replication) run; it keeps its metrics as the text points.csv holds ("%.10g", C
 * locale).  aggregate.csv and the figures are computed from those texts read back, not from the doubles in memory,
 * so a result merged from shard directories (which only have the text) is byte-identical to one machine's.
 *
 *   DIR/sweep.ini           the plan (scenario hash, grid, variants, replications, metrics; [shard] in a shard)
 *   DIR/points.csv          one row per cell: [variant,]point,replication,<varied keys>,<every metric>
 *   DIR/aggregate.csv       one row per point: [variant,]point,<varied keys>,n,[ci_target_met,]then per metric
 *                           METRIC_mean, METRIC_ci95_half (Student t over the point's replications)
 *   DIR/figures/METRIC.*    each chosen metric against the first varied key, 95% CI error bars (yerrorlines), one
 *                           curve per variant and value of the other keys
 * A shard directory holds sweep.ini and its own rows of points.csv only; hnbsim merge writes the rest.
 */
#ifndef HNB_SWEEP_H
#define HNB_SWEEP_H

#include "results/grid.h"
#include "results/results.h"

typedef struct {
    guint variant, point, rep;
    char **texts; /* one per metric, NULL-terminated */
} HnbSweepCell;

typedef struct {
    /* the plan: the same in every shard of one sweep */
    char *scenario; /* its [scenario] name */
    guint64 seed;
    char *version;
    char *hash;          /* SHA-256 of the resolved scenario text(s): shards of different scenarios do not merge */
    GPtrArray *variants; /* char *: variant names, empty for a plain scenario */
    HnbGrid *grid;
    guint replications;  /* per point; with a ci target, the first round */
    char *ci_target;     /* "" or "METRIC=HALFWIDTH[%]" */
    guint max_replications;
    char *plot;          /* metrics to draw, space-separated */
    char *caption;       /* the assumptions every figure states (hnb_results_caption of the swept scenario(s), and
                          * which keys vary); "": none.  Kept in sweep.ini so a merge draws the same figures */
    guint shard, nshards; /* this directory's share, 1-based (0/0: all of it) */
    /* learnt from the first run */
    GPtrArray *metric_names, *metric_units; /* char * */
    /* the ci target once the metric's unit is known (hnb_sweep_prepare) */
    int ci_metric; /* -1: none */
    double ci_value;
    gboolean ci_relative;
    /* the cells, in any order until written */
    GPtrArray *cells; /* HnbSweepCell * */
} HnbSweep;

HnbSweep *hnb_sweep_new(void);
void hnb_sweep_free(HnbSweep *sw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbSweep, hnb_sweep_free)

guint hnb_sweep_nvariants(const HnbSweep *sw); /* 1 for a plain scenario */

/* Record a run.  The first sets the metric list; every later one must report the same names in the same order. */
gboolean hnb_sweep_add(HnbSweep *sw, guint variant, guint point, guint rep, const HnbMetrics *m, GError **error);

/* Once the metrics are known: check the chosen figure metrics and the ci target (its metric, its value in the
 * metric's unit) and remember the target.  HNB_ERROR_INPUT naming the unknown metric and the known ones. */
gboolean hnb_sweep_prepare(HnbSweep *sw, GError **error);

/* Index of a metric, -1 if unknown; and "known metrics: a, b, c" for messages. */
int hnb_sweep_metric(const HnbSweep *sw, const char *name);
char *hnb_sweep_known_metrics(const HnbSweep *sw);

/* Mean, 95% half-width (NAN below 2) and count of metric m over the cells of (variant, point). */
void hnb_sweep_stat(const HnbSweep *sw, guint variant, guint point, guint m, double *mean, double *half, guint *n);
/* Does (variant, point) meet the ci target with its cells so far? */
gboolean hnb_sweep_target_met(const HnbSweep *sw, guint variant, guint point);

/* The shard (1-based) that runs cell (variant, point, rep) of nshards: with fixed replications the cells are dealt
 * round-robin; with a ci target whole points are (their replications depend on each other). */
guint hnb_sweep_shard_of(const HnbSweep *sw, guint variant, guint point, guint rep, guint nshards);

/* Write sweep.ini and points.csv; unless the sweep is a shard, also aggregate.csv and the figures (*rendered as for
 * hnb_results_write_figures). */
gboolean hnb_sweep_write(HnbRunDir *rd, HnbSweep *sw, gboolean *rendered, GError **error);

/* Read a directory written by hnb_sweep_write back (sweep.ini and points.csv). */
HnbSweep *hnb_sweep_read(const char *dir, GError **error);

/* A value as a target or ci target gives it ("4h", "0.01", "2%"), in the unit of the metric ("h", "s", "" ...):
 * durations convert to a metric in ns, us, ms, s, min, h or d; a percentage to a metric without unit. */
gboolean hnb_metric_value_parse(const char *text, const char *unit, double *out, GError **error);

#endif
