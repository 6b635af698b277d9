package dev.vmsup.supervisor.vm;

import dev.vmsup.supervisor.SupervisorException;


























/** A CPU hotplug or unplug that QEMU refused or did not finish; {@link #step()} names the QMP step. */
public final class CpuHotplugException extends SupervisorException {
    private final String step;
    private final String reason;
    private final boolean refused;

    CpuHotplugException(String step, Throwable cause) {
        super(step + " failed", cause);
        this.step = step;
        this.reason = cause.getMessage();
        this.refused = false;
    }

    CpuHotplugException(String step, String reason) {
        this(step, reason, false);
    }

    /** @param refused true when nothing was asked of QEMU: the change cannot be made in this state */
    CpuHotplugException(String step, String reason, boolean refused) {
        super(step + ": " + reason);
        this.step = step;
        this.reason = reason;
        this.refused = refused;
    }

    /** True when the change was refused before QEMU was asked (it would crash, or no slot is free). */
    public boolean refused() {
        return refused;
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
