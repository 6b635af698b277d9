package dev.vmsup.supervisor.resources;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Collection;

import dev.vmsup.cgroupfs.CpuList;
import dev.vmsup.cgroupfs.CpuMax;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.supervisor.config.ConfigException;

/**
 * Merges containers' resources into the sandbox's, as {@code cgroup-layout.md} specifies: each container with
 * quota and period contributes quota/period CPUs; they are summed over one period, the largest among the
 * containers (so no precision is lost), and rounded up to a whole microsecond. cpusets are united; memory
 * limits and shares are summed. Pure: no I/O.
 */
public final class ResourceMerger {
    /** The largest CFS quota the kernel takes: 2^44-1 us (its MAX_BW). */
    public static final long MAX_QUOTA_US = (1L << 44) - 1;

    private ResourceMerger() {
    }

    public static MergedResources merge(Collection<ContainerResources> containers) {
        long period = 0;
        for (ContainerResources c : containers) {
            if (c.hasCpuLimit()) {
                period = Math.max(period, c.cpuPeriod());
            }
        }
        BigDecimal cpus = BigDecimal.ZERO;
        for (ContainerResources c : containers) {
            if (c.hasCpuLimit()) {
                cpus = cpus.add(BigDecimal.valueOf(c.cpuQuota()).divide(BigDecimal.valueOf(c.cpuPeriod()), 12,
                        RoundingMode.HALF_EVEN));
            }
        }
        CpuMax cpuMax;
        if (period == 0) {
            cpuMax = CpuMax.unlimited();
        } else {
            BigDecimal quota = cpus.multiply(BigDecimal.valueOf(period)).setScale(0, RoundingMode.CEILING);
            if (quota.compareTo(BigDecimal.valueOf(MAX_QUOTA_US)) > 0) {
                throw new ConfigException("cpu.quota", "cpu.quota: the containers' quotas add up to " + quota.toPlainString()
                        + " us per " + period + " us period, more than the kernel accepts (" + MAX_QUOTA_US + " us)");
            }
            cpuMax = new CpuMax(Math.max(CpuMax.MIN_QUOTA_US, quota.longValueExact()), period);
        }

        Long shares = null;
        CpuList cpuset = CpuList.EMPTY;
        CpuList memset = CpuList.EMPTY;
        boolean anyUnlimited = containers.isEmpty();
        long memory = 0;
        for (ContainerResources c : containers) {
            if (c.cpuShares() != null) {
                shares = Math.min(Resources.MAX_SHARES, (shares == null ? 0 : shares) + c.cpuShares());
            }
            if (c.cpus() != null) {
                cpuset = cpuset.union(c.cpus());
            }
            if (c.mems() != null) {
                memset = memset.union(c.mems());
            }
            if (c.hasMemoryLimit()) {
                memory = saturatingSum(memory, c.memoryLimit());
            } else {
                anyUnlimited = true;
            }
        }
        return new MergedResources(cpuMax, cpus, shares, cpuset, memset, anyUnlimited ? -1 : memory);
    }

    /**
     * {@code a + b} for non-negative byte counts, or 2^63-1 when the sum leaves 64 bits: the kernel takes that as no
     * limit, which is what such a sum means (never a negative number).
     */
    static long saturatingSum(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
