package dev.vmsup.supervisor.vm;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * QEMU's threads as {@code /proc} shows them. vmsup starts QEMU with {@code debug-threads=on}, so vCPU threads are
 * named {@code CPU n/TCG} or {@code CPU n/KVM}: a new one can be found and placed without a QMP round trip.
 */
public final class VcpuThreads {
    private final Path procRoot;

    /** @param procRoot where procfs is mounted, as cgroupfs' {@code CgroupHost.procRoot()} */
    public VcpuThreads(Path procRoot) {
        this.procRoot = procRoot;
    }

    /** Every thread id of {@code pid} (empty if it is gone). */
    public Set<Integer> tids(long pid) {
        Set<Integer> tids = new HashSet<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(procRoot.resolve(pid + "/task"))) {
            for (Path t : tasks) {
                tids.add(Integer.parseInt(t.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            return Set.of();
        }
        return tids;
    }

    /**
     * Threads of {@code pid} not in {@code before}: those whose names say they are vCPUs ({@code CPU n/TCG} or
     * {@code CPU n/KVM}, with their indexes n), and the others.
     */
    public Found newThreads(long pid, Set<Integer> before) {
        Found found = new Found(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int tid : tids(pid)) {
            if (!before.contains(tid)) {
                int index = vcpuIndex(pid, tid);
                if (index >= 0) {
                    found.vcpus().add(tid);
                    found.indexes().add(index);
                } else {
                    found.others().add(tid);
                }
            }
        }
        return found;
    }

    /** New threads of a process, by kind; {@code indexes} holds the vCPUs' indexes, in the order of {@code vcpus}. */
    public record Found(List<Integer> vcpus, List<Integer> others, List<Integer> indexes) {
    }

    /** The vCPU index in the thread's name, or -1 if the name is not a vCPU's (or the thread is gone). */
    private int vcpuIndex(long pid, int tid) {
        String comm;
        try {
            comm = Files.readString(procRoot.resolve(pid + "/task/" + tid + "/comm")).strip();
        } catch (IOException e) {
            return -1;
        }
        int slash = comm.indexOf('/');
        if (!comm.startsWith("CPU ") || slash < 0 || !(comm.endsWith("/TCG") || comm.endsWith("/KVM"))) {
            return -1;
        }
        try {
            return Integer.parseInt(comm.substring(4, slash));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
