package dev.vmsup.supervisor.cgroups;

import java.util.LinkedHashSet;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.Cgroup;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.supervisor.resources.MergedResources;

/**
 * The merged limits of one sandbox as written to its cgroups: CPU time and cpuset on vcpu, memory on the sandbox
 * cgroup (with sandbox_cgroup_only). Remembers what it last wrote to vcpu, so that an unchanged cpuset is not written
 * again. Used under the sandbox's lock.
 */
final class SandboxLimits {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxLimits.class);

    private final Cgroup sandbox;
    private final Cgroup vcpu;
    private final Set<String> warned = new LinkedHashSet<>();
    /** What the last apply wrote to vcpu; null before the first and after one that failed (all is written again). */
    private Resources onVcpuInForce;

    SandboxLimits(Cgroup sandbox, Cgroup vcpu) {
        this.sandbox = sandbox;
        this.vcpu = vcpu;
    }

    /**
     * Writes the merged limits: CFS quota, shares and cpuset on the vcpu cgroup; with sandbox_cgroup_only the
     * memory limit on the sandbox cgroup. A controller this host does not offer for the cgroup is skipped with a
     * warning (once); returns the limits now in force. The cpuset is written only when it differs from what the last
     * apply wrote: a resize changes the CFS quota, not the cpuset (whose "inherit" cost a read of the parent's value
     * and two writes on every resize).
     */
    Resources apply(MergedResources merged, boolean sandboxCgroupOnly, long memoryOverheadBytes) {
        Set<String> vcpuControllers = vcpu.controllers();
        Resources.Builder onVcpu = Resources.builder();
        if (available(vcpuControllers, "cpu", vcpu.path())) {
            onVcpu.cpuMax(merged.cpuMax());
            if (merged.cpuShares() != null) {
                onVcpu.cpuShares(merged.cpuShares());
            }
        }
        if (available(vcpuControllers, "cpuset", vcpu.path())) {
            onVcpu.cpus(merged.cpuset()).mems(merged.memset());
        }
        Resources written = onVcpu.build();
        Resources before = onVcpuInForce;
        onVcpuInForce = null;
        vcpu.setResources(changedSince(before, written));
        onVcpuInForce = written;
        if (sandboxCgroupOnly && available(sandbox.controllers(), "memory", sandbox.path())) {
            long limit = merged.sandboxMemoryLimit(memoryOverheadBytes);
            sandbox.setResources(Resources.builder().memoryMaxBytes(limit).build());
            return new Resources(written.cpuMax(), written.cpuShares(), written.cpus(), written.mems(), limit, null);
        }
        return written;
    }

    /**
     * {@code wanted} without a cpuset equal to the one in {@code before} (all of it when {@code before} is null). The
     * CPU time limits are always kept: they are what a hotplug recomputes, and writing them corrects a change made
     * behind vmsup's back.
     */
    private static Resources changedSince(Resources before, Resources wanted) {
        if (before == null) {
            return wanted;
        }
        Resources.Builder changed = Resources.builder().cpuMax(wanted.cpuMax());
        if (wanted.cpuShares() != null) {
            changed.cpuShares(wanted.cpuShares());
        }
        if (wanted.cpus() != null && !wanted.cpus().equals(before.cpus())) {
            changed.cpus(wanted.cpus());
        }
        if (wanted.mems() != null && !wanted.mems().equals(before.mems())) {
            changed.mems(wanted.mems());
        }
        return changed.build();
    }

    private boolean available(Set<String> controllers, String controller, CgroupPath where) {
        if (controllers.contains(controller)) {
            return true;
        }
        if (warned.add(controller + where)) {
            LOG.warn("controller '{}' is not in use for {} (not on this host, not in v1_controllers, or not enabled on v2): "
                    + "its limits are not enforced", controller,
                    where);
        }
        return false;
    }
}
