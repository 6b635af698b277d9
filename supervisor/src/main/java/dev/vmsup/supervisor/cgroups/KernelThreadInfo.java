package dev.vmsup.supervisor.cgroups;

/**
 * One kernel thread of the VM as the supervisor placed it.
 *
 * @param cgroup where it was placed (QEMU's non-vCPU cgroup), or null when the kernel refused the move
 * @param error  the kernel's refusal, or null
 */
public record KernelThreadInfo(int pid, String name, String cgroup, String error) {
    public boolean placed() {
        return cgroup != null;
    }
}
