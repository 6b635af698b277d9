package dev.vmsup.supervisor.usage;

import java.util.List;

/**
 * What one sample measures: the processes and threads of a sandbox as it stands, and the guest memory figures the
 * advisor needs.
 *
 * @param vmsupPid             the supervisor
 * @param qemuPid              QEMU, or -1
 * @param virtiofsdPid         virtiofsd, or -1
 * @param vcpuThreads          QEMU's vCPU threads (the rest of its threads are overhead)
 * @param kernelThreads        the VM's kernel threads (kvm-pit), their own processes
 * @param guestMemoryBytes     the guest's RAM as configured
 * @param containerLimitsBytes the sum of the containers' memory limits (0 when none has one)
 */
public record Subjects(long vmsupPid, long qemuPid, long virtiofsdPid, List<Long> vcpuThreads,
        List<Long> kernelThreads, long guestMemoryBytes, long containerLimitsBytes) {
    public Subjects {
        vcpuThreads = List.copyOf(vcpuThreads);
        kernelThreads = List.copyOf(kernelThreads);
    }
}
