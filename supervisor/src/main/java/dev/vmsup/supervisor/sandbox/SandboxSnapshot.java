package dev.vmsup.supervisor.sandbox;

import java.util.List;
import java.util.Map;

import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.KernelThreadInfo;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.config.SandboxId;
import dev.vmsup.supervisor.resources.ContainerResources;

/**
 * The sandbox as it stands after its last change, immutable: what the API's JSON, {@code ctl status}, the
 * terminal summary and the metrics render. Taking one never waits for a change in progress.
 *
 * @param virtiofsdPid     virtiofsd's pid, or -1 without a shared directory
 * @param vcpus            the vCPUs after the last placement, by index
 * @param vanishedThreads  vCPU threads that exited between QEMU reporting them and their move (ESRCH), since start
 * @param kernelThreads    the VM's kernel threads (kvm-pit under KVM) and where they were placed
 * @param resourcesInForce the limits last written
 * @param containers       the containers' resources, by container id, in the order they were added
 */
public record SandboxSnapshot(SandboxId id, SandboxState state, long qemuPid, long virtiofsdPid,
        boolean sandboxCgroupOnly, CgroupVersion cgroupVersion, CgroupLayout layout, List<VcpuInfo> vcpus,
        int maxVcpus, int vanishedThreads, List<KernelThreadInfo> kernelThreads, Resources resourcesInForce, Map<String, ContainerResources> containers) {

    public SandboxSnapshot {
        vcpus = List.copyOf(vcpus);
        kernelThreads = List.copyOf(kernelThreads);
        containers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(containers));
    }

    /** The same sandbox in state {@code next}. */
    public SandboxSnapshot withState(SandboxState next) {
        return new SandboxSnapshot(id, next, qemuPid, virtiofsdPid, sandboxCgroupOnly, cgroupVersion, layout, vcpus,
                maxVcpus, vanishedThreads, kernelThreads, resourcesInForce, containers);
    }

    /** "sandbox_cgroup_only" (everything in the sandbox cgroup) or "overhead" (the default mode). */
    public String mode() {
        return sandboxCgroupOnly ? "sandbox_cgroup_only" : "overhead";
    }
}
