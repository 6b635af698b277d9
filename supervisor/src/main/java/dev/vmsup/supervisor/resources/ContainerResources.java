package dev.vmsup.supervisor.resources;

import dev.vmsup.cgroupfs.CpuList;

/**
 * The part of one container's OCI {@code LinuxResources} that the sandbox merges: {@code cpu.quota},
 * {@code cpu.period}, {@code cpu.shares}, {@code cpu.cpus}, {@code cpu.mems}, {@code memory.limit}. Null means
 * unset; a quota of -1 (or unset) means no CPU limit; a memory limit of -1 (or unset) means unlimited.
 */
public record ContainerResources(Long cpuQuota, Long cpuPeriod, Long cpuShares, CpuList cpus, CpuList mems,
        Long memoryLimit) {
    public static final ContainerResources NONE = new ContainerResources(null, null, null, null, null, null);

    /** True if this container asks for a CFS limit (quota > 0 and period > 0). */
    public boolean hasCpuLimit() {
        return cpuQuota != null && cpuQuota > 0 && cpuPeriod != null && cpuPeriod > 0;
    }

    public boolean hasMemoryLimit() {
        return memoryLimit != null && memoryLimit > 0;
    }
}
