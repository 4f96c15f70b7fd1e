// Task-level cpu and memory as ECS reads them: cpu in CPU units (1024 = 1 vCPU) or "N vCPU";
// memory in MiB or "N GB" (ECS counts a GB as 1024 MiB). Both are written back as unit strings
// so the rendered file, its diff and the Fargate check all see one form.

const CPU_UNITS = /^\d+$/;
const VCPU = /^(\d+(?:\.\d+)?|\.\d+)\s*vcpus?$/i;
const MIB = /^(\d+)\s*(?:mib|mb)?$/i;
const GB = /^(\d+(?:\.\d+)?|\.\d+)\s*(?:gib|gb)$/i;

/** CPU units, or undefined when `text` is not a CPU amount. */
export function parseCpuUnits(text: string): number | undefined {
  const value = text.trim();
  if (CPU_UNITS.test(value)) return Number(value);
  const vcpu = VCPU.exec(value);
  if (!vcpu) return undefined;
  const units = Number(vcpu[1]) * 1024;
  return Number.isInteger(units) ? units : undefined;
}

/** MiB, or undefined when `text` is not a memory amount. */
export function parseMemoryMiB(text: string): number | undefined {
  const value = text.trim();
  const mib = MIB.exec(value);
  if (mib) return Number(mib[1]);
  const gb = GB.exec(value);
  if (!gb) return undefined;
  const amount = Number(gb[1]) * 1024;
  return Number.isInteger(amount) ? amount : undefined;
}

export const CPU_HINT = "CPU units like 1024 or '1 vCPU'";
export const MEMORY_HINT = "MiB like 2048 or '2 GB'";

const GIB = 1024;

function range(fromGiB: number, toGiB: number, stepGiB: number): number[] {
  const values: number[] = [];
  for (let g = fromGiB; g <= toGiB; g += stepGiB) values.push(g * GIB);
  return values;
}

/** Fargate's task sizes: each CPU value and the memory (MiB) it may be paired with. */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1, 4, 1)],
  [1024, range(2, 8, 1)],
  [2048, range(4, 16, 1)],
  [4096, range(8, 30, 1)],
  [8192, range(16, 60, 4)],
  [16384, range(32, 120, 8)],
]);

function describeChoices(memory: readonly number[]): string {
  if (memory.length <= 4) return memory.join(', ');
  const step = memory[1]! - memory[0]!;
  return `${memory[0]}–${memory.at(-1)} in steps of ${step}`;
}

/** Why a cpu/memory pair cannot run on Fargate, or undefined when it can. */
export function fargateSizeProblem(cpu: number, memory: number): string | undefined {
  const choices = FARGATE_SIZES.get(cpu);
  if (!choices) {
    return `cpu ${cpu} is not a Fargate size (use one of ${[...FARGATE_SIZES.keys()].join(', ')})`;
  }
  if (!choices.includes(memory)) {
    return `memory ${memory} does not fit cpu ${cpu} on Fargate (use ${describeChoices(choices)} MiB)`;
  }
  return undefined;
}
