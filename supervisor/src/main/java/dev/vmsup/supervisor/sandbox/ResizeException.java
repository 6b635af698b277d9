package dev.vmsup.supervisor.sandbox;

import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.vm.CpuHotplugException;


























/**
 * A resize that stopped midway. The state stays consistent (every CPU that was added is placed and
 * counted); {@link #step()} names the step that failed.
 */
public class ResizeException extends SupervisorException {
    private final String step;
    private final boolean refused;

    public ResizeException(String step, Throwable cause) {
        super("resize failed at " + step, cause);
        this.step = step;
        this.refused = false;
    }

    public ResizeException(String step, String reason) {
        this(step, reason, false);
    }

    private ResizeException(String step, String reason, boolean refused) {
        super("resize failed at " + step + ": " + reason);
        this.step = step;
        this.refused = refused;
    }

    /** The VM's refusal of a CPU hot(un)plug, as a resize failure at the same step. */
    static ResizeException of(CpuHotplugException e) {
        return e.getCause() != null ? new ResizeException(e.step(), e.getCause())
                : new ResizeException(e.step(), e.reason(), e.refused());
    }

    /** True when the resize was refused before anything changed (a conflict with the sandbox's state). */
    public boolean refused() {
        return refused;
    }

    public String step() {
        return step;
    }
}
