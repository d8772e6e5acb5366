# nstar.gp: N*(d, eps), the N at which W falls to 2 eps, versus d, one colour per eps
# (data: d Nstar eps; one block per eps). Dashed in the same colour: the bound's
# N* proportional to d^(5/2) / eps, through the first point.
load scriptdir.'/style.gp'
stats datafile using 2 nooutput
Nmin = STATS_min; Nmax = STATS_max
stats datafile index 0 every ::0::0 using 1 nooutput; d0 = STATS_min
stats datafile index 0 every ::0::0 using 2 nooutput; N0 = STATS_min
stats datafile index 0 every ::0::0 using 3 nooutput; e0 = STATS_min
array E[nblocks]
do for [i=1:nblocks] { stats datafile index (i - 1) using 3 nooutput; E[i] = STATS_min }
set yrange [Nmin / 3 : Nmax * 100]
do for [fmt in formats] {
  eval start(fmt)
  eval logd(xlo, xhi)
  eval logy
  set xlabel L('d', '$d$')
  set ylabel L('N*(d, {/Symbol e}): first N with W <= 2{/Symbol e}', '$N^*(d, \varepsilon)$: first $N$ with $W \le 2\varepsilon$')
  set label 98 L('W: '.wsym_e, '$W$: '.wsym_t) at graph 0.98, graph 0.04 right front # the top holds the settings line
  plot for [i=0:nblocks-1] datafile index i using 1:2 with linespoints lt i+1 title key(i+1), \
       for [i=1:nblocks] N0 * (x / d0)**2.5 * e0 / E[i] with lines lt i dt (8, 4) lw 1, \
       NaN with lines ls 102 title L('d^{5/2} / {/Symbol e}', '$d^{5/2} / \varepsilon$')
  unset output
}
