/**
 * A process's counters between two samples taken by bench-node.mjs's `sample`: counts,
 * seconds, CPU as a % of one core, event-loop utilization (from perf_hooks' idle and active
 * times, computed here so that samples can cross the IPC channel as plain objects).
 */
export function between(a, b) {
  const seconds = (b.at - a.at) / 1000;
  const delta = {};
  for (const [key, value] of Object.entries(b)) {
    if (typeof value === 'number' && key !== 'at') delta[key] = value - a[key];
  }
  const cpuMicros = b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);
  const idle = b.elu.idle - a.elu.idle;
  const active = b.elu.active - a.elu.active;
  return {
    ...delta,
    seconds,
    cpuPercent: (cpuMicros / 1e6 / seconds) * 100,
    eventLoopUtilization: idle + active > 0 ? active / (idle + active) : null,
  };
}
