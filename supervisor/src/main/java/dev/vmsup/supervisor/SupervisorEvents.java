package dev.vmsup.supervisor;

import java.time.Duration;

/**
 * What the supervisor reports as it works, for metrics. The default does nothing, so a run without the API
 * socket loads no metrics library.
 */
public interface SupervisorEvents {
    SupervisorEvents NONE = new SupervisorEvents() { };

    /** A resize finished (or failed) after {@code took}. */
    default void resized(Duration took, boolean succeeded) {
    }

    /** One QMP command's round trip. */
    default void qmpRoundTrip(String command, Duration took) {
    }

    /**
     * A hotplugged vCPU's thread is in the vcpu cgroup in every hierarchy {@code placed} after its device_add
     * returned; it ran outside the vCPUs' CPU limits for {@code unconstrained} (zero when it was born under them).
     */
    default void vcpuPlaced(Duration unconstrained, Duration placed) {
    }

    /** A vCPU thread could not be placed (gone, or refused by the kernel). */
    default void placementFailed() {
    }

    /** The kernel refused to move a kernel thread of the VM (kvm-pit) into the sandbox's cgroups. */
    default void kernelThreadUnplaced() {
    }
}
