# w_vs_eps.gp: W at the largest N versus the injected error eps > 0, one colour per d
# (data: eps W W_lo W_hi replicates N d; one block per d), with the line W = eps.
load scriptdir.'/style.gp'
do for [fmt in formats] {
  eval start(fmt)
  eval logx(xlo, xhi)
  eval logy
  set xlabel L('{/Symbol e}', '$\varepsilon$')
  # W / eps: the floor's approach (W -> eps) is the approach of the curves to 1
  set ylabel L('W / {/Symbol e} at the largest N (W: '.wsym_e.')', '$W / \varepsilon$ at the largest $N$ ($W$: '.wsym_t.')')
  plot for [i=0:nblocks-1] datafile index i using 1:($5 > 1 ? $2 / $1 : NaN):($3 / $1):($4 / $1) with yerrorbars lt i+1 pt 7 ps 0.3, \
       for [i=0:nblocks-1] datafile index i using 1:($2 / $1) with linespoints lt i+1 title key(i+1), \
       1 with lines ls 101 title L('W = {/Symbol e}', '$W = \varepsilon$')
  unset output
}
