# gauss_vs_mixture.gp: W versus N for Gaussian and mixture targets on the same axes, one
# colour per target and engine at one d (data: N W W_lo W_hi replicates; one block per
# curve), with grey slopes N^-1 (solid) and N^-1/2 (dashed) from the first point.
load scriptdir.'/style.gp'
stats datafile index 0 every ::0::0 using 1 nooutput; N0 = STATS_min
stats datafile index 0 every ::0::0 using 2 nooutput; W0 = STATS_min
stats datafile using 2 nooutput
ylo = STATS_min / 2; yhi = STATS_max * 2  # the data, with room; short ranges get their tics
set yrange [ylo : yhi]
load scriptdir.'/ticks.gp'
do for [fmt in formats] {
  eval start(fmt)
  eval logx(xlo, xhi)
  eval logy
  set xlabel L('N (steps)', '$N$ (steps)')
  set ylabel L(wsym_e, wsym_t)
  plot for [i=0:nblocks-1] datafile index i using 1:($5 > 1 ? $2 : NaN):3:4 with yerrorbars lt i+1 pt 7 ps 0.3, \
       for [i=0:nblocks-1] datafile index i using 1:2 with linespoints lt i+1 title key(i+1), \
       W0 * N0 / x with lines ls 100 title L('N^{-1}', '$N^{-1}$'), \
       W0 * sqrt(N0 / x) with lines ls 101 title L('N^{-1/2}', '$N^{-1/2}$')
  unset output
}
