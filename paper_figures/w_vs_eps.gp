# w_vs_eps.gp: W at the largest N versus the injected error eps > 0, one colour per d
# (data: eps W W_lo W_hi replicates N d; one block per d), with the line W = eps.
load scriptdir.'/style.gp'
do for [fmt in formats] {
  eval start(fmt)
  eval logx(xlo, xhi)
  eval logy
  set xlabel L('{/Symbol e}', '$\varepsilon$')
  set ylabel L(wsym_e.' at the largest N', wsym_t.' at the largest $N$')
  plot for [i=0:nblocks-1] datafile index i using 1:($5 > 1 ? $2 : NaN):3:4 with yerrorbars lt i+1 pt 7 ps 0.3, \
       for [i=0:nblocks-1] datafile index i using 1:2 with linespoints lt i+1 title key(i+1), \
       x with lines ls 101 title L('W = {/Symbol e}', '$W = \varepsilon$')
  unset output
}
