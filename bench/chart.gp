# bench/chart.gp - docs/perf.png from bench/run.sh's results (gnuplot 5).
#   gnuplot -e "datafile='bench/results/latest.dat'; outfile='docs/perf.png'" bench/chart.gp
# datafile: one line per case, "CASE OURS REFERENCE UNIT" (NA = not measured).
# Three panels, one per unit; in each, patchbay beside its reference
# (DPDK testpmd, the copy limit for limit-*, the kernel for rtt-*).

if (!exists("datafile")) datafile = 'bench/results/latest.dat'
if (!exists("outfile")) outfile = 'docs/perf.png'

set terminal pngcairo size 1500,560 font "sans,10"
set output outfile
set datafile missing "NA"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9 relative
set grid ytics lc rgb "#dddddd"
set xtics rotate by -30 noenhanced nomirror
set key top right noenhanced
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
ours = "#1f6fb4"
ref = "#e08a1e"

# Rows of one unit, as a data file for the plots.
unit(u) = sprintf("< awk '$4 == \"%s\"' '%s'", u, datafile)
lbl(v) = (v == v) ? sprintf("%.2f", v) : "NA"

if (!exists("stamp")) stamp = ""
set multiplot title "patchbay vs reference, one run of bench/run.sh (median of the rounds)  ".stamp font "sans,12"

# The number of cases of unit u in the data file.
ncases(u) = system(sprintf("awk '$4 == \"%s\"' '%s' | wc -l", u, datafile)) + 0

# panel(u, reftitle): patchbay beside the reference for the cases of unit u,
# or an empty frame saying so when this run did not measure any.
panel(u, reftitle) = sprintf("n = ncases('%s'); if (n > 0) { set xrange [-0.6:n - 0.4]; " . \
	"plot unit('%s') using 2:xtic(1) title 'patchbay' lc rgb ours, " . \
	"'' using 3 title '%s' lc rgb ref, " . \
	"'' using ($0 - 1.0/6):2:(lbl($2)) with labels offset 0,0.7 font ',8' notitle, " . \
	"'' using ($0 + 1.0/6):3:(lbl($3)) with labels offset 0,0.7 font ',8' notitle " . \
	"} else { set xrange [0:1]; set yrange [0:1]; unset xtics; " . \
	"set label 1 'not measured in this run' at 0.5,0.5 center; plot NaN notitle; " . \
	"unset label 1; set xtics rotate by -30 noenhanced nomirror; set yrange [0:*] }", u, u, reftitle)

set origin 0, 0
set size 0.5, 0.95
set title "throughput, Mpps (higher is better)\nref: DPDK testpmd; limit-*: bare copy loop"
set ylabel "Mpps"
eval panel("Mpps", "reference")

set origin 0.5, 0
set size 0.28, 0.95
set title "round trip, 64 B, us (lower is better)\nref: kernel UDP over veth"
set ylabel "us"
eval panel("us", "kernel")

set origin 0.78, 0
set size 0.22, 0.95
set title "16 idle ports, % of one core\n(lower is better) ref: DPDK testpmd"
set ylabel "% CPU"
eval panel("%cpu", "DPDK")

unset multiplot
