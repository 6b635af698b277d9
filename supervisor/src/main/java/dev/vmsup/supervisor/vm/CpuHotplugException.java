package dev.vmsup.supervisor.vm;

import dev.vmsup.supervisor.SupervisorException;












/** A CPU hotplug or unplug that QEMU refused or did not finish; {@link #step()} names the QMP step. */
public final class CpuHotplugException extends SupervisorException {
    private final String step;
    private final String reason;

    CpuHotplugException(String step, Throwable cause) {
        super(step + " failed", cause);
        this.step = step;
        this.reason = cause.getMessage();
    }

    CpuHotplugException(String step, String reason) {
        super(step + ": " + reason);
        this.step = step;
        this.reason = reason;
    }

    /** The step that failed, e.g. {@code device_add of cpu-2}. */
    public String step() {
        return step;
    }

    /** Why, without the step: the cause's message or the reason given. */
    public String reason() {
        return reason;
    }
}
