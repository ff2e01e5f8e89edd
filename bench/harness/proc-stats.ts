import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { round } from './figures';

/**
 * What Linux says about processes the benchmark watches: resident memory
 * from /proc/<pid>/status, CPU time from /proc/<pid>/stat, the machine's busy
 * time from /proc/stat. Null when the process is gone or /proc is missing.
 */

/** Resident memory in MB: `VmHWM` (the kernel's high-water mark since start) or `VmRSS` (now). */
export function memoryMb(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}

const CLOCK_TICKS_PER_SECOND = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(out.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** User + system CPU seconds a process has used so far. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores). */
function machineSeconds(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
    const [, ...values] = line.trim().split(/\s+/);
    const ticks = values.map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) / CLOCK_TICKS_PER_SECOND, total: total / CLOCK_TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/** Processes to watch, by role (a role may be several processes, e.g. Postgres backends). */
export type ProcessGroups = Record<string, readonly number[]>;

export interface CpuProfile {
  /** CPU of each role over the window, in % of one core (200 = two cores busy). */
  pctOfOneCore: Record<string, number>;
  /** The whole machine's busy time over the window, in % of all its cores. */
  machineBusyPct: number | null;
  seconds: number;
}

/**
 * CPU use per role over a window: `start()` reads every process's CPU time,
 * `stop()` reads it again. The groups are asked again at the end, so a
 * process that appeared meanwhile counts with all its time (it all fell in
 * the window); one that ended meanwhile is missed.
 */
export class CpuMeter {
  private startedAt = 0;
  private before = new Map<number, number>();
  private machineBefore: { busy: number; total: number } | null = null;

  constructor(private readonly groups: () => Promise<ProcessGroups>) {}

  async start(): Promise<void> {
    this.before = new Map();
    for (const pids of Object.values(await this.groups())) for (const pid of pids) this.before.set(pid, cpuSeconds(pid) ?? 0);
    this.machineBefore = machineSeconds();
    this.startedAt = performance.now();
  }

  async stop(): Promise<CpuProfile> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const machineAfter = machineSeconds();
    const pctOfOneCore: Record<string, number> = {};
    for (const [role, pids] of Object.entries(await this.groups())) {
      let used = 0;
      for (const pid of pids) used += Math.max(0, (cpuSeconds(pid) ?? 0) - (this.before.get(pid) ?? 0));
      pctOfOneCore[role] = round((used / seconds) * 100, 0);
    }
    const machineBusyPct =
      this.machineBefore && machineAfter ? round(((machineAfter.busy - this.machineBefore.busy) / (machineAfter.total - this.machineBefore.total)) * 100, 0) : null;
    return { pctOfOneCore, machineBusyPct, seconds: round(seconds, 1) };
  }
}
