package dev.vmsup.supervisor.vm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.vmsup.qmp.CpuInfo;
import dev.vmsup.qmp.HotpluggableCpu;

/**
 * QEMU's CPUs and empty CPU slots as vmsup knows them, so that a hotplug needs no QMP round trip but its
 * {@code device_add}. The CPUs: {@code query-cpus-fast}'s last answer plus each CPU a hotplug made since, known from
 * the plug itself (the slot's properties, the device's QOM path, and the one new vCPU thread {@code /proc} shows,
 * whose name {@code CPU n/...} gives its index). The slots: {@code query-hotpluggable-cpus}'s empty ones, lowest socket
 * first, less those plugged since. Whatever makes either uncertain (no single new vCPU thread, an index or thread
 * already listed, an unplug, a command that failed or timed out) makes vmsup ask QEMU again. Pure bookkeeping, on
 * one thread (the operations').
 */
final class CpuRoster {
    private List<CpuInfo> cpus = List.of();
    private boolean cpusCurrent;
    private List<HotpluggableCpu> free; // null: ask QEMU

    /** {@code query-cpus-fast}'s answer: the truth from here on. */
    List<CpuInfo> answered(List<CpuInfo> fromQemu) {
        cpus = List.copyOf(fromQemu);
        cpusCurrent = true;
        return cpus;
    }

    /** Whether {@link #cpus} is what {@code query-cpus-fast} would answer now. */
    boolean cpusCurrent() {
        return cpusCurrent;
    }

    List<CpuInfo> cpus() {
        return cpus;
    }

    boolean slotsKnown() {
        return free != null;
    }

    /** Keeps the empty ones of {@code query-hotpluggable-cpus}'s answer. */
    void slotsAnswered(List<HotpluggableCpu> all) {
        free = new ArrayList<>(all.stream().filter(s -> !s.plugged())
                .sorted(Comparator.comparing(s -> s.props().getOrDefault("socket-id", 0L))).toList());
    }

    /** The slot the next CPU goes into. */
    HotpluggableCpu lowestFreeSlot() {
        if (free.isEmpty()) {
            throw new CpuHotplugException("device_add", "no free CPU slot left", true);
        }
        return free.get(0);
    }

    /** The lowest free slot got the device {@code qomPath}, which made the vCPU thread(s) {@code tids}. */
    void plugged(String qomPath, List<Integer> tids, List<Integer> indexes) {
        HotpluggableCpu slot = free.remove(0);
        if (!cpusCurrent || tids.size() != 1
                || cpus.stream().anyMatch(c -> c.threadId() == tids.get(0) || c.cpuIndex() == indexes.get(0)
                        || c.qomPath().equals(qomPath))) {
            cpusCurrent = false;
            return;
        }
        List<CpuInfo> now = new ArrayList<>(cpus);
        now.add(new CpuInfo(indexes.get(0), qomPath, tids.get(0), slot.props()));
        cpus = List.copyOf(now);
    }

    /** QEMU's view may have changed behind this one: ask it again, for CPUs and slots. */
    void forget() {
        cpusCurrent = false;
        free = null;
    }
}
