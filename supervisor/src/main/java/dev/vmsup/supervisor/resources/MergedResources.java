package dev.vmsup.supervisor.resources;

import java.math.BigDecimal;

import dev.vmsup.cgroupfs.CpuList;
import dev.vmsup.cgroupfs.CpuMax;
import dev.vmsup.supervisor.config.SupervisorConfig;

/**
 * The sandbox-wide limits computed from its containers.
 *
 * @param cpuMax        quota/period for the vcpu cgroup (unlimited when no container has a quota)
 * @param cpus          sum of quota/period of the limited containers, in CPUs (0 when none)
 * @param cpuShares     sum of shares, capped at the kernel maximum; null when no container sets shares
 * @param cpuset        union of the containers' cpus; empty means inherit the parent's
 * @param memset        union of the containers' mems; empty means inherit the parent's
 * @param memoryLimit   sum of memory limits in bytes, or -1 when any container (or none) is unlimited
 */
public record MergedResources(CpuMax cpuMax, BigDecimal cpus, Long cpuShares, CpuList cpuset, CpuList memset,
        long memoryLimit) {

    /** vCPUs wanted under {@code auto_vcpus}: the default plus the CPUs the quotas add up to, capped at max. */
    public int autoVcpus(int defaultVcpus, int maxVcpus) {
        BigDecimal extra = cpus.setScale(0, java.math.RoundingMode.CEILING);
        return extra.compareTo(BigDecimal.valueOf(maxVcpus)) >= 0 ? maxVcpus
                : Math.min(maxVcpus, defaultVcpus + extra.intValueExact());
    }

    /** With auto_vcpus on, the vCPU count these limits call for when it is above {@code current}; else 0. */
    public int autoGrowth(SupervisorConfig config, int current) {
        if (!config.autoVcpus()) {
            return 0;
        }
        int want = autoVcpus(config.vcpus(), config.maxVcpus());
        return want > current ? want : 0;
    }

    /** The sandbox cgroup's memory limit: containers plus overhead, or -1 (unlimited). */
    public long sandboxMemoryLimit(long overheadBytes) {
        return memoryLimit < 0 ? -1 : ResourceMerger.saturatingSum(memoryLimit, overheadBytes);
    }
}
