# w_vs_d.gp: W versus d at the largest N (block 0) and one mid N (block 1)
# (data: d W W_lo W_hi replicates N), with grey lines d^(1/2) (solid) and d^(5/2) (dashed)
# through the largest N's point at the smallest d.
load scriptdir.'/style.gp'
stats datafile using 2 nooutput
Wmin = STATS_min; Wmax = STATS_max
stats datafile index 0 every ::0::0 using 1 nooutput; d0 = STATS_min
stats datafile index 0 every ::0::0 using 2 nooutput; W0 = STATS_min
set yrange [Wmin / 3 : Wmax * 100]
do for [fmt in formats] {
  eval start(fmt)
  eval logd(xlo, xhi)
  eval logy
  set xlabel L('d', '$d$')
  set ylabel L(wsym_e, wsym_t)
  plot for [i=0:nblocks-1] datafile index i using 1:($5 > 1 ? $2 : NaN):3:4 with yerrorbars lt i+1 pt 7 ps 0.3, \
       for [i=0:nblocks-1] datafile index i using 1:2 with linespoints lt i+1 title key(i+1), \
       W0 * sqrt(x / d0) with lines ls 100 title L('d^{1/2}', '$d^{1/2}$'), \
       W0 * (x / d0)**2.5 with lines ls 101 title L('d^{5/2}', '$d^{5/2}$')
  unset output
}
