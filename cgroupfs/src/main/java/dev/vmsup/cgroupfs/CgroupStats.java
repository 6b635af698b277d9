package dev.vmsup.cgroupfs;

/**
 * Usage of one cgroup, hierarchical (descendants included). A null field means the controller that
 * reports it is not available for this cgroup on this host.
 */
public record CgroupStats(Long cpuUsageUs, Long cpuThrottledUs, Long cpuThrottledPeriods, Long memoryCurrentBytes,
        Long memoryAnonBytes, Long pidsCurrent) {
}
