package dev.vmsup.supervisor.sandbox;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import dev.vmsup.supervisor.SupervisorEvents;
import dev.vmsup.supervisor.cgroups.ThreadPlacement;
import dev.vmsup.supervisor.vm.CpuHotplugException;
import dev.vmsup.supervisor.vm.PluggedCpu;
import dev.vmsup.supervisor.vm.QemuVm;

/**
 * The hot(un)plug half of a resize, CPU by CPU, under the sandbox's lock. Each new vCPU thread is born under the
 * vCPUs' CPU limits (QEMU's main thread, which creates it during device_add, is lent to the vcpu cgroup meanwhile),
 * is moved into vcpu in the other hierarchies right after, then every listed vCPU thread is reconciled (the list as
 * the plug left it, QEMU's own when that is uncertain: {@code QemuVm#cpusAfterPlug}). A step QEMU refuses ends the
 * loop and is returned, not thrown, so the caller can still place and limit what did change.
 */
final class CpuHotplug {
    private final QemuVm vm;
    private final ThreadPlacement placement;
    private final Supplier<SupervisorEvents> events;
    private final Runnable placeAll;

    CpuHotplug(QemuVm vm, ThreadPlacement placement, Supplier<SupervisorEvents> events, Runnable placeAll) {
        this.vm = vm;
        this.placement = placement;
        this.events = events;
        this.placeAll = placeAll;
    }

    /** Plugs {@code howMany} CPUs; null, or the step that failed. */
    ResizeException plug(int howMany) {
        for (int i = 0; i < howMany; i++) {
            PluggedCpu plugged;
            try {
                plugged = placement.bornInVcpu((int) vm.pid(), vm::plugCpu);
            } catch (CpuHotplugException e) {
                return ResizeException.of(e);
            }
            boolean born = placement.placeNew((int) vm.pid(), plugged.threads());
            placement.returnToQemu(plugged.others());
            Duration placed = Duration.ofNanos(System.nanoTime() - plugged.repliedAtNanos());
            events.get().vcpuPlaced(born ? Duration.ZERO : placed, placed);
            placeAll.run();
        }
        return null;
    }

    /**
     * A plug's path without the plug: the main thread lent and returned around QEMU's free slots read and the thread
     * scan, {@code vcpuThreads} placed again (read from /proc; already in vcpu, so nothing is written).
     */
    void warmUp(List<Integer> vcpuThreads) {
        placement.bornInVcpu((int) vm.pid(), () -> {
            vm.warmUpHotplug();
            return null;
        });
        placement.placeNew((int) vm.pid(), vcpuThreads);
        placeAll.run();
    }

    /** Unplugs the {@code howMany} highest hotplugged CPUs; null, or the step that failed. */
    ResizeException unplug(int howMany) {
        try {
            vm.unplugCpus(howMany);
            return null;
        } catch (CpuHotplugException e) {
            return ResizeException.of(e);
        }
    }
}
