package dev.vmsup.supervisor.usage;

import java.util.List;
import java.util.Map;

/**
 * One measurement of a sandbox's processes (virtiofsd with the child it forks into its sandbox) at {@code atMillis} (monotonic): CPU time so far and tasks (threads) per
 * group ({@link #CPU_GROUPS}), in microseconds, and memory per process ({@link #PROCESSES}).
 */
public record UsageSample(long atMillis, Map<String, Long> cpuMicros, Map<String, Integer> tasks,
        Map<String, ProcessMemory> memory) {
    /** vmsup, QEMU's vCPU threads, QEMU's other threads, virtiofsd, the VM's kernel threads. */
    public static final String[] CPU_GROUPS = {"vmsup", "qemu_vcpus", "qemu_other", "virtiofsd", "kernel_threads"};
    /** The processes whose memory is measured. */
    public static final String[] PROCESSES = {"vmsup", "qemu", "virtiofsd"};

    public UsageSample {
        cpuMicros = Map.copyOf(cpuMicros);
        tasks = Map.copyOf(tasks);
        memory = Map.copyOf(memory);
    }

    /** Takes one sample of {@code s} through {@code proc}. */
    public static UsageSample take(ProcReader proc, Subjects s, long atMillis) {
        long vcpus = 0;
        for (long tid : s.vcpuThreads()) {
            vcpus += proc.threadCpuMicros(s.qemuPid(), tid);
        }
        long qemuAll = s.qemuPid() > 0 ? proc.processCpuMicros(s.qemuPid()) : 0;
        List<Long> virtiofsd = s.virtiofsdPid() > 0 ? proc.withDescendants(s.virtiofsdPid()) : List.of();
        long virtiofsdCpu = 0;
        int virtiofsdTasks = 0;
        ProcessMemory virtiofsdMemory = ProcessMemory.NONE;
        for (long pid : virtiofsd) {
            virtiofsdCpu += proc.processCpuMicros(pid);
            virtiofsdTasks += proc.threads(pid).size();
            virtiofsdMemory = virtiofsdMemory.plus(proc.memory(pid, s.guestMemoryBytes()));
        }
        long kernel = 0;
        for (long pid : s.kernelThreads()) {
            kernel += proc.processCpuMicros(pid);
        }
        Map<String, Long> cpu = Map.of(
                "vmsup", proc.processCpuMicros(s.vmsupPid()),
                "qemu_vcpus", vcpus,
                "qemu_other", Math.max(0, qemuAll - vcpus),
                "virtiofsd", virtiofsdCpu,
                "kernel_threads", kernel);
        int qemuTasks = s.qemuPid() > 0 ? proc.threads(s.qemuPid()).size() : 0;
        Map<String, Integer> tasks = Map.of(
                "vmsup", proc.threads(s.vmsupPid()).size(),
                "qemu_vcpus", s.vcpuThreads().size(),
                "qemu_other", Math.max(0, qemuTasks - s.vcpuThreads().size()),
                "virtiofsd", virtiofsdTasks,
                "kernel_threads", s.kernelThreads().size());
        Map<String, ProcessMemory> memory = Map.of(
                "vmsup", proc.memory(s.vmsupPid(), 0),
                "qemu", s.qemuPid() > 0 ? proc.memory(s.qemuPid(), s.guestMemoryBytes()) : ProcessMemory.NONE,
                "virtiofsd", virtiofsdMemory);
        return new UsageSample(atMillis, cpu, tasks, memory);
    }

    /** PSS of everything of the sandbox on the host that is not the guest's RAM. */
    public long overheadMemoryBytes() {
        long sum = 0;
        for (ProcessMemory m : memory.values()) {
            sum += m.overheadPss();
        }
        return sum;
    }

    /** CPU time of everything that is not a vCPU thread, in microseconds. */
    public long overheadCpuMicros() {
        return cpuMicros.get("vmsup") + cpuMicros.get("qemu_other") + cpuMicros.get("virtiofsd")
                + cpuMicros.get("kernel_threads");
    }
}
