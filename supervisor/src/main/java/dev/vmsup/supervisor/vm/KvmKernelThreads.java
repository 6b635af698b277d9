package dev.vmsup.supervisor.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the kernel threads KVM made for a VM that the kernel leaves in the root cgroup. On the kernels measured
 * here that is {@code kvm-pit/<QEMU pid>}, the in-kernel PIT timer: created with the VM, driven by the guest, ended
 * with the VM. ({@code vhost-<pid>} workers and {@code kvm-nx-lpage-recovery} are attached by the kernel itself
 * to the cgroups of the process that created the VM, so they need nothing.) Kernel threads are children of
 * kthreadd (pid 2): only those are read, not every process.
 */
public final class KvmKernelThreads {
    private static final String KTHREADD_CHILDREN = "2/task/2/children";
    private final Path procRoot;

    /** @param procRoot where procfs is mounted, as cgroupfs' {@code CgroupHost.procRoot()} */
    public KvmKernelThreads(Path procRoot) {
        this.procRoot = procRoot;
    }

    /** The kernel threads of the VM run by QEMU process {@code qemuPid}; empty when there are none. */
    public List<KernelThread> of(long qemuPid) {
        String pit = "kvm-pit/" + qemuPid;
        List<KernelThread> found = new ArrayList<>();
        for (int pid : kernelThreadPids()) {
            String comm = comm(pid);
            if (pit.equals(comm)) {
                found.add(new KernelThread(pid, comm));
            }
        }
        return found;
    }

    /** kthreadd's children, or every pid when the kernel does not list children (no CONFIG_PROC_CHILDREN). */
    private List<Integer> kernelThreadPids() {
        try {
            String children = Files.readString(procRoot.resolve(KTHREADD_CHILDREN)).strip();
            return children.isEmpty() ? List.of() : Stream.of(children.split("\\s+")).map(Integer::valueOf).toList();
        } catch (IOException | NumberFormatException e) {
            try (Stream<Path> all = Files.list(procRoot)) {
                return all.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                        .map(Integer::valueOf).toList();
            } catch (IOException again) {
                return List.of();
            }
        }
    }

    private String comm(int pid) {
        try {
            return Files.readString(procRoot.resolve(pid + "/comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
