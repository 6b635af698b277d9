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

    /** Threads of {@code pid} not in {@code before}: those whose names say they are vCPUs, and the others. */
    public Found newThreads(long pid, Set<Integer> before) {
        Found found = new Found(new ArrayList<>(), new ArrayList<>());
        for (int tid : tids(pid)) {
            if (!before.contains(tid)) {
                (isVcpu(pid, tid) ? found.vcpus() : found.others()).add(tid);
            }
        }
        return found;
    }

    /** New threads of a process, by kind. */
    public record Found(List<Integer> vcpus, List<Integer> others) {
    }

    private boolean isVcpu(long pid, int tid) {
        try {
            String comm = Files.readString(procRoot.resolve(pid + "/task/" + tid + "/comm")).strip();
            return comm.startsWith("CPU ") && (comm.endsWith("/TCG") || comm.endsWith("/KVM"));
        } catch (IOException e) {
            return false;
        }
    }
}
