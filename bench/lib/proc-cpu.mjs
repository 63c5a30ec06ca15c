// CPU of a process and its children, from /proc (Linux): what a server spent, whoever drives it.
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 1000 / 100; // /proc stat ticks (USER_HZ = 100 on Linux)

/** The pid and every descendant's pid. */
export function tree(pid) {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {}
  }
  const res = [pid];
  for (let i = 0; i < res.length; i++) res.push(...(kids.get(res[i]) ?? []));
  return res;
}

/** User + system CPU milliseconds of these processes so far (a process gone meanwhile counts 0). */
export function cpuMs(pids) {
  let ticks = 0;
  for (const p of pids) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks * TICK_MS;
}
