# rate_curve.gp: W versus N per d for ideal consistency training on a Gaussian target.
# Called by `ctrate plot` as: gnuplot -e "datafile='...'; outbase='...'" rate_curve.gp
# Data: one block per d (gnuplot index), columns N W2 W1lo W1hi W2qN coupling d.
if (!exists("datafile")) datafile = 'data/rate_curve.dat'
if (!exists("outbase")) outbase = 'rate_curve'

stats datafile using 1:2 nooutput
nblocks = STATS_blocks
Nmin = STATS_min_x
# reference slope -1 anchored at the first point of the largest-d curve
stats datafile index (nblocks - 1) using 1:2 nooutput
Wref = STATS_max_y

set logscale xy
set format x '10^{%L}'
set format y '10^{%L}'
set xlabel 'N (steps)'
set ylabel 'Wasserstein distance to X_1'
set key outside right top title 'd'
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set title 'Ideal consistency training, Gaussian target: W_2 (solid), W_1 bracket (dashed: upper, dotted: lower)'
ref(x) = Wref * Nmin / x

array dval[nblocks]
do for [i=1:nblocks] { stats datafile index (i-1) using 7 nooutput; dval[i] = int(STATS_min) }
do for [term=1:2] {
  if (term == 1) { set terminal pdfcairo size 6in,4in font 'Sans,9'; set output outbase.'.pdf' }
  if (term == 2) { set terminal pngcairo size 1200,800 font 'Sans,12'; set output outbase.'.png' }
  plot for [i=0:nblocks-1] datafile index i using 1:4 with lines dt 2 lw 1.5 lc i+1 notitle, \
       for [i=0:nblocks-1] datafile index i using 1:3 with lines dt 3 lw 1.5 lc i+1 notitle, \
       for [i=0:nblocks-1] datafile index i using 1:2 with linespoints lw 2 pt 7 ps 0.5 lc i+1 \
         title sprintf('%d', dval[i+1]), \
       ref(x) with lines dt 4 lw 2 lc rgb 'black' title 'slope -1'
  unset output
}
