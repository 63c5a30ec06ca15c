// Seeded, deterministic Telegraf-like line protocol (the plugins a Telegraf agent runs by default plus a few
// common ones) for tests and benchmarks. Canonical already: sorted tags, ns timestamps, one line per point.
// usage: node bench/lib/telegraf-lines.mjs LINES [SEED] > out.lp   (or import { telegrafLines })

/** A small linear congruential generator: the same seed gives the same lines on every machine. */
function lcg(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

const HOSTS = Array.from({ length: 64 }, (_, i) => `node-${String(i).padStart(3, '0')}.dc1.example.net`);
const num = (x) => String(Math.round(x * 1e4) / 1e4);
const int = (x) => `${Math.floor(x)}i`;

/** The `n` lines for `seed`, each without its newline. */
export function telegrafLineArray(n, seed = 42) {
  const rnd = lcg(seed);
  const out = new Array(n);
  let ts = 1735689600000000000n;
  for (let i = 0; i < n; i++) {
    const host = HOSTS[i % HOSTS.length];
    ts += 997000n;
    switch (i % 8) {
      case 0:
        out[i] = `cpu,cpu=cpu${i % 4},host=${host} usage_guest=0,usage_idle=${num(rnd() * 100)},usage_iowait=${num(rnd() * 3)},usage_system=${num(rnd() * 15)},usage_user=${num(rnd() * 80)} ${ts}`;
        break;
      case 1:
        out[i] = `mem,host=${host} active=${int(rnd() * 8e9)},available=${int(rnd() * 16e9)},available_percent=${num(rnd() * 100)},buffered=${int(rnd() * 5e8)},cached=${int(rnd() * 6e9)},free=${int(rnd() * 4e9)},total=17179869184i,used=${int(rnd() * 12e9)},used_percent=${num(rnd() * 100)} ${ts}`;
        break;
      case 2:
        out[i] = `disk,device=sda${1 + (i % 3)},fstype=xfs,host=${host},mode=rw,path=/srv/data\\ ${i % 3} free=${int(rnd() * 5e11)},inodes_free=${int(rnd() * 3e7)},inodes_total=32768000i,inodes_used=${int(rnd() * 2e6)},total=536870912000i,used=${int(rnd() * 5e11)},used_percent=${num(rnd() * 100)} ${ts}`;
        break;
      case 3:
        out[i] = `net,host=${host},interface=ens${3 + (i % 2)} bytes_recv=${int(rnd() * 1e13)},bytes_sent=${int(rnd() * 1e13)},drop_in=${i % 7}i,drop_out=0i,err_in=0i,err_out=0i,packets_recv=${int(rnd() * 1e10)},packets_sent=${int(rnd() * 1e10)} ${ts}`;
        break;
      case 4:
        out[i] = `system,host=${host} load1=${num(rnd() * 8)},load15=${num(rnd() * 8)},load5=${num(rnd() * 8)},n_cpus=4i,n_users=${i % 5}i,uptime=${2000000 + i}i,uptime_format="${i % 40} days, ${String(i % 24).padStart(2, ' ')}:${String(i % 60).padStart(2, '0')}" ${ts}`;
        break;
      case 5:
        out[i] = `diskio,host=${host},name=sda,serial=WD-${String(10000 + (i % 9))} io_time=${int(rnd() * 1e8)},iops_in_progress=0i,read_bytes=${int(rnd() * 1e13)},read_time=${int(rnd() * 1e7)},reads=${int(rnd() * 1e9)},weighted_io_time=${int(rnd() * 1e8)},write_bytes=${int(rnd() * 1e13)},write_time=${int(rnd() * 1e7)},writes=${int(rnd() * 1e9)} ${ts}`;
        break;
      case 6:
        out[i] = `procstat,host=${host},pattern=postgres,process_name=postgres,user=postgres cmdline="postgres: checkpointer",cpu_usage=${num(rnd() * 5)},memory_rss=${int(rnd() * 5e8)},num_threads=${1 + (i % 3)}i,pid=${4000 + (i % 40)}i,running=${i % 11 !== 0} ${ts}`;
        break;
      default:
        out[i] = `kernel,host=${host} boot_time=1735000000i,context_switches=${int(rnd() * 1e12)},entropy_avail=256i,interrupts=${int(rnd() * 1e12)},processes_forked=${int(rnd() * 1e8)} ${ts}`;
    }
  }
  return out;
}

/** The same lines as one text, each ending in a newline. */
export function telegrafLines(n, seed = 42) {
  return telegrafLineArray(n, seed).join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(telegrafLines(Number(process.argv[2] ?? 100000), Number(process.argv[3] ?? 42)));
}
