# sample_cost.gp: the total samples N n* learned CT needs for its W to stay within a factor of
# ideal CT's, against N, one colour per d (data: N Nn Nn_lo Nn_hi censored d fit; one block per
# d, written by scripts/sample_cost.py --figure). Filled points with bars: n* found, with the 95%
# bootstrap interval over replicates; open triangles: censored cells (down: within the factor
# already at the smallest n, an upper bound; up: never within it, a lower bound); dashed in the
# same colour: the fit log(N n*) = a log N + b log d + c over the uncensored cells (fitkey names
# it); grey: N^1 (the same n at every N) and N^2 through the first point of the smallest d.
load scriptdir.'/style.gp'
if (!exists("fitkey")) fitkey = ''
stats datafile index 0 every ::0::0 using 1 nooutput; N0 = STATS_min
stats datafile index 0 every ::0::0 using 2 nooutput; T0 = STATS_min
stats datafile using 2 nooutput
ylo = STATS_min / 3; yhi = STATS_max * 3
set yrange [ylo : yhi]
load scriptdir.'/ticks.gp'
do for [fmt in formats] {
  eval start(fmt)
  eval logx(xlo, xhi)
  eval logy
  set xlabel L('N (steps)', '$N$ (steps)')
  set ylabel L('N n* (total training samples)', '$N n^*$ (total training samples)')
  plot for [i=0:nblocks-1] datafile index i using 1:($5 == 0 ? $2 : NaN):3:4 with yerrorbars lt col(i) pt 7 ps 0.4 notitle, \
       for [i=0:nblocks-1] datafile index i using 1:($5 == 0 ? $2 : NaN) with linespoints lt col(i) pt ptof(i) title key(i + 1), \
       for [i=0:nblocks-1] datafile index i using 1:($5 == 1 ? $2 : NaN) with points lt col(i) pt 10 ps 0.9 notitle, \
       for [i=0:nblocks-1] datafile index i using 1:($5 == 2 ? $2 : NaN) with points lt col(i) pt 8 ps 0.9 notitle, \
       for [i=0:nblocks-1] datafile index i using 1:7 with lines lt col(i) dt (8, 4) lw 1 notitle, \
       (fitkey ne '' ? NaN : 1/0) with lines ls 102 title fitkey, \
       T0 * x / N0 with lines ls 100 title L('N^1 (n* constant)', '$N^1$ ($n^*$ constant)'), \
       T0 * (x / N0)**2 with lines ls 101 title L('N^2', '$N^2$')
  unset output
}
