package dev.vmsup.supervisor.cgroups;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Placement;
import dev.vmsup.qmp.CpuInfo;
import dev.vmsup.supervisor.SupervisorEvents;
import dev.vmsup.supervisor.vm.KernelThread;

/**
 * Which of the VM's threads sit where: every vCPU thread in the vcpu cgroup; the VM's kernel threads
 * ({@code kvm-pit}) with QEMU's non-vCPU threads, so that their CPU time is the sandbox's (the overhead cgroup, or
 * the sandbox cgroup with sandbox_cgroup_only and on v2, where QEMU's process lives). It is handed QEMU's lists
 * and places what is new; it never asks QEMU itself. A vCPU thread that exits before its move (ESRCH) is counted
 * and reported; a kernel that refuses to move a kernel thread costs a warning and a metric, never the sandbox.
 */
public final class ThreadPlacement {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadPlacement.class);

    private final SandboxCgroups cgroups;
    private final Set<Integer> placed = new HashSet<>();
    private final Map<Integer, KernelThreadInfo> kernelThreads = new HashMap<>();
    private volatile SupervisorEvents events = SupervisorEvents.NONE;
    private int vanished;

    public ThreadPlacement(SandboxCgroups cgroups) {
        this.cgroups = cgroups;
    }

    public void events(SupervisorEvents value) {
        events = value;
    }

    /**
     * Runs {@code plug} with QEMU's main thread {@code mainTid} lent to the vcpu cgroup, so that the vCPU thread it
     * creates is born under the vCPUs' CPU limits and never runs outside them; the main thread goes back to QEMU's
     * cgroup whatever happened.
     */
    public <T> T bornInVcpu(int mainTid, Supplier<T> plug) {
        cgroups.lendToVcpu(mainTid);
        T result;
        try {
            result = plug.get();
        } catch (RuntimeException e) {
            try {
                cgroups.returnFromVcpu(mainTid);
            } catch (RuntimeException back) {
                e.addSuppressed(back);
            }
            throw e;
        }
        cgroups.returnFromVcpu(mainTid);
        return result;
    }

    /**
     * Places the new vCPU threads {@code tids} of QEMU ({@code pid}) in vcpu, each read once from {@code /proc} and
     * written only where it is not yet; true if every one was already under the vCPUs' CPU limits (born there).
     */
    public boolean placeNew(int pid, List<Integer> tids) {
        boolean born = !tids.isEmpty();
        for (int tid : tids) {
            Map<String, CgroupPath> at = cgroups.placementOf(pid, tid);
            born &= cgroups.underVcpuCpuLimits(at);
            if (cgroups.placeVcpuThread(tid, at) == Placement.MOVED) {
                placed.add(tid);
            }
        }
        return born;
    }

    /** Threads other than vCPUs that QEMU started while its main thread was lent: back with QEMU's other threads. */
    public void returnToQemu(List<Integer> tids) {
        for (int tid : tids) {
            cgroups.returnFromVcpu(tid);
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

    /**
     * Places each kernel thread that is not (or no longer) with QEMU's other threads; returns them all. A thread
     * already placed costs one read of its {@code /proc} cgroup file.
     */
    public List<KernelThreadInfo> reconcileKernelThreads(List<KernelThread> threads) {
        List<KernelThreadInfo> now = new ArrayList<>();
        String target = cgroups.layout().qemu().toString();
        for (KernelThread t : threads) {
            KernelThreadInfo info = kernelThreads.get(t.pid());
            if (info == null || info.placed() && !cgroups.holdsKernelThread(t.pid())) {
                info = place(t, target);
                kernelThreads.put(t.pid(), info);
            }
            now.add(info);
        }
        return List.copyOf(now);
    }

    private KernelThreadInfo place(KernelThread t, String target) {
        try {
            if (cgroups.placeKernelThread(t.pid()) == Placement.GONE) {
                return new KernelThreadInfo(t.pid(), t.name(), null, "exited before it could be moved (ESRCH)");
            }
            return new KernelThreadInfo(t.pid(), t.name(), target, null);
        } catch (CgroupException e) {
            events.kernelThreadUnplaced();
            LOG.warn("kernel thread {} (pid {}) stays outside the sandbox's cgroups: {}", t.name(), t.pid(),
                    e.getMessage());
            return new KernelThreadInfo(t.pid(), t.name(), null, e.getMessage());
        }
    }
}
