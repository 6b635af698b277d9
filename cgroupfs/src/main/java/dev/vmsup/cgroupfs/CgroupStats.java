package dev.vmsup.cgroupfs;

/**
 * Usage of one cgroup, hierarchical (descendants included). A null field means the controller that
 * reports it is not available for this cgroup on this host (a threaded cgroup v2 child has no memory figures).
 * Anonymous and file memory come from {@code memory.stat}: v2's {@code anon} and {@code file}, v1's {@code total_rss}
 * and {@code total_cache} (file includes tmpfs and shared memory, such as a memfd guest RAM, in both).
 */
public record CgroupStats(Long cpuUsageUs, Long cpuThrottledUs, Long cpuThrottledPeriods, Long memoryCurrentBytes,
        Long memoryAnonBytes, Long memoryFileBytes, Long pidsCurrent) {
}
