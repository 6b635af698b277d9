package dev.vmsup.supervisor.cgroups;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.Placement;
import dev.vmsup.qmp.CpuInfo;
import dev.vmsup.supervisor.SupervisorEvents;

/**
 * Which vCPU threads sit in the vcpu cgroup. It is handed QEMU's CPU list and places what is new; it never asks QEMU
 * itself. A thread that exits before its move (ESRCH) is counted and reported, not an error.
 */
public final class VcpuPlacement {
    private static final Logger LOG = LoggerFactory.getLogger(VcpuPlacement.class);

    private final SandboxCgroups cgroups;
    private final Set<Integer> placed = new HashSet<>();
    private volatile SupervisorEvents events = SupervisorEvents.NONE;
    private int vanished;

    public VcpuPlacement(SandboxCgroups cgroups) {
        this.cgroups = cgroups;
    }

    public void events(SupervisorEvents value) {
        events = value;
    }

    /** Places threads known to be vCPUs before QEMU has listed them (right after a hotplug). */
    public void placeNew(List<Integer> tids) {
        for (int tid : tids) {
            if (cgroups.placeVcpuThread(tid) == Placement.MOVED) {
                placed.add(tid);
            }
        }
    }

    /** Places every vCPU in {@code cpus} not yet placed; returns them all, by index. */
    public List<VcpuInfo> reconcile(List<CpuInfo> cpus) {
        List<VcpuInfo> now = new ArrayList<>();
        Set<Integer> alive = new HashSet<>();
        for (CpuInfo cpu : cpus) {
            int tid = cpu.threadId();
            alive.add(tid);
            boolean ok = placed.contains(tid);
            if (!ok) {
                if (cgroups.placeVcpuThread(tid) == Placement.GONE) {
                    vanished++;
                    events.placementFailed();
                    LOG.warn("vCPU {} thread {} exited before it could be placed (ESRCH)", cpu.cpuIndex(), tid);
                } else {
                    placed.add(tid);
                    ok = true;
                }
            }
            now.add(new VcpuInfo(cpu.cpuIndex(), cpu.qomPath(), tid, ok));
        }
        placed.retainAll(alive);
        now.sort(Comparator.comparingInt(VcpuInfo::index));
        return List.copyOf(now);
    }

    /** vCPU threads that exited between QEMU reporting them and their move (ESRCH), since start. */
    public int vanished() {
        return vanished;
    }
}
